//! Answers to the IQs of a logged-in companion (docs/PROTOCOL.md, Login to Device lists, Simulator checklist item 5). Every IQ
//! gets an answer: the ones not implemented get `501 feature-not-implemented`.

use openwa_protocol::Jid;
use openwa_protocol::Node;
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};
use openwa_protocol::stanza::prekeys as pk;
use openwa_protocol::stanza::{
    ContactResult, DeviceEntry, DeviceList, FetchPreKeys, GetKeyDigest, IqError, IqHeader, IqSpec,
    KeyDigest, PreKeyBundle, PreKeyCount, RemoveCompanionDevice, RotateSignedPreKey, UploadPreKeys,
    UserPreKeys, UsyncQuery, UsyncUserResult,
};
use rand_core::OsRng;
use sha1::{Digest, Sha1};

use crate::conn::registry::Command;
use crate::device::DeviceRef;
use crate::hub::{Hub, device_removed};
use crate::router::{IqOutcome, Router, not_implemented};
use crate::state::{Device, PreKey, SignedPreKey, State};

/// Most one-time prekeys the server keeps per device.
pub const MAX_PREKEYS: usize = 2000;

/// The `xmlns` values [`handle`] serves.
pub const NAMESPACES: [&str; 10] = [
    "w:p",
    "encrypt",
    "usync",
    "w:m",
    "abt",
    "privacy",
    "blocklist",
    "w:sync:app:state",
    "md",
    "w:profile:picture",
];

/// Serves the account, key and session IQs ([`NAMESPACES`]).
pub fn register(router: &mut Router<Hub>) {
    for xmlns in NAMESPACES {
        router.on_iq(xmlns, handle);
    }
}

/// Answers one IQ of `me`.
pub fn handle(hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader) -> IqOutcome {
    let xmlns = iq.attr_str("xmlns").unwrap_or_default();
    let kind = iq.attr_str("type").unwrap_or_default();
    let first = iq.first_child().map(|c| c.tag.clone()).unwrap_or_default();
    let bad = || header.error(&IqError::bad_request());
    let reply = match (xmlns.as_str(), kind.as_str(), first.as_str()) {
        ("w:p", "get", _) => header.result(Vec::new()),
        ("encrypt", "get", "count") => {
            let count = hub.read(|s| own_device(s, me).map_or(0, |d| d.prekeys.len()));
            PreKeyCount::response(header, &(count as u64))
        }
        ("encrypt", "set", "registration" | "list" | "identity" | "type" | "skey") => {
            match UploadPreKeys::parse_request(iq) {
                Ok((_, upload)) => {
                    hub.write(|s| apply_upload(s, me, upload));
                    header.result(Vec::new())
                }
                Err(_) => bad(),
            }
        }
        ("encrypt", "get", "key") => match FetchPreKeys::parse_request(iq) {
            Ok((_, fetch)) => {
                let users = hub.write(|s| {
                    fetch
                        .users
                        .iter()
                        .map(|u| UserPreKeys {
                            jid: u.jid.clone(),
                            bundle: bundle_for(s, &u.jid),
                        })
                        .collect::<Vec<_>>()
                });
                FetchPreKeys::response(header, &users)
            }
            Err(_) => bad(),
        },
        ("encrypt", "get", "digest") => match hub.read(|s| digest(s, me)) {
            Some(d) => GetKeyDigest::response(header, &d),
            None => header.error(&IqError::not_found()),
        },
        ("encrypt", "set", "rotate") => match RotateSignedPreKey::parse_request(iq) {
            Ok((_, rotate)) => {
                hub.write(|s| {
                    if let Some(d) = own_device_mut(s, me) {
                        d.signed_prekey = signed_from_stanza(&rotate.signed);
                    }
                });
                header.result(Vec::new())
            }
            Err(_) => bad(),
        },
        ("usync", "get", "usync") => match UsyncQuery::parse_request(iq) {
            Ok((_, query)) => {
                let users = hub.write(|s| {
                    let users = usync(s, &query);
                    if query.protocols.devices {
                        watch_devices(s, me, &users);
                    }
                    users
                });
                UsyncQuery::response(header, &users)
            }
            Err(_) => bad(),
        },
        ("w:m", "set", "media_conn") => header.result(vec![media_conn(&hub.media_host)]),
        ("abt", "get", _) => header.result(vec![
            Node::new("props")
                .attr("protocol", "1")
                .attr("hash", "openwa-sim")
                .attr("refresh", "86400"),
        ]),
        ("privacy", "get", _) => header.result(vec![privacy()]),
        ("privacy", "set", _) | ("blocklist", "set", _) | ("w:sync:app:state", "set", "sync") => {
            match first.as_str() {
                "sync" => match iq.get_child("sync") {
                    Some(sync) => {
                        header.result(vec![crate::phone::app_state::serve::sync(hub, me, sync)])
                    }
                    None => bad(),
                },
                _ => header.result(Vec::new()),
            }
        }
        ("blocklist", "get", _) => header.result(vec![Node::new("list")]),
        ("md", "set", "remove-companion-device") => {
            return remove_companion(hub, me, iq, header);
        }
        ("w:profile:picture", _, _) => header.error(&IqError::not_found()),
        _ => return not_implemented(iq, header),
    };
    reply.into()
}

