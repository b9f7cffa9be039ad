//! Kills the `echo-bot` binary with SIGKILL while another account's simulated phone sends it a
//! burst of texts, restarts it on the same database (no QR), and checks on that phone that every
//! text got exactly one echo: none missing, none doubled. Kill points: right after the bot's 3rd
//! and 13th echo, right after the whole burst was posted (before any echo), and twice in one
//! burst (after the 5th echo, then as soon as the restarted bot takes up a message). Every run
//! ends with one more kill and restart once all echoes are there, which must not echo anything
//! again. Each scenario runs on SQLite and on PostgreSQL (a fresh database per test, dropped at
//! the end).
//!
//! The bot is the Rust `echo-bot`, or the command in `OPENWA_ECHO_BOT` (words separated by
//! spaces, e.g. `node examples/node/echo-bot.mjs` or `python examples/python/echo_bot.py`):
//! every language's echo bot has the same command-line contract and goes through the same burst.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openwa_simulator::{Simulator, SimulatorConfig, SimulatorHandle};
use openwa_testkit::http;
use openwa_testkit::store::{Backend, Fixture, TempStore};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Texts in one burst.
const BURST: usize = 30;
/// Bound of one step: a line of the bot, an admin call, a number of echoes.
const WAIT: Duration = Duration::from_secs(60);
/// Bound for the whole burst to be echoed after the last restart.
const ALL_ECHOES: Duration = Duration::from_secs(120);
/// How long the echoes must stay as they are (no late double) before the check passes.
const SETTLE: Duration = Duration::from_secs(3);
/// Pause between two looks at the sender's timeline.
const POLL: Duration = Duration::from_millis(50);
/// The bot's account and the account that writes to it.
const BOT_PHONE: &str = "15550003001";
const SENDER: &str = "15550003002";

/// The bot's program and leading arguments: `OPENWA_ECHO_BOT`, else the Rust `echo-bot`.
fn bot_command() -> (OsString, Vec<OsString>) {
    match std::env::var_os("OPENWA_ECHO_BOT") {
        Some(command) => {
            let command = command.to_string_lossy().into_owned();
            let mut words = command.split_whitespace().map(OsString::from);
            let program = words
                .next()
                .unwrap_or_else(|| panic!("OPENWA_ECHO_BOT is empty"));
            (program, words.collect())
        }
        None => (OsString::from(env!("CARGO_BIN_EXE_echo-bot")), Vec::new()),
    }
}

/// The store of one test: a temporary directory (SQLite file, key file) and, on PostgreSQL, a
/// fresh database; removed at the end whatever happened.
struct BotStore {
    temp: TempStore,
}

impl Fixture for BotStore {
    async fn create(backend: Backend) -> BotStore {
        let temp = TempStore::create(backend, "openwa_echo_bot_test")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        BotStore { temp }
    }

    async fn destroy(&self) {
        self.temp.destroy().await.unwrap();
    }
}

impl BotStore {
    /// `--db` and `--key` of the bot: the SQLite file or the PostgreSQL URL, and the key file.
    fn args(&self) -> Vec<OsString> {
        let db = match &self.temp.pg {
            Some(pg) => OsString::from(&pg.url),
            None => self.temp.dir.join("bot.db").into_os_string(),
        };
        vec![
            "--db".into(),
            db,
            "--key".into(),
            self.temp.dir.join("bot.key").into_os_string(),
        ]
    }

    fn dir(&self) -> PathBuf {
        self.temp.dir.clone()
    }
}

/// A running bot: its stdout lines as they come, and everything it printed (stdout and
/// stderr) for the failure messages.
struct Bot {
    child: Child,
    lines: mpsc::UnboundedReceiver<String>,
    output: Arc<Mutex<Vec<String>>>,
}

