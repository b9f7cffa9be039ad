//! `openwa-sim` as a child process, for tools and tests that want the simulator in a process of
//! its own: start it on loopback ports, read its ready line, call its admin API; it is killed
//! when dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::ReadyInfo;
use crate::http_client::{self, HttpError};

/// How long the simulator may take to print its ready line.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the simulator process could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// It could not be started, or died before it was ready.
    #[error("openwa-sim did not start: {0}")]
    Start(String),
    /// An admin request failed on the way.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// An admin request was answered with an error status.
    #[error("{method} {path}: HTTP {status}: {body}")]
    Status {
        /// Method.
        method: String,
        /// Path.
        path: String,
        /// Status code.
        status: u16,
        /// Body as text.
        body: String,
    },
    /// An admin answer was not the JSON expected.
    #[error("{0}")]
    BadAnswer(String),
}

/// A running `openwa-sim`, killed on drop.
#[derive(Debug)]
pub struct SimProcess {
    child: Child,
    pid: u32,
    /// Its ready line: URLs and trust anchors.
    pub ready: ReadyInfo,
}

impl SimProcess {
    /// Starts `binary` with `--listen 127.0.0.1:0 --admin 127.0.0.1:0` plus `extra_args`
    /// (`RUST_LOG=warn` unless set) and waits for its ready line. Its stderr is inherited.
    pub async fn start(binary: &Path, extra_args: &[&str]) -> Result<SimProcess, ProcessError> {
        let mut command = Command::new(binary);
        command
            .args(["--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "warn");
        }
        let mut child = command
            .spawn()
            .map_err(|e| ProcessError::Start(format!("{}: {e}", binary.display())))?;
        let pid = child
            .id()
            .ok_or_else(|| ProcessError::Start("it exited at once".into()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| ProcessError::Start("no stdout".into()))?;
        let line = tokio::time::timeout(READY_TIMEOUT, BufReader::new(stdout).lines().next_line())
            .await
            .map_err(|_| ProcessError::Start("no ready line in time".into()))?
            .map_err(|e| ProcessError::Start(format!("reading its stdout: {e}")))?
            .ok_or_else(|| ProcessError::Start("it exited before it was ready".into()))?;
        let ready = serde_json::from_str(&line)
            .map_err(|e| ProcessError::Start(format!("ready line {line:?}: {e}")))?;
        Ok(SimProcess { child, pid, ready })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The Noise root public key clients must trust.
    pub fn root_public_key(&self) -> Result<[u8; 32], ProcessError> {
        hex::decode(&self.ready.root_public_key)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| ProcessError::BadAnswer("root_public_key is not 32 hex bytes".into()))
    }

    /// One admin request: the status and the JSON answer (`null` for an empty body).
    pub async fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), ProcessError> {
        let response = http_client::request(&self.ready.admin_url, method, path, body).await?;
        let value = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body)
                .map_err(|e| ProcessError::BadAnswer(format!("{method} {path}: {e}")))?
        };
        Ok((response.status, value))
    }

    /// An admin request that must succeed (2xx); returns the JSON answer.
    pub async fn admin_ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ProcessError> {
        let (status, value) = self.admin(method, path, body).await?;
        if (200..300).contains(&status) {
            Ok(value)
        } else {
            Err(ProcessError::Status {
                method: method.into(),
                path: path.into(),
                status,
                body: value.to_string(),
            })
        }
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        // A killed simulator cannot remove the certificate it generated in the temp dir.
        if Path::new(&self.ready.tls_cert_path).starts_with(std::env::temp_dir()) {
            let _ = std::fs::remove_file(&self.ready.tls_cert_path);
        }
    }
}
