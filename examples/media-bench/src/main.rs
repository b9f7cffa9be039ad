//! `openwa-media-bench`: one paired session of a memory-store manager sends a large document
//! to a simulated phone (check, encrypt to a temporary file, upload, send), then downloads it
//! back to a file and to memory, against an `openwa-sim` child process (so the simulator's own
//! memory is not counted). Prints one JSON line: MB/s of each step and the peak RSS of this
//! process during each (`VmHWM`, reset between steps through `/proc/self/clear_refs`).
//!
//! usage: openwa-media-bench SIM_BINARY [MEGABYTES (default 100)]
#![allow(clippy::print_stdout)] // the result line is the output

use std::path::PathBuf;
use std::time::Instant;

use mimalloc::MiMalloc;
use openwa::{
    ConnectionState, EventKind, ManagerConfig, MediaKind, MediaSource, OutgoingMedia, SendOptions,
    SessionManager, SessionOptions,
};
use openwa_simulator::process::SimProcess;

#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

type Failure = Box<dyn std::error::Error + Send + Sync>;

const ENGINE: &str = "15557770001";
const PHONE: &str = "15557770002";

/// `VmHWM` of this process, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets `VmHWM` to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().collect();
    let sim_binary = PathBuf::from(args.get(1).ok_or("usage: openwa-media-bench SIM [MB]")?);
    let megabytes: usize = args.get(2).map_or(Ok(100), |m| m.parse())?;
    let len = megabytes * 1_000_000;
    let upload_limit = (len + len / 8 + 1024).to_string();
    let sim = SimProcess::start(&sim_binary, &["--max-upload", &upload_limit]).await?;
    for (phone, name) in [(ENGINE, "Engine"), (PHONE, "Phone")] {
        let account = serde_json::json!({ "phone": phone, "name": name });
        sim.admin_ok("POST", "/admin/accounts", Some(&account))
            .await?;
    }
    let options = SessionOptions {
        server_url: sim.ready.ws_url.clone(),
        trust_root: sim.root_public_key()?.to_vec(),
        tls_extra_roots_pem: Some(std::fs::read_to_string(&sim.ready.tls_cert_path)?),
        max_media_bytes: len as u64 + 1,
        request_timeout_secs: 600,
        ..SessionOptions::default()
    };
    let manager = SessionManager::open(ManagerConfig {
        default_session_options: options,
        ..ManagerConfig::default()
    })
    .await?;
    let session = manager.create_session("bench", None).await?;
    let events = session.events();
    session.connect().await?;
    let qr = loop {
        let event = events.next().await.ok_or("event stream closed")?;
        if let EventKind::Qr { code, .. } = event.kind {
            break code;
        }
    };
    let path = format!("/admin/accounts/{ENGINE}/link");
    sim.admin_ok("POST", &path, Some(&serde_json::json!({ "qr": qr })))
        .await?;
    session
        .wait_for_state(ConnectionState::Connected, 60_000)
        .await?;

    let dir = std::env::temp_dir().join(format!("openwa-media-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let source = dir.join("source.bin");
    {
        // A pseudo-random file (xorshift), written in pieces.
        use std::io::Write;
        let mut file = std::io::BufWriter::new(std::fs::File::create(&source)?);
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut piece = vec![0u8; 1 << 20];
        let mut left = len;
        while left > 0 {
            for chunk in piece.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let bytes = x.to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            let n = left.min(piece.len());
            file.write_all(&piece[..n])?;
            left -= n;
        }
    }
    let base_rss = peak_rss_mib();
    let mb = len as f64 / 1_000_000.0;

    reset_peak();
    let started = Instant::now();
    let media = OutgoingMedia::new(
        MediaKind::Document,
        MediaSource::File {
            path: source.clone(),
        },
    );
    let sent = session
        .send_media(PHONE, media, SendOptions::default())
        .await?;
    let send_secs = started.elapsed().as_secs_f64();
    let send_peak = peak_rss_mib();

    reset_peak();
    let started = Instant::now();
    let target = dir.join("downloaded.bin");
    let written = session
        .download_media_to_file(PHONE, &sent.id, target.clone())
        .await?;
    let file_secs = started.elapsed().as_secs_f64();
    let file_peak = peak_rss_mib();
    if written != len as u64 || std::fs::read(&target)? != std::fs::read(&source)? {
        return Err("the downloaded file differs".into());
    }
    std::fs::remove_file(&target)?;

    reset_peak();
    let started = Instant::now();
    let bytes = session.download_media(PHONE, &sent.id).await?;
    let memory_secs = started.elapsed().as_secs_f64();
    let memory_peak = peak_rss_mib();
    if bytes.len() != len {
        return Err("the downloaded bytes differ in length".into());
    }
    drop(bytes);

    let line = serde_json::json!({
        "megabytes": mb,
        "rss_before_mib": base_rss,
        "send_mb_per_s": mb / send_secs,
        "send_secs": send_secs,
        "send_peak_rss_mib": send_peak,
        "download_to_file_mb_per_s": mb / file_secs,
        "download_to_file_peak_rss_mib": file_peak,
        "download_to_memory_mb_per_s": mb / memory_secs,
        "download_to_memory_peak_rss_mib": memory_peak,
    });
    println!("{line}");
    std::fs::remove_dir_all(&dir)?;
    manager.close().await?;
    Ok(())
}
