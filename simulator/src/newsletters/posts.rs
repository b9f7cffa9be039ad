//! Newsletter posts: an owner's post is stored with the next server id, acknowledged with it and
//! delivered to every follower device; reactions are kept per follower; `newsletter` IQs answer
//! history (`message_updates`) and live-update subscriptions.

use openwa_protocol::Node;
use openwa_protocol::stanza::{
    Ack, AckClass, FetchPosts, IqError, IqHeader, IqSpec, LiveUpdates, OutgoingPost, Post, PostBody,
};

use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::{IqOutcome, Router};
use crate::state::NewsletterPost;
use crate::util::now_secs;

/// How long a live-update subscription lasts (seconds).
pub const LIVE_UPDATES_SECONDS: u32 = 300;

/// Why a post was refused, as the ack's error code.
const NOT_FOUND: u16 = 404;
const FORBIDDEN: u16 = 403;
const INVALID: u16 = 479;

/// Handles a `<message>` to a newsletter from `me`; returns the server ack.
pub fn route(hub: &Hub, me: &DeviceRef, node: &Node) -> Node {
    let id = node.attr_str("id").unwrap_or_default();
    let post = match OutgoingPost::from_node(node) {
        Ok(post) => post,
        Err(e) => {
            tracing::info!(phone = %me.phone, error = %e, "invalid newsletter post");
            return refused(&id, INVALID);
        }
    };
    let t = now_secs();
    let outcome = hub.write(|s| {
        let newsletter = super::find_mut(s, &post.to).ok_or(NOT_FOUND)?;
        match &post.body {
            PostBody::Message { kind, plaintext } => {
                if newsletter.owner != me.phone {
                    return Err(FORBIDDEN);
                }
                let stored = NewsletterPost {
                    server_id: newsletter.posts.len() as u64 + 1,
                    id: post.id.clone(),
                    t,
                    kind: kind.clone(),
                    plaintext: plaintext.clone(),
                    reactions: Default::default(),
                };
                let server_id = stored.server_id;
                newsletter.posts.push(stored);
                let audience = super::find(s, &post.to)
                    .map(|newsletter| super::audience(s, newsletter))
                    .unwrap_or_default();
                Ok((server_id, audience))
            }
            PostBody::Reaction { server_id, code } => {
                if newsletter.owner != me.phone && !newsletter.followers.contains(&me.phone) {
                    return Err(FORBIDDEN);
                }
                let target = newsletter
                    .posts
                    .iter_mut()
                    .find(|p| p.server_id == *server_id)
                    .ok_or(NOT_FOUND)?;
                match code {
                    Some(code) => target.reactions.insert(me.phone.clone(), code.clone()),
                    None => target.reactions.remove(&me.phone),
                };
                Ok((*server_id, Vec::new()))
            }
        }
    });
    let (server_id, audience) = match outcome {
        Ok(done) => done,
        Err(code) => return refused(&id, code),
    };
    if let PostBody::Message { kind, plaintext } = post.body {
        let delivered = Post {
            id: post.id.clone(),
            server_id,
            t,
            kind,
            plaintext,
        }
        .to_node(&post.to);
        for (phone, device) in audience {
            if phone == me.phone && device == me.device {
                continue;
            }
            hub.deliver(&phone, device, delivered.clone());
        }
    }
    let mut ack = Ack::message_accepted(post.id, post.to, t);
    ack.server_id = Some(server_id.to_string());
    ack.to_node()
}

fn refused(id: &str, code: u16) -> Node {
    let mut ack = Ack::new(id, AckClass::Message);
    ack.error = Some(code);
    ack.to_node()
}

/// Serves the `newsletter` IQs.
pub fn register(router: &mut Router<Hub>) {
    router.on_iq(
        "newsletter",
        |hub: &Hub, _: &DeviceRef, iq: &Node, header: &IqHeader| {
            IqOutcome::from(handle_iq(hub, iq, header))
        },
    );
}

/// Answers an `xmlns="newsletter"` IQ: `live_updates` and `message_updates`.
pub fn handle_iq(hub: &Hub, iq: &Node, header: &IqHeader) -> Node {
    if let Ok((_, live)) = LiveUpdates::parse_request(iq) {
        return match hub.read(|s| super::find(s, &live.newsletter).is_some()) {
            true => LiveUpdates::response(header, &Some(LIVE_UPDATES_SECONDS)),
            false => header.error(&IqError::not_found()),
        };
    }
    let Ok((_, fetch)) = FetchPosts::parse_request(iq) else {
        return header.error(&IqError::bad_request());
    };
    let posts = hub.read(|s| {
        super::find(s, &fetch.newsletter).map(|newsletter| {
            let matching: Vec<Post> = newsletter
                .posts
                .iter()
                .filter(|p| fetch.after.is_none_or(|after| p.server_id > after))
                .filter(|p| fetch.since.is_none_or(|since| p.t >= since))
                .map(|p| Post {
                    id: p.id.clone(),
                    server_id: p.server_id,
                    t: p.t,
                    kind: p.kind.clone(),
                    plaintext: p.plaintext.clone(),
                })
                .collect();
            let skip = matching.len().saturating_sub(fetch.count as usize);
            matching.into_iter().skip(skip).collect::<Vec<_>>()
        })
    });
    match posts {
        Some(posts) => FetchPosts::response(header, &posts),
        None => header.error(&IqError::not_found()),
    }
}
