//! Interop: an unmodified Baileys 7 links to a simulated phone that has a history and reports
//! it (`messaging-history.set`): it decrypts the notifications, downloads and decrypts the
//! blobs from the media host, inflates and decodes every chunk — the proof that the phone's
//! history sync is WhatsApp's, bytes and all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use openwa_testkit::baileys::{self, BAILEYS7, require_node_modules, temp_auth_dir};
use serde_json::json;

const ALICE: &str = "15550009101";
const BOB: &str = "15550009102";

#[tokio::test]
async fn baileys7_receives_a_phone_history() {
    require_node_modules();
    let sim = openwa_testkit::simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    openwa_testkit::phone_sends(&sim, BOB, ALICE, "from bob, before the link").await;
    let seeded = openwa_testkit::http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{ALICE}/history"),
        Some(json!({ "chats": 5, "messages_per_chat": 30 })),
    )
    .await;
    assert_eq!(seeded.status, 201);

    let media_host = sim.info.media_url.trim_start_matches("https://").to_owned();
    let env = [
        ("NODE_EXTRA_CA_CERTS", sim.info.tls_cert_path.as_str()),
        ("BAILEYS_HISTORY", "1"),
        ("BAILEYS_MEDIA_HOST", media_host.as_str()),
    ];
    let auth = temp_auth_dir("history");
    let (mut client, _) = baileys::pair_by_qr_with_env(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        ALICE,
        &auth,
        &env,
    )
    .await;
    // Baileys buffers its events until the initial sync is done and may merge several
    // `messaging-history.set` into one: add the chunks up until every message arrived.
    let (mut messages, mut chats, mut contacts) = (0, Vec::new(), 0);
    while messages < 5 * 30 + 1 {
        let chunk = client.wait_event("history").await;
        messages += chunk["messages"].as_u64().unwrap();
        contacts += chunk["contacts"].as_u64().unwrap();
        chats.extend(chunk["chatIds"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(messages, 5 * 30 + 1, "every message once");
    assert!(
        chats.contains(&json!(format!("{BOB}@s.whatsapp.net"))),
        "{chats:?}"
    );
    assert_eq!(
        chats
            .iter()
            .filter(|c| c.as_str().unwrap().starts_with("1888"))
            .count(),
        10,
        "each seeded chat in the bootstrap and in a recent chunk: {chats:?}"
    );
    assert!(
        contacts >= 6,
        "push names of the seeded contacts and Bob: {contacts}"
    );
    // The PN-LID map of the non-blocking data chunk, kept in Baileys' key store.
    let mapped = std::fs::read_dir(&*auth)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("lid-mapping-1888")
        })
        .count();
    assert!(
        mapped >= 5,
        "Baileys stored the seeded contacts' LIDs ({mapped} files)"
    );
    client.quit().await;
}

/// The cost of history sync for Baileys 7 on this simulator (docs/BENCHMARKS.md): time from its
/// login after the link to the last message and the driver process's peak RSS, for `chats` × `per_chat`.
/// Ignored: a benchmark, run with `cargo test --release -p openwa-simulator --test
/// baileys_history -- --ignored --nocapture`.
async fn baileys_history_cost(chats: u64, per_chat: u64) {
    require_node_modules();
    let sim = openwa_testkit::simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let seeded = openwa_testkit::http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{ALICE}/history"),
        Some(json!({ "chats": chats, "messages_per_chat": per_chat })),
    )
    .await;
    assert_eq!(seeded.status, 201);
    let media_host = sim.info.media_url.trim_start_matches("https://").to_owned();
    let env = [
        ("NODE_EXTRA_CA_CERTS", sim.info.tls_cert_path.as_str()),
        ("BAILEYS_HISTORY", "1"),
        ("BAILEYS_MEDIA_HOST", media_host.as_str()),
    ];
    let auth = temp_auth_dir("history-bench");
    let (mut client, _) = baileys::pair_by_qr_with_env(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        ALICE,
        &auth,
        &env,
    )
    .await;
    // From the login that follows the link (the 515 restart), as Baileys opens then.
    let started = std::time::Instant::now();
    let (mut messages, mut peak) = (0, 0);
    while messages < chats * per_chat {
        let chunk = client.wait_event("history").await;
        messages += chunk["messages"].as_u64().unwrap();
        peak = peak.max(chunk["maxRssKib"].as_u64().unwrap());
    }
    #[allow(clippy::print_stdout)]
    {
        println!(
            "| Baileys 7 | {chats} × {per_chat} | {messages} | {:.2} s | {:.1} MiB |",
            started.elapsed().as_secs_f64(),
            peak as f64 / 1024.0
        );
    }
    client.quit().await;
}

#[tokio::test]
#[ignore = "a benchmark"]
async fn baileys7_history_cost_5k() {
    baileys_history_cost(50, 100).await;
}

#[tokio::test]
#[ignore = "a benchmark"]
async fn baileys7_history_cost_50k() {
    baileys_history_cost(500, 100).await;
}
