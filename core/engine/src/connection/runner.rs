//! The reconnect loop of one session: connect (WebSocket + Noise handshake with the login or
//! registration payload), drive the connection, classify how it ended, back off, repeat.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use openwa_protocol::noise::TrustRoot;
use openwa_protocol::payload::{ClientConfig, login_payload, registration_payload};
use openwa_protocol::proto::wa6::device_props::PlatformType;
use prost::Message as _;
use tokio::sync::{Semaphore, mpsc, watch};

use super::channel::{NoiseChannel, handshake};
use super::command::RunSignal;
use super::driver::{Driver, DriverTimings};
use super::policy::{Backoff, Disconnect, Next};
use super::router::Router;
use crate::changed::Changed;
use crate::config::ReconnectPolicy;
use crate::context::SessionContext;
use crate::error::Error;
use crate::event::{ConnectionState, StateReason};
use crate::transport::TransportError;
use crate::transport::ws::connect_websocket;

/// What a runner needs beside the session context; shared by the sessions of one manager.
#[derive(Debug, Clone)]
pub(crate) struct RunnerParts {
    /// Connection timings.
    pub timings: DriverTimings,
    /// Reconnect delays.
    pub backoff: Backoff,
    /// Bounds how many sessions of the manager handshake at once (restore storms).
    pub connect_gate: Arc<Semaphore>,
    /// The features incoming stanzas are routed to.
    pub router: Arc<Router>,
}

/// Runs the session until it is told to stop or its connection ends for good.
///
/// `ending` is set before the final state change, so a `connect()` that sees the final state
/// waits for this runner to end instead of taking it for a live one.
pub(crate) async fn run_session(
    ctx: Arc<SessionContext>,
    parts: RunnerParts,
    mut signal: watch::Receiver<RunSignal>,
    ending: Arc<AtomicBool>,
) {
    let mut attempt = 0u32;
    let mut reason = StateReason::Requested;
    loop {
        ctx.set_state(ConnectionState::Connecting, reason, None)
            .await;
        let opened = tokio::select! {
            opened = open_channel(&ctx, &parts) => opened,
            s = signal.wait_for(|s| *s != RunSignal::Run) => {
                Err(stop_reason(s.map_or(RunSignal::Stop, |s| *s)))
            }
        };
        let disconnect = match opened {
            Ok(channel) => {
                let (commands_tx, mut commands) = mpsc::channel(64);
                ctx.set_commands(Some(commands_tx));
                let driver = Driver::new(ctx.clone(), parts.router.clone(), parts.timings);
                let ended = driver.run(channel, &mut commands, &mut signal).await;
                ctx.set_commands(None);
                for feature in parts.router.features() {
                    feature.on_closed(&ctx).await;
                }
                match ended {
                    Disconnect::Requested => stop_reason(*signal.borrow()),
                    other => other,
                }
            }
            Err(disconnect) => disconnect,
        };
        if ctx.state() == ConnectionState::Connected {
            attempt = 0;
        }
        let verdict = disconnect.verdict();
        if verdict.delete_credentials {
            ctx.reset_credentials().await;
        }
        match verdict.next {
            Next::Immediately => reason = verdict.reason,
            Next::AfterBackoff if ctx.options.auto_reconnect => {
                let policy = ctx
                    .feature::<Changed<ReconnectPolicy>>()
                    .get(ctx.options.reconnect);
                if policy.max_attempts.is_some_and(|max| attempt >= max) {
                    ending.store(true, Ordering::SeqCst);
                    let detail = verdict
                        .detail
                        .or_else(|| Some(format!("{:?}", verdict.reason)));
                    ctx.set_state(
                        ConnectionState::Disconnected,
                        StateReason::ReconnectLimit,
                        detail,
                    )
                    .await;
                    return;
                }
                ctx.set_backoff_state(verdict.state, verdict.reason, verdict.detail)
                    .await;
                let backoff = parts.backoff.for_policy(&policy);
                let delay = backoff.delay(attempt, &mut rand::rngs::OsRng);
                attempt = attempt.saturating_add(1);
                let stopped = tokio::select! {
                    () = tokio::time::sleep(delay) => None,
                    s = signal.wait_for(|s| *s != RunSignal::Run) => {
                        Some(s.map_or(RunSignal::Stop, |s| *s))
                    }
                };
                if let Some(stop) = stopped {
                    ending.store(true, Ordering::SeqCst);
                    let verdict = stop_reason(stop).verdict();
                    if verdict.delete_credentials {
                        ctx.reset_credentials().await;
                    }
                    ctx.set_state(verdict.state, verdict.reason, verdict.detail)
                        .await;
                    return;
                }
                reason = StateReason::Reconnecting;
            }
            _ => {
                ending.store(true, Ordering::SeqCst);
                ctx.set_state(verdict.state, verdict.reason, verdict.detail)
                    .await;
                return;
            }
        }
    }
}

fn stop_reason(signal: RunSignal) -> Disconnect {
    match signal {
        RunSignal::Logout => Disconnect::LoggedOut,
        RunSignal::Run | RunSignal::Stop => Disconnect::Requested,
    }
}

fn client_config(ctx: &SessionContext) -> ClientConfig {
    let browser = match ctx.options.browser.browser.to_ascii_lowercase().as_str() {
        "firefox" => PlatformType::Firefox,
        "safari" => PlatformType::Safari,
        "edge" => PlatformType::Edge,
        "opera" => PlatformType::Opera,
        "desktop" => PlatformType::Desktop,
        _ => PlatformType::Chrome,
    };
    ClientConfig {
        push_name: ctx.push_name(),
        browser_os: ctx.options.browser.os.clone(),
        browser,
        ..ClientConfig::default()
    }
}

/// WebSocket + Noise handshake with the login or registration payload.
async fn open_channel(
    ctx: &SessionContext,
    parts: &RunnerParts,
) -> Result<NoiseChannel, Disconnect> {
    let invalid = |e: Error| Disconnect::Transport(TransportError::InvalidUrl(e.message));
    let proxy = ctx.options.proxy_config().map_err(invalid)?;
    let root = TrustRoot::new(ctx.options.trust_root_key().map_err(invalid)?);
    let config = client_config(ctx);
    let (noise_key, payload) = ctx.with_credentials(|c| {
        let payload = match &c.paired {
            Some(paired) => {
                let username = paired.jid.user.parse::<u64>().unwrap_or(0);
                login_payload(&config, username, u32::from(paired.jid.device))
            }
            None => registration_payload(&config, &c.registration_keys()),
        };
        (c.noise_key.clone(), payload.encode_to_vec())
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let connect = async {
        let _permit = parts.connect_gate.acquire().await;
        let ws = connect_websocket(
            &ctx.options.server_url,
            proxy.as_ref(),
            ctx.options.tls_extra_roots_pem.as_deref(),
        )
        .await?;
        handshake(ws, &root, &noise_key, &payload, now, &mut rand::rngs::OsRng).await
    };
    match tokio::time::timeout(ctx.options.connect_timeout(), connect).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(err)) => Err(Disconnect::Transport(err)),
        Err(_) => Err(Disconnect::Transport(TransportError::Timeout("connect"))),
    }
}