fn own_device<'a>(state: &'a State, me: &DeviceRef) -> Option<&'a Device> {
    state.accounts.get(&me.phone)?.devices.get(&me.device)
}

fn own_device_mut<'a>(state: &'a mut State, me: &DeviceRef) -> Option<&'a mut Device> {
    state
        .accounts
        .get_mut(&me.phone)?
        .devices
        .get_mut(&me.device)
}

fn signed_from_stanza(signed: &pk::SignedPreKey) -> SignedPreKey {
    SignedPreKey {
        id: signed.id,
        public: signed.public,
        signature: signed.signature,
    }
}

fn apply_upload(state: &mut State, me: &DeviceRef, upload: UploadPreKeys) {
    let Some(device) = own_device_mut(state, me) else {
        return;
    };
    device.registration_id = upload.registration_id;
    device.identity = upload.identity;
    device.signed_prekey = signed_from_stanza(&upload.signed);
    for key in upload.prekeys {
        let fresh = PreKey {
            id: key.id,
            public: key.public,
        };
        // Like the real server, an id uploaded again replaces the key held under it (a client
        // re-uploads after a digest mismatch); new ids are appended up to the cap.
        if let Some(held) = device.prekeys.iter_mut().find(|k| k.id == key.id) {
            *held = fresh;
        } else if device.prekeys.len() < MAX_PREKEYS {
            device.prekeys.push_back(fresh);
        }
    }
}

/// A device's bundle, popping one one-time prekey (docs/PROTOCOL.md, Prekeys).
pub(crate) fn bundle_for(state: &mut State, jid: &Jid) -> Result<PreKeyBundle, IqError> {
    let phone = state
        .account_for_jid(jid)
        .map(|a| a.phone.clone())
        .ok_or_else(IqError::not_found)?;
    let prekey = state
        .take_prekey(&phone, jid.device, &mut OsRng)
        .map_err(|_| IqError::not_found())?;
    let device = state
        .accounts
        .get(&phone)
        .and_then(|a| a.devices.get(&jid.device))
        .ok_or_else(IqError::not_found)?;
    Ok(PreKeyBundle {
        registration_id: device.registration_id,
        identity: device.identity,
        signed: pk::SignedPreKey {
            id: device.signed_prekey.id,
            public: device.signed_prekey.public,
            signature: device.signed_prekey.signature,
        },
        prekey: prekey.map(|k| pk::PreKey {
            id: k.id,
            public: k.public,
        }),
    })
}

fn digest(state: &State, me: &DeviceRef) -> Option<KeyDigest> {
    let device = own_device(state, me)?;
    let mut hash = Sha1::new();
    hash.update(device.identity);
    hash.update(device.signed_prekey.public);
    hash.update(device.signed_prekey.signature);
    for key in &device.prekeys {
        hash.update(key.public);
    }
    Some(KeyDigest {
        registration_id: device.registration_id,
        identity: device.identity,
        signed: pk::SignedPreKey {
            id: device.signed_prekey.id,
            public: device.signed_prekey.public,
            signature: device.signed_prekey.signature,
        },
        prekey_ids: device.prekeys.iter().map(|k| k.id).collect(),
        hash: hash.finalize().to_vec(),
    })
}

