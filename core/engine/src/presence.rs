//! Presence and chat state (docs/PROTOCOL.md, Presence and chat state): our own availability,
//! subscriptions to a contact's availability, and typing / recording indicators, both ways.
//! The server keeps none of it: a contact's presence arrives only while we are subscribed and
//! connected, and each arrival is an event like any other.

use std::sync::Arc;

use openwa_protocol::stanza::addressing::Peer;
use openwa_protocol::stanza::chatstate::{ChatState as WireChatState, ChatStateKind};
use openwa_protocol::stanza::presence::{LastSeen, Presence};
use openwa_protocol::{Jid, Node};

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::event::{ChatState, ConnectionState, EventKind};

/// Presence and chat state as a feature: contacts' `<presence>` and `<chatstate>` pushes.
#[derive(Debug)]
pub(crate) struct PresenceFeature;

impl Feature for PresenceFeature {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::tag("presence"), Route::tag("chatstate")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async move {
            let kind = match node.tag.as_str() {
                "presence" => presence_event(node),
                _ => chat_state_event(node),
            };
            match kind {
                Ok(Some(kind)) => {
                    if let Err(err) = ctx.bus().emit(&ctx.id, kind).await {
                        tracing::warn!(session = %ctx.id, %err, "presence event not logged");
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::debug!(session = %ctx.id, %err, "unparsable presence or chat state")
                }
            }
            Handled::Done
        })
    }
}

/// The event of a `<presence>` push (none for other presence stanzas).
fn presence_event(node: &Node) -> Result<Option<EventKind>, Error> {
    let presence = Presence::from_node(node).map_err(|e| Error::invalid_argument(e.to_string()))?;
    let Presence::Update {
        from,
        available,
        last,
    } = presence
    else {
        return Ok(None);
    };
    Ok(Some(EventKind::Presence {
        user: from.to_non_ad().to_string(),
        available,
        last_seen: match last {
            Some(LastSeen::At(at)) => Some(at),
            _ => None,
        },
        last_seen_hidden: last == Some(LastSeen::Denied),
    }))
}

/// The event of a `<chatstate>` push.
fn chat_state_event(node: &Node) -> Result<Option<EventKind>, Error> {
    let state =
        WireChatState::from_node(node).map_err(|e| Error::invalid_argument(e.to_string()))?;
    let from = state.peer.jid().to_non_ad();
    let sender = state
        .participant
        .map_or_else(|| from.clone(), |p| p.to_non_ad());
    Ok(Some(EventKind::ChatState {
        chat: from.to_string(),
        sender: sender.to_string(),
        state: match state.state {
            ChatStateKind::Composing => ChatState::Typing,
            ChatStateKind::Recording => ChatState::Recording,
            ChatStateKind::Paused => ChatState::Paused,
        },
    }))
}

fn connected(shared: &SessionContext) -> Result<(), Error> {
    if shared.state() == ConnectionState::Connected {
        Ok(())
    } else {
        Err(Error::new(
            ErrorCode::NotConnected,
            "the session is not connected",
        ))
    }
}

/// Tells the server (and so our contacts) that we are available or not, under our push name.
pub(crate) async fn set_presence(shared: &SessionContext, available: bool) -> Result<(), Error> {
    connected(shared)?;
    let name = shared.push_name();
    shared
        .send_node(Presence::Set { available, name }.to_node())
        .await
}

/// Asks for `user`'s presence updates (they arrive as `Presence` events while connected).
pub(crate) async fn subscribe(shared: &SessionContext, user: &Jid) -> Result<(), Error> {
    connected(shared)?;
    let subscribe = Presence::Subscribe {
        to: user.clone(),
        tctoken: None,
    };
    shared.send_node(subscribe.to_node()).await
}

/// Shows `state` (typing, recording, paused) in `chat`.
pub(crate) async fn send_chat_state(
    shared: &SessionContext,
    chat: &Jid,
    state: ChatState,
) -> Result<(), Error> {
    connected(shared)?;
    let state = WireChatState {
        peer: Peer::To(chat.clone()),
        participant: None,
        state: match state {
            ChatState::Typing => ChatStateKind::Composing,
            ChatState::Recording => ChatStateKind::Recording,
            ChatState::Paused => ChatStateKind::Paused,
        },
    };
    shared.send_node(state.to_node()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_become_events() {
        let update = Presence::Update {
            from: "15550001:2@s.whatsapp.net".parse().unwrap(),
            available: false,
            last: Some(LastSeen::At(1_700_000_000)),
        };
        assert_eq!(
            presence_event(&update.to_node()).unwrap(),
            Some(EventKind::Presence {
                user: "15550001@s.whatsapp.net".into(),
                available: false,
                last_seen: Some(1_700_000_000),
                last_seen_hidden: false,
            })
        );
        let typing = WireChatState {
            peer: Peer::From("120363000000000001@g.us".parse().unwrap()),
            participant: Some("15550001@s.whatsapp.net".parse().unwrap()),
            state: ChatStateKind::Recording,
        };
        assert_eq!(
            chat_state_event(&typing.to_node()).unwrap(),
            Some(EventKind::ChatState {
                chat: "120363000000000001@g.us".into(),
                sender: "15550001@s.whatsapp.net".into(),
                state: ChatState::Recording,
            })
        );
        assert!(chat_state_event(&Node::new("chatstate")).is_err());
    }
}
