//! The `openwa-sim` process the load runs against, and the two admin calls it needs.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::Failure;

/// A running simulator process (killed on drop).
#[derive(Debug)]
pub struct SimProcess {
    _child: Child,
    /// `ws://…/ws/chat`.
    pub ws_url: String,
    /// `host:port` of the admin API.
    pub admin: String,
    /// Hex of the Noise root public key.
    pub root_public_key: String,
}

impl SimProcess {
    /// Starts `binary` on OS-chosen local ports and reads its ready line.
    pub async fn start(binary: &Path) -> Result<SimProcess, Failure> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no simulator stdout")?;
        let line = BufReader::new(stdout)
            .lines()
            .next_line()
            .await?
            .ok_or("the simulator exited before it was ready")?;
        let info: serde_json::Value = serde_json::from_str(&line)?;
        let field = |name: &str| -> Result<String, Failure> {
            Ok(info[name]
                .as_str()
                .ok_or_else(|| format!("no {name} in {line}"))?
                .to_owned())
        };
        Ok(SimProcess {
            ws_url: field("ws_url")?,
            admin: field("admin_url")?.trim_start_matches("http://").to_owned(),
            root_public_key: field("root_public_key")?,
            _child: child,
        })
    }

    /// POSTs JSON to the admin API; fails unless the answer is 2xx.
    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Result<(), Failure> {
        let mut stream = tokio::net::TcpStream::connect(&self.admin).await?;
        let body = body.to_string();
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.admin,
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        stream.read_to_string(&mut response).await?;
        let ok = response
            .split_whitespace()
            .nth(1)
            .is_some_and(|status| status.starts_with('2'));
        if ok {
            Ok(())
        } else {
            Err(format!("POST {path}: {response}").into())
        }
    }
}
