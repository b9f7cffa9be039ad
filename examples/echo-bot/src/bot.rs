//! The bot: opens the manager, links the session if needed, follows the connection through the
//! session's live events, and echoes the incoming texts through a durable consumer of the event
//! log.
//!
//! Echoes survive a crash at any point: the consumer's position moves past a message only once
//! its echo was accepted, so after a restart the bot reads again every message it had not
//! finished; and each echo is sent with the incoming message's id as idempotency key, so a
//! message echoed before the crash but not yet acknowledged gets the original echo back instead
//! of a second one.

use std::sync::Arc;
use std::time::Duration;

use openwa::{
    AtRestKey, ConnectionState, Error, ErrorCode, Event, EventKind, EventStream, ManagerConfig,
    Message, SendOptions, Session, SessionManager, StoreBackend, StoreConfig,
};

use crate::args::{Args, Db};

/// First wait before retrying a failed echo; doubled after each failure up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// Longest wait between two tries of the same echo.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// What ended the bot.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// An engine call failed.
    #[error(transparent)]
    Engine(#[from] Error),
    /// The session can no longer run by itself (logged out, handshake refused, QR expired…).
    #[error("stopped: {0}")]
    Stopped(String),
}

/// Runs until Ctrl-C or until the session stops for good.
pub async fn run(args: Args) -> Result<(), BotError> {
    let manager = SessionManager::open(ManagerConfig {
        store: StoreConfig {
            backend: match &args.db {
                Db::Sqlite(path) => StoreBackend::Sqlite { path: path.clone() },
                Db::Postgres(url) => StoreBackend::Postgres { url: url.clone() },
            },
            at_rest_key: Some(AtRestKey::File {
                path: args.key_path(),
            }),
        },
        default_session_options: args.options.clone(),
        ..ManagerConfig::default()
    })
    .await?;
    let result = tokio::select! {
        result = serve(&manager, &args) => result,
        _ = tokio::signal::ctrl_c() => Ok(()),
    };
    manager.close().await?;
    result
}

/// The session of the bot: the stored one if it is paired, otherwise a fresh one with the
/// options of the command line.
async fn session(manager: &SessionManager, args: &Args) -> Result<Arc<Session>, Error> {
    if let Ok(session) = manager.get(&args.session).await {
        if session.is_paired() {
            return Ok(session);
        }
        manager.delete(&args.session).await?;
    }
    manager.create_session(&args.session, None).await
}

async fn serve(manager: &SessionManager, args: &Args) -> Result<(), BotError> {
    let session = session(manager, args).await?;
    let events = session.events();
    // The consumer is named after the session: a consumer name is bound to one session, and
    // one database may hold several bots (`--session`).
    let messages = manager.consumer(&args.session, Some(&args.session)).await?;
    session.connect().await?;
    tokio::select! {
        result = follow_connection(&session, &events, args) => result,
        result = echo_all(&session, &messages) => result,
    }
}

/// Prints the QR codes, the pairing code and the connection, from the live events (a replay of
/// older ones would show stale codes); returns when the session stops for good.
async fn follow_connection(
    session: &Session,
    events: &EventStream,
    args: &Args,
) -> Result<(), BotError> {
    if session.state() == ConnectionState::Connected {
        announce_connected(session);
    }
    let mut code_requested = false;
    while let Some(event) = events.next().await {
        let Event { kind, .. } = event;
        match kind {
            EventKind::Qr { code, .. } if args.pair_code.is_none() => {
                if let Ok(art) = openwa::qr_terminal(&code) {
                    println!("{art}");
                }
                println!("Scan this QR code with WhatsApp (Linked devices), or link it by hand:");
                println!("QR: {code}");
            }
            EventKind::ConnectionState {
                state: ConnectionState::WaitingForQr,
                ..
            } if !code_requested => {
                if let Some(phone) = &args.pair_code {
                    code_requested = true;
                    session.pair_with_code(phone).await?;
                }
            }
            EventKind::PairingCode { code } => {
                println!("On the phone: Linked devices > Link with phone number, enter:");
                println!("Pairing code: {code}");
            }
            EventKind::Paired { jid, .. } => println!("Linked as {jid}"),
            EventKind::ConnectionState {
                state: ConnectionState::Connected,
                ..
            } => announce_connected(session),
            EventKind::ConnectionState {
                state,
                reason,
                detail,
                will_reconnect: false,
            } => {
                return Err(BotError::Stopped(format!(
                    "{} ({reason:?}){}",
                    state.as_str(),
                    detail.map(|d| format!(": {d}")).unwrap_or_default()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Reads the session's events from the durable consumer (first those logged after its stored
/// position, then the live ones; such a stream never lags) and echoes every incoming text. An
/// event is acknowledged only once it is dealt with, so a restart resumes with the first event
/// not dealt with.
async fn echo_all(session: &Session, events: &EventStream) -> Result<(), BotError> {
    while let Some(event) = events.next().await {
        if let EventKind::MessageReceived { message } = &event.kind
            && !message.from_me
            && let Some(text) = message.text.as_deref().filter(|t| !t.is_empty())
        {
            println!("Received from {}: {text}", message.sender);
            echo(session, message, text).await?;
        }
        // A failed ack only means this event is read again after a restart: the idempotency
        // key keeps its echo single, so the bot goes on.
        if let Err(err) = events.ack(event.seq).await {
            eprintln!(
                "echo-bot: could not store the position {}: {err}",
                event.seq
            );
        }
    }
    Ok(())
}

/// Answers `message` with the same `text`, keyed by the message's id so that it is sent once
/// even if the bot echoes the message again after a crash. Returns once the echo is accepted,
/// or when the message cannot be answered at all (reported, then skipped); retries a
/// retryable failure with backoff; any other failure stops the bot, before the message is
/// acknowledged.
async fn echo(session: &Session, message: &Message, text: &str) -> Result<(), BotError> {
    let chat = &message.chat;
    let mut backoff = FIRST_BACKOFF;
    loop {
        let options = SendOptions {
            idempotency_key: Some(message.id.clone()),
            ..SendOptions::default()
        };
        match session.send_text(chat, text, options).await {
            Ok(sent) => {
                println!("Echoed to {chat}: {}", sent.id);
                return Ok(());
            }
            Err(err) if err.retryable && err.code == ErrorCode::NotConnected => {
                // The normal case at start-up and during a reconnection: retry as soon as the
                // session is connected (a timeout here is only the backoff running out).
                let wait_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX);
                let _ = session
                    .wait_for_state(ConnectionState::Connected, wait_ms)
                    .await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(err) if err.retryable => {
                eprintln!(
                    "echo-bot: could not echo {} to {chat} yet ({err}); retrying in {} ms",
                    message.id,
                    backoff.as_millis()
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(err) if cannot_be_answered(&err) => {
                eprintln!(
                    "echo-bot: {} in {chat} cannot be echoed, skipped: {err}",
                    message.id
                );
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        }
    }
}

/// Failures that come from the message itself (a chat the bot cannot write to, such as a group
/// or a number that left WhatsApp), not from the bot's state: retrying would fail the same way,
/// and stopping would stop again at the same message after every restart.
fn cannot_be_answered(err: &Error) -> bool {
    matches!(
        err.code,
        ErrorCode::InvalidArgument | ErrorCode::NotFound | ErrorCode::Unsupported
    )
}

fn announce_connected(session: &Session) {
    let jid = session.info().jid.unwrap_or_default();
    println!("Connected as {jid}");
}