/// Device lists, LIDs and contact lookups (docs/PROTOCOL.md, Device lists).
/// `me` now keeps the device lists it was given: it is told when they change.
fn watch_devices(state: &mut State, me: &DeviceRef, users: &[UsyncUserResult]) {
    for user in users {
        let watched = state.account_for_jid(&user.jid).map(|a| a.phone.clone());
        if let Some(watched) = watched {
            state.add_watcher(&watched, &me.phone);
        }
    }
}

fn usync(state: &State, query: &UsyncQuery) -> Vec<UsyncUserResult> {
    query
        .users
        .iter()
        .filter_map(|user| {
            if let Some(jid) = &user.jid {
                let account = state.account_for_jid(jid);
                return Some(UsyncUserResult {
                    jid: jid.clone(),
                    devices: query.protocols.devices.then(|| DeviceList {
                        devices: account
                            .map(|a| {
                                a.devices
                                    .values()
                                    .map(|d| match d.id {
                                        0 => DeviceEntry::primary(),
                                        id => DeviceEntry::companion(id, d.key_index),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        key_index: None,
                    }),
                    lid: if query.protocols.lid {
                        account.map(|a| Jid::lid(a.lid.clone()))
                    } else {
                        None
                    },
                    contact: query.protocols.contact.then(|| ContactResult {
                        registered: account.is_some(),
                        number: None,
                    }),
                });
            }
            let number = user.contact.as_ref()?;
            let digits: String = number
                .split('@')
                .next()
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let account = state.accounts.get(&digits);
            Some(UsyncUserResult {
                jid: Jid::new(digits.clone(), DEFAULT_USER_SERVER),
                devices: None,
                lid: account
                    .filter(|_| query.protocols.lid)
                    .map(|a| Jid::new(a.lid.clone(), HIDDEN_USER_SERVER)),
                contact: Some(ContactResult {
                    registered: account.is_some(),
                    number: Some(number.clone()),
                }),
            })
        })
        .collect()
}

fn media_conn(host: &str) -> Node {
    Node::new("media_conn")
        .attr("auth", "openwa-sim-media-auth")
        .attr("ttl", "300")
        .attr("auth_ttl", "21600")
        .attr("max_buckets", "12")
        .child(Node::new("host").attr("hostname", host))
}

fn privacy() -> Node {
    let categories = [
        ("last", "all"),
        ("online", "all"),
        ("profile", "all"),
        ("status", "all"),
        ("groupadd", "all"),
        ("readreceipts", "all"),
        ("calladd", "all"),
    ];
    Node::new("privacy").children(
        categories
            .iter()
            .map(|(name, value)| {
                Node::new("category")
                    .attr("name", *name)
                    .attr("value", *value)
            })
            .collect(),
    )
}

fn remove_companion(hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader) -> IqOutcome {
    let Ok((_, remove)) = RemoveCompanionDevice::parse_request(iq) else {
        return header.error(&IqError::bad_request()).into();
    };
    let same_account = hub
        .read(|s| s.account_for_jid(&remove.device).map(|a| a.phone.clone()))
        .filter(|phone| *phone == me.phone);
    if same_account.is_none() || remove.device.device == 0 {
        return header.error(&IqError::new(403, "forbidden")).into();
    }
    let target = remove.device.device;
    if hub.write(|s| s.remove_device(&me.phone, target)).is_err() {
        return header.error(&IqError::not_found()).into();
    }
    tracing::info!(phone = %me.phone, device = target, reason = %remove.reason, "companion logged out");
    hub.device_list_changed(&me.phone);
    if target == me.device {
        return IqOutcome {
            reply: header.result(Vec::new()),
            then_close: Some(device_removed()),
        };
    }
    if let Some(conn) = hub.registry.device(&me.phone, target) {
        conn.send(Command::SendAndClose(device_removed()));
    }
    header.result(Vec::new()).into()
}
