//! The bot: opens the manager, links the session if needed, and reacts to its events.

use std::sync::Arc;

use openwa::{
    AtRestKey, ConnectionState, Error, Event, EventKind, ManagerConfig, Session, SessionManager,
    StateReason, StoreBackend, StoreConfig,
};

use crate::args::Args;

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
            backend: StoreBackend::Sqlite {
                path: args.db.clone(),
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
    session.connect().await?;
    if session.state() == ConnectionState::Connected {
        announce_connected(&session);
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
            } => announce_connected(&session),
            EventKind::ConnectionState {
                state,
                reason,
                detail,
            } if is_final(state, reason) => {
                return Err(BotError::Stopped(format!(
                    "{} ({reason:?}){}",
                    state.as_str(),
                    detail.map(|d| format!(": {d}")).unwrap_or_default()
                )));
            }
            EventKind::MessageReceived { message } if !message.from_me => {
                if let Some(text) = &message.text {
                    println!("Received from {}: {text}", message.sender);
                    echo(&session, &message.chat, text).await;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Answers `text` in `chat` with the same text. A failed send is reported and the bot goes on
/// (the next message gets its echo again).
async fn echo(session: &Session, chat: &str, text: &str) {
    match session
        .send_text(chat, text, openwa::SendOptions::default())
        .await
    {
        Ok(sent) => println!("Echoed to {chat}: {}", sent.id),
        Err(err) => eprintln!("echo-bot: could not echo to {chat}: {err}"),
    }
}

fn announce_connected(session: &Session) {
    let jid = session.info().jid.unwrap_or_default();
    println!("Connected as {jid}");
}

/// States after which the session does not reconnect by itself.
fn is_final(state: ConnectionState, reason: StateReason) -> bool {
    state == ConnectionState::LoggedOut
        || (state == ConnectionState::Disconnected
            && matches!(
                reason,
                StateReason::QrTimeout
                    | StateReason::Replaced
                    | StateReason::Banned
                    | StateReason::ClientOutdated
                    | StateReason::HandshakeFailed
            ))
}
