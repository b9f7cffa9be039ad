//! The `w:mex` GraphQL IQ for newsletters: each query id (protocol::stanza::newsletter::mex) is
//! answered with `{"data": {PATH: …}}` in the shape WhatsApp clients read, or with
//! `{"data": null, "errors": [{"message", "extensions": {"error_code"}}]}`.

use openwa_protocol::Node;
use openwa_protocol::stanza::newsletter::mex;
use openwa_protocol::stanza::{IqError, IqHeader, IqSpec, MexQuery};
use rand_core::OsRng;
use serde_json::{Value, json};

use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::{IqOutcome, Router, not_implemented};
use crate::state::{Newsletter, State, invite_code};
use crate::util::now_secs;

/// A GraphQL error: code and message.
#[derive(Debug)]
struct MexError(u16, &'static str);

const NOT_FOUND: MexError = MexError(404, "newsletter not found");
const NOT_OWNER: MexError = MexError(403, "only the owner may do this");
const BAD_VARIABLES: MexError = MexError(400, "missing or invalid variables");

/// Serves the `w:mex` IQs (only `get` with a `<query>`; 501 for the rest).
pub fn register(router: &mut Router<Hub>) {
    router.on_iq(
        "w:mex",
        |hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader| {
            let kind = iq.attr_str("type").unwrap_or_default();
            let first = iq.first_child().map(|c| c.tag.as_str() == "query");
            if kind != "get" || first != Some(true) {
                return not_implemented(iq, header);
            }
            IqOutcome::from(handle(hub, me, iq, header))
        },
    );
}

/// Answers one `w:mex` IQ of `me`.
pub fn handle(hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader) -> Node {
    let Ok((_, query)) = MexQuery::parse_request(iq) else {
        return header.error(&IqError::bad_request());
    };
    let variables = serde_json::from_slice::<Value>(&query.body)
        .ok()
        .and_then(|body| body.get("variables").cloned());
    let answer = match variables {
        Some(variables) => run(hub, me, &query.query_id, &variables),
        None => Err(BAD_VARIABLES),
    };
    let body = match answer {
        Ok((path, value)) => json!({ "data": { path: value } }),
        Err(MexError(code, message)) => json!({
            "data": null,
            "errors": [{ "message": message, "extensions": { "error_code": code } }],
        }),
    };
    MexQuery::response(header, &body.to_string().into_bytes())
}

fn run(
    hub: &Hub,
    me: &DeviceRef,
    query_id: &str,
    variables: &Value,
) -> Result<(&'static str, Value), MexError> {
    let target = || -> Result<String, MexError> {
        let jid = variables["newsletter_id"].as_str().ok_or(BAD_VARIABLES)?;
        let jid = jid.parse().map_err(|_| BAD_VARIABLES)?;
        hub.read(|s| super::find(s, &jid).map(|n| n.id.clone()))
            .ok_or(NOT_FOUND)
    };
    let phone = me.phone.as_str();
    match query_id {
        mex::CREATE => {
            let input = &variables["input"];
            let name = input["name"].as_str().filter(|n| !n.trim().is_empty());
            let name = name.ok_or(BAD_VARIABLES)?;
            let description = input["description"].as_str().unwrap_or_default();
            let view = hub.write(|s| {
                let id = create(s, phone, name, description);
                view(&s.newsletters[&id], phone)
            });
            Ok(("xwa2_newsletter_create", view))
        }
        mex::METADATA => {
            let input = &variables["input"];
            let key = input["key"].as_str().ok_or(BAD_VARIABLES)?;
            let by_invite = input["type"].as_str() == Some("INVITE");
            let view = hub.read(|s| {
                let found = if by_invite {
                    s.newsletters.values().find(|n| n.invite == key)
                } else {
                    key.parse().ok().and_then(|jid| super::find(s, &jid))
                };
                found.map(|n| view(n, phone))
            });
            Ok(("xwa2_newsletter", view.ok_or(NOT_FOUND)?))
        }
        mex::FOLLOW | mex::UNFOLLOW | mex::MUTE | mex::UNMUTE => {
            let id = target()?;
            let view = hub.write(|s| {
                let newsletter = s.newsletters.get_mut(&id)?;
                let me = phone.to_owned();
                match query_id {
                    mex::FOLLOW if newsletter.owner != phone => {
                        newsletter.followers.insert(me);
                    }
                    mex::UNFOLLOW => {
                        newsletter.followers.remove(&me);
                        newsletter.muted.remove(&me);
                    }
                    mex::MUTE => {
                        newsletter.muted.insert(me);
                    }
                    mex::UNMUTE => {
                        newsletter.muted.remove(&me);
                    }
                    _ => {}
                }
                Some(view(newsletter, phone))
            });
            let path = match query_id {
                mex::FOLLOW => "xwa2_newsletter_join_v2",
                mex::UNFOLLOW => "xwa2_newsletter_leave_v2",
                mex::MUTE => "xwa2_newsletter_mute_v2",
                _ => "xwa2_newsletter_unmute_v2",
            };
            Ok((path, view.ok_or(NOT_FOUND)?))
        }
        mex::UPDATE_METADATA => {
            let id = target()?;
            let updates = &variables["updates"];
            let view = hub.write(|s| {
                let newsletter = s.newsletters.get_mut(&id).ok_or(NOT_FOUND)?;
                if newsletter.owner != phone {
                    return Err(NOT_OWNER);
                }
                if let Some(name) = updates["name"].as_str() {
                    newsletter.name = name.to_owned();
                }
                if let Some(description) = updates["description"].as_str() {
                    newsletter.description = description.to_owned();
                }
                Ok(view(newsletter, phone))
            })?;
            Ok(("xwa2_newsletter_update", view))
        }
        mex::SUBSCRIBERS => {
            let id = target()?;
            let count = hub.read(|s| s.newsletters.get(&id).map(|n| n.followers.len()));
            let count = count.ok_or(NOT_FOUND)?;
            Ok((
                "xwa2_newsletter_subscribers",
                json!({ "id": super::jid(&id).to_string(), "subscribers_count": count.to_string() }),
            ))
        }
        mex::ADMIN_COUNT => {
            let id = target()?;
            Ok((
                "xwa2_newsletter_admin",
                json!({ "id": super::jid(&id).to_string(), "admin_count": 1 }),
            ))
        }
        mex::DELETE => {
            let id = target()?;
            hub.write(|s| match s.newsletters.get(&id) {
                Some(n) if n.owner != phone => Err(NOT_OWNER),
                _ => Ok(s.newsletters.remove(&id)),
            })?;
            Ok((
                "xwa2_newsletter_delete_v2",
                json!({ "id": super::jid(&id).to_string(), "state": { "type": "DELETED" } }),
            ))
        }
        _ => Err(MexError(400, "unknown query id")),
    }
}

/// Creates a newsletter owned by `owner`; returns its id.
pub fn create(state: &mut State, owner: &str, name: &str, description: &str) -> String {
    state.newsletters_created += 1;
    let id = format!("1203639{:011}", state.newsletters_created);
    let newsletter = Newsletter {
        id: id.clone(),
        name: name.to_owned(),
        description: description.to_owned(),
        created: now_secs(),
        invite: invite_code(&mut OsRng),
        owner: owner.to_owned(),
        followers: Default::default(),
        muted: Default::default(),
        posts: Vec::new(),
    };
    state.newsletters.insert(id.clone(), newsletter);
    id
}

/// The newsletter as `viewer` sees it (GraphQL `XWA2Newsletter`).
fn view(newsletter: &Newsletter, viewer: &str) -> Value {
    let created = newsletter.created.to_string();
    let role = if newsletter.owner == viewer {
        "OWNER"
    } else if newsletter.followers.contains(viewer) {
        "SUBSCRIBER"
    } else {
        "GUEST"
    };
    let mute = if newsletter.muted.contains(viewer) {
        "ON"
    } else {
        "OFF"
    };
    let no_picture = json!({ "id": "", "type": "IMAGE", "direct_path": "" });
    json!({
        "id": super::jid(&newsletter.id).to_string(),
        "state": { "type": "ACTIVE" },
        "thread_metadata": {
            "creation_time": created,
            "name": { "id": created, "text": newsletter.name, "update_time": created },
            "description": { "id": created, "text": newsletter.description, "update_time": created },
            "invite": newsletter.invite,
            "handle": null,
            "subscribers_count": newsletter.followers.len().to_string(),
            "verification": "UNVERIFIED",
            "picture": no_picture,
            "preview": no_picture,
            "settings": { "reaction_codes": { "value": "ALL" } },
        },
        "viewer_metadata": { "mute": mute, "role": role },
    })
}