impl Bot {
    fn start(sim: &SimulatorHandle, store: &BotStore) -> Bot {
        let (program, args) = bot_command();
        let mut child = Command::new(program)
            .args(args)
            .arg("--server")
            .arg(sim.info.wss_url.as_deref().unwrap())
            .arg("--trust-root")
            .arg(&sim.info.root_public_key)
            .arg("--tls-cert")
            .arg(&sim.info.tls_cert_path)
            .args(store.args())
            .current_dir(store.dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let (sender, lines) = mpsc::unbounded_channel();
        collect(child.stdout.take().unwrap(), "", Some(sender), &output);
        collect(child.stderr.take().unwrap(), "stderr: ", None, &output);
        Bot {
            child,
            lines,
            output,
        }
    }

    /// Everything the bot printed so far.
    fn output(&self) -> String {
        self.output.lock().unwrap().join("\n")
    }

    /// Reads stdout lines until one starts with `prefix`; returns the rest of it and the lines
    /// read before it.
    async fn expect(&mut self, prefix: &str) -> (String, Vec<String>) {
        let mut before = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            while let Some(line) = self.lines.recv().await {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Some(rest.to_owned());
                }
                before.push(line);
            }
            None
        })
        .await;
        match found {
            Ok(Some(rest)) => (rest, before),
            Ok(None) => panic!(
                "the bot exited before printing {prefix:?}:\n{}",
                self.output()
            ),
            Err(_) => panic!(
                "no {prefix:?} line within {WAIT:?}; the bot printed:\n{}",
                self.output()
            ),
        }
    }

    /// Reads stdout lines until `n` of them started with `prefix`.
    async fn expect_n(&mut self, prefix: &str, n: usize) {
        for _ in 0..n {
            self.expect(prefix).await;
        }
    }

    /// SIGKILL; the bot must still be running (it must not have stopped by itself).
    async fn kill(mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!(
                "the bot had already exited ({status}) before the kill:\n{}",
                self.output()
            );
        }
        self.child.kill().await.unwrap();
    }
}

/// Reads `stream` line by line into `output` (prefixed) and, if given, into `sender`.
fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    prefix: &'static str,
    sender: Option<mpsc::UnboundedSender<String>>,
    output: &Arc<Mutex<Vec<String>>>,
) {
    let output = Arc::clone(output);
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            output.lock().unwrap().push(format!("{prefix}{line}"));
            if let Some(sender) = &sender {
                let _ = sender.send(line);
            }
        }
    });
}

/// One admin API call, bounded by [`WAIT`]; returns the status and the JSON body.
async fn admin(
    admin_url: &str,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let response = tokio::time::timeout(WAIT, http(admin_url, method, path, body))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {WAIT:?}"));
    let json = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
    (response.status, json)
}

