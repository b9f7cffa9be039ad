//! The one runner of the node reference processes in `tests/interop`: Baileys' codecs and crypto
//! as oracles of the differential tests, and Baileys clients driven against the simulator.
//!
//! A [`NodeScript`] is `node tests/interop/<script> [args]`, run in `tests/interop` with extra
//! environment variables. It runs to completion ([`NodeScript::output`],
//! [`NodeScript::output_with_input`], [`NodeScript::run_lines`]) or as a process that talks
//! line-delimited JSON ([`NodeScript::spawn`] blocking, [`NodeScript::spawn_async`] on tokio);
//! either process is killed when dropped. Its stderr goes to the test's stderr, except for
//! [`NodeScript::output`] and [`NodeScript::output_with_input`], which capture it.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, Lines};

/// `tests/interop` of this repository (the scripts and their `node_modules`).
pub fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// Fails with the install command when one of the npm `packages` is missing from
/// `tests/interop/node_modules`.
pub fn require_packages(packages: &[&str]) {
    for pkg in packages {
        let manifest = interop_dir()
            .join("node_modules")
            .join(pkg)
            .join("package.json");
        assert!(
            manifest.exists(),
            "{} is missing: run `npm ci --prefix tests/interop` first (scripts/test does it)",
            manifest.display()
        );
    }
}

/// `node tests/interop/<script>` with its arguments and extra environment variables.
#[derive(Debug, Clone)]
pub struct NodeScript {
    script: PathBuf,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

impl NodeScript {
    /// The script `script` of `tests/interop` (e.g. `"noise-oracle.mjs"`).
    pub fn new(script: &str) -> NodeScript {
        NodeScript {
            script: interop_dir().join(script),
            args: Vec::new(),
            envs: Vec::new(),
        }
    }

    /// Adds one command-line argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> NodeScript {
        self.args.push(arg.into());
        self
    }

    /// Adds one environment variable.
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> NodeScript {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Adds environment variables.
    pub fn envs<K: Into<OsString>, V: Into<OsString>>(
        mut self,
        envs: impl IntoIterator<Item = (K, V)>,
    ) -> NodeScript {
        self.envs
            .extend(envs.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    fn name(&self) -> String {
        self.script.display().to_string()
    }

    fn command(&self) -> Command {
        let mut command = Command::new("node");
        command
            .arg(&self.script)
            .args(&self.args)
            .envs(self.envs.iter().map(|(k, v)| (k, v)))
            .current_dir(interop_dir());
        command
    }

    /// Runs the script with no stdin to its end; its stdout and stderr are captured.
    pub fn output(&self) -> Output {
        self.command()
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run node {} (is node installed?): {e}", self.name()))
    }

    /// Runs the script to its end with `input` on stdin (then closed); its stdout and stderr are
    /// captured.
    pub fn output_with_input(&self, input: &[u8]) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node {} (is node installed?): {e}", self.name())
            });
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Writes every request as one JSON line, closes stdin and returns the JSON lines the
    /// script printed until it exited; fails unless it exited successfully.
    pub fn run_lines(&self, requests: impl IntoIterator<Item = Value>) -> Vec<Value> {
        let mut process = self.spawn();
        {
            let stdin = process.stdin.as_mut().unwrap();
            let mut buffered = BufWriter::new(stdin);
            for request in requests {
                serde_json::to_writer(&mut buffered, &request).unwrap();
                buffered.write_all(b"\n").unwrap();
            }
            buffered.flush().unwrap();
        }
        process.stdin = None;
        let mut replies = Vec::new();
        while let Ok(line) = process.lines.recv() {
            replies.push(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{} printed non-JSON ({e}): {line}", process.name)),
            );
        }
        let status = process.wait();
        assert!(status.success(), "{} exited with {status}", process.name);
        replies
    }

    /// Starts the script with piped stdin and stdout (read on a thread, so neither pipe can
    /// fill up while the test writes).
    pub fn spawn(&self) -> NodeProcess {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node {} (is node installed?): {e}", self.name())
            });
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        NodeProcess {
            name: self.name(),
            child,
            stdin,
            lines,
        }
    }

    /// Starts the script on tokio with piped stdin and stdout.
    pub fn spawn_async(&self) -> AsyncNodeProcess {
        let mut child = tokio::process::Command::from(self.command())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run node {} (is node installed?): {e}", self.name())
            });
        let stdin = child.stdin.take().unwrap();
        let lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        AsyncNodeProcess {
            name: self.name(),
            child,
            stdin,
            lines,
        }
    }
}

/// A running node script (blocking I/O), killed on drop.
#[derive(Debug)]
pub struct NodeProcess {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl NodeProcess {
    /// Writes `value` as one line.
    pub fn send(&mut self, value: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{value}").unwrap();
        stdin.flush().unwrap();
    }

    /// The next line the script printed; `None` once it closed its stdout.
    pub fn recv_line(&mut self) -> Option<String> {
        self.lines.recv().ok()
    }

    /// The next line as JSON (fails when the script exits first or prints something else).
    pub fn recv(&mut self) -> Value {
        let line = self
            .recv_line()
            .unwrap_or_else(|| panic!("{} exited without answering (see stderr)", self.name));
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{} answered {line:?}: {e}", self.name))
    }

    /// The next line as JSON, or `None` when none came within `timeout` (a hang guard).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Value> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Some(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("{} answered {line:?}: {e}", self.name)),
            ),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Closes stdin and waits for the script to exit.
    pub fn wait(&mut self) -> ExitStatus {
        self.stdin = None;
        self.child.wait().unwrap()
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running node script on tokio, killed on drop.
#[derive(Debug)]
pub struct AsyncNodeProcess {
    name: String,
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    lines: Lines<tokio::io::BufReader<tokio::process::ChildStdout>>,
}

impl AsyncNodeProcess {
    /// Writes `value` as one line.
    pub async fn send(&mut self, value: &Value) {
        let line = format!("{value}\n");
        self.stdin.write_all(line.as_bytes()).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    /// The next line the script printed; `None` once it closed its stdout.
    pub async fn recv_line(&mut self) -> Option<String> {
        self.lines.next_line().await.unwrap()
    }

    /// Waits for the script to exit.
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// The script's path, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}