/// A simulator with the bot's account and the sender's, and the bot linked to the first by QR.
async fn linked_bot(store: &BotStore) -> (SimulatorHandle, Bot) {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    sim.create_account(BOT_PHONE, "Bot").unwrap();
    sim.create_account(SENDER, "Sender").unwrap();
    let mut bot = Bot::start(&sim, store);
    let (qr, _) = bot.expect("QR: ").await;
    let (status, body) = admin(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{BOT_PHONE}/link"),
        Some(serde_json::json!({ "qr": qr })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    bot.expect("Connected as ").await;
    (sim, bot)
}

/// The bot again on the same database: it must log in by itself, without a QR.
async fn restart(sim: &SimulatorHandle, store: &BotStore) -> Bot {
    let mut bot = Bot::start(sim, store);
    let (jid, before) = bot.expect("Connected as ").await;
    assert!(jid.starts_with(&format!("{BOT_PHONE}:")), "{jid}");
    assert!(
        !before.iter().any(|l| l.starts_with("QR: ")),
        "a restart asked for a QR: {before:?}"
    );
    bot
}

/// The texts of the burst, each one unique.
fn burst_texts() -> Vec<String> {
    (0..BURST).map(|i| format!("burst text {i:02}")).collect()
}

/// Posts one text from the sender's phone to the bot's account.
async fn post_text(admin_url: &str, text: &str) {
    let (status, body) = admin(
        admin_url,
        "POST",
        &format!("/admin/accounts/{SENDER}/messages"),
        Some(serde_json::json!({ "to": BOT_PHONE, "text": text })),
    )
    .await;
    assert_eq!(status, 201, "sending {text:?}: {body}");
}

/// Starts posting the burst, one text after the other, in the background.
fn spawn_burst(sim: &SimulatorHandle) -> tokio::task::JoinHandle<()> {
    let admin_url = sim.info.admin_url.clone();
    tokio::spawn(async move {
        for text in burst_texts() {
            post_text(&admin_url, &text).await;
        }
    })
}

/// Posts the whole burst at once (all texts in flight together) and returns when every post was
/// answered.
async fn post_burst_at_once(sim: &SimulatorHandle) {
    let mut posts = tokio::task::JoinSet::new();
    for text in burst_texts() {
        let admin_url = sim.info.admin_url.clone();
        posts.spawn(async move { post_text(&admin_url, &text).await });
    }
    while let Some(result) = posts.join_next().await {
        result.unwrap();
    }
}

/// The bot's answers on the sender's phone: text → ids of the entries with that text.
async fn echoes(sim: &SimulatorHandle) -> BTreeMap<String, Vec<String>> {
    let (status, timeline) = admin(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{SENDER}/messages"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{timeline}");
    let mut echoes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in timeline.as_array().unwrap() {
        let from_bot = entry["from_me"] == false
            && entry["sender"]
                .as_str()
                .is_some_and(|s| s.starts_with(&format!("{BOT_PHONE}:")));
        if from_bot {
            let text = entry["text"].as_str().unwrap_or_default().to_owned();
            let id = entry["id"].as_str().unwrap_or_default().to_owned();
            echoes.entry(text).or_default().push(id);
        }
    }
    echoes
}

/// Number of echo entries (doubles counted) on the sender's phone.
fn count(echoes: &BTreeMap<String, Vec<String>>) -> usize {
    echoes.values().map(Vec::len).sum()
}

/// Waits until at least `n` echoes are on the sender's phone; returns how many there are.
async fn wait_for_echoes(sim: &SimulatorHandle, bot: &Bot, n: usize, within: Duration) -> usize {
    let deadline = Instant::now() + within;
    loop {
        let echoes = echoes(sim).await;
        let seen = count(&echoes);
        if seen >= n {
            return seen;
        }
        if Instant::now() >= deadline {
            let (_, health) = admin(&sim.info.admin_url, "GET", "/admin/health", None).await;
            let without: Vec<String> = burst_texts()
                .into_iter()
                .filter(|t| !echoes.contains_key(t))
                .collect();
            panic!(
                "only {seen} of {n} echoes within {within:?}; texts without an echo: \
                 {without:?}\nsimulator: {health}\nthe bot printed:\n{}",
                bot.output()
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until every text of the burst has an echo, then checks that each has exactly one and
/// stays so for [`SETTLE`]; then kills the bot once more, restarts it and checks again (the
/// restarted bot must not echo anything a second time).
async fn every_text_echoed_once(sim: &SimulatorHandle, store: &BotStore, bot: Bot) {
    wait_for_echoes(sim, &bot, BURST, ALL_ECHOES).await;
    assert_exactly_once(sim, &bot).await;
    bot.kill().await;
    let bot = restart(sim, store).await;
    assert_exactly_once(sim, &bot).await;
    bot.kill().await;
}

/// After [`SETTLE`], the sender's phone has exactly one echo of each text of the burst and
/// nothing else from the bot. One echo is one message id: an echo the server had not
/// acknowledged before a kill is sent again under the same id, which the simulated phone lists
/// twice where WhatsApp shows one message; those are reported, not failed.
async fn assert_exactly_once(sim: &SimulatorHandle, bot: &Bot) {
    tokio::time::sleep(SETTLE).await;
    let echoes = echoes(sim).await;
    let expected: Vec<String> = burst_texts();
    let missing: Vec<&String> = expected
        .iter()
        .filter(|t| !echoes.contains_key(*t))
        .collect();
    let distinct = |ids: &Vec<String>| ids.iter().collect::<BTreeSet<_>>().len();
    let doubled: Vec<(&String, &Vec<String>)> =
        echoes.iter().filter(|(_, ids)| distinct(ids) > 1).collect();
    let unexpected: Vec<&String> = echoes.keys().filter(|t| !expected.contains(t)).collect();
    assert!(
        missing.is_empty() && doubled.is_empty() && unexpected.is_empty(),
        "echoes: missing {missing:?}, doubled {doubled:?}, unexpected {unexpected:?}\n\
         the bot printed:\n{}",
        bot.output()
    );
    let resent: Vec<(&String, &Vec<String>)> = echoes
        .iter()
        .filter(|(_, ids)| ids.len() > distinct(ids))
        .collect();
    if !resent.is_empty() {
        eprintln!("echoes sent again under the same id: {resent:?}");
    }
}

/// Kill point (a): SIGKILL as soon as the bot printed its `k`-th `Echoed to` (the server took
/// the `k`-th echo), while the burst is still being posted.
async fn kill_after_echoes(store: &BotStore, k: usize) {
    let started = Instant::now();
    let (sim, mut bot) = linked_bot(store).await;
    let burst = spawn_burst(&sim);
    bot.expect_n("Echoed to ", k).await;
    bot.kill().await;
    let seen = count(&echoes(&sim).await);
    eprintln!("killed after echo {k}; {seen} echoes on the phone");
    let bot = restart(&sim, store).await;
    tokio::time::timeout(WAIT, burst)
        .await
        .unwrap_or_else(|_| panic!("the burst was not posted within {WAIT:?}"))
        .unwrap();
    every_text_echoed_once(&sim, store, bot).await;
    eprintln!("kill after {k} echoes: {:?}", started.elapsed());
}

async fn kill_after_3_echoes(store: Arc<BotStore>) {
    kill_after_echoes(&store, 3).await;
}

async fn kill_after_13_echoes(store: Arc<BotStore>) {
    kill_after_echoes(&store, 13).await;
}

/// Kill point (b): SIGKILL as soon as every text of the burst was posted (all at once), before
/// the bot could answer them.
async fn kill_right_after_the_burst(store: Arc<BotStore>) {
    let started = Instant::now();
    let (sim, bot) = linked_bot(&store).await;
    post_burst_at_once(&sim).await;
    bot.kill().await;
    let seen = count(&echoes(&sim).await);
    eprintln!("killed right after the burst; {seen} echoes had arrived");
    let bot = restart(&sim, &store).await;
    every_text_echoed_once(&sim, &store, bot).await;
    eprintln!("kill right after the burst: {:?}", started.elapsed());
}

/// Kill point (c): SIGKILL after the 5th echo, restart, and SIGKILL again as soon as the
/// restarted bot took up a message (it printed `Received from`, its echo may or may not be out).
async fn kill_twice_in_one_burst(store: Arc<BotStore>) {
    let started = Instant::now();
    let (sim, mut bot) = linked_bot(&store).await;
    let burst = spawn_burst(&sim);
    bot.expect_n("Echoed to ", 5).await;
    bot.kill().await;
    let seen = count(&echoes(&sim).await);
    let mut bot = restart(&sim, &store).await;
    bot.expect("Received from ").await;
    bot.kill().await;
    let again = count(&echoes(&sim).await);
    eprintln!("killed after {seen} echoes, then again at {again}");
    let bot = restart(&sim, &store).await;
    tokio::time::timeout(WAIT, burst)
        .await
        .unwrap_or_else(|_| panic!("the burst was not posted within {WAIT:?}"))
        .unwrap();
    every_text_echoed_once(&sim, &store, bot).await;
    eprintln!("kill twice in one burst: {:?}", started.elapsed());
}

openwa_testkit::store::on_every_backend! {
    persistent: [
        kill_after_3_echoes,
        kill_after_13_echoes,
        kill_right_after_the_burst,
        kill_twice_in_one_burst,
    ],
}
