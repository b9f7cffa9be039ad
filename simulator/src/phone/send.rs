//! Sending as the phone: build the `Message`, encrypt it for every device of the recipient
//! (and, wrapped in a `DeviceSentMessage`, for the phone's own companions), or for a group: a
//! sender key distribution to every member device plus one `skmsg`; then route the stanza like
//! any client's.

use openwa_protocol::Jid;
use openwa_protocol::actions::{MessageChange, edit_attribute, edit_message, revoke_message};
use openwa_protocol::content::{ContentKind, device_sent, text_message};
use openwa_protocol::jid::HIDDEN_USER_SERVER;
use openwa_protocol::media;
use openwa_protocol::message::{generate_message_id, pad};
use openwa_protocol::proto::e2e;
use openwa_protocol::signal::{self, IdentityKey, SenderKeyName};
use openwa_protocol::stanza::{AddressingMode, DeviceEnc, Enc, EncKind, OutgoingMessage};
use prost::Message as _;
use rand_core::{OsRng, RngCore};

use super::content::{self, Content, MediaRef, describe};
use super::details::{self, ContactRef, LocationRef};
use super::store::{PhoneStore, run};
use super::timeline::TimelineEntry;
use super::{PhoneError, peer_address, phone_ref, pn_device};
use crate::hub::Hub;
use crate::state::{State, StateError};
use crate::util::now_secs;

/// Most sent messages kept for answering retry receipts.
pub const MAX_SENT_PAYLOADS: usize = 1_000;

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// A text message.
    Text(String),
    /// A media message: encrypted and uploaded to the media host first.
    Media(MediaBody),
    /// A reaction to message `id` of the chat (empty emoji removes it).
    Reaction {
        /// The message reacted to.
        id: String,
        /// The emoji.
        emoji: String,
    },
    /// A location pin.
    Location(LocationRef),
    /// One or more contact cards.
    Contacts(Vec<ContactRef>),
    /// An edit of the phone's own message `id` of the chat: its new text.
    Edit {
        /// The message edited.
        id: String,
        /// Its new text.
        text: String,
    },
    /// A revoke (delete for everyone) of the phone's own message `id` of the chat.
    Revoke {
        /// The message revoked.
        id: String,
    },
    /// A poll.
    Poll(super::polls::NewPoll),
    /// A vote on the poll `id` of the chat.
    Vote {
        /// The poll.
        id: String,
        /// The chosen options (none: the vote is withdrawn).
        options: Vec<String>,
    },
}

/// What a message replies to and whom it mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// The id of a message of the chat it replies to.
    pub quoted: Option<String>,
    /// The users it mentions (JIDs).
    pub mentions: Vec<String>,
}

/// The media of a [`Body::Media`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaBody {
    /// `image`, `video`, `gif`, `audio`, `ptt`, `document` or `sticker`.
    pub kind: String,
    /// The file.
    pub data: Vec<u8>,
    /// MIME type.
    pub mimetype: String,
    /// Caption.
    pub caption: Option<String>,
    /// File name (documents).
    pub file_name: Option<String>,
    /// Duration in seconds.
    pub seconds: Option<u32>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Animated sticker.
    pub animated: Option<bool>,
    /// Voice-note waveform.
    pub waveform: Option<Vec<u8>>,
    /// View once (images and videos).
    pub view_once: bool,
}

/// The media kinds a phone sends.
pub const MEDIA_KINDS: [&str; 7] = [
    "image", "video", "gif", "audio", "ptt", "document", "sticker",
];

/// A message the phone sent.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sent {
    /// Message id.
    pub id: String,
    /// The chat it went to.
    pub chat: String,
    /// Unix time.
    pub timestamp: u64,
}

/// One device a message is encrypted for.
pub(crate) struct Target {
    /// Its account.
    pub(crate) phone: String,
    /// Its device id.
    pub(crate) device: u16,
    /// The JID put in `<to jid>`.
    pub(crate) jid: Jid,
    /// An own companion (gets a `DeviceSentMessage`).
    pub(crate) own: bool,
}

/// Sends `body` from the phone of `phone` to `to` (a phone number, user JID or group JID).
pub fn send(hub: &Hub, phone: &str, to: &str, body: Body) -> Result<Sent, PhoneError> {
    send_with(hub, phone, to, body, Reply::default())
}

/// [`send`], replying to a message of the chat and mentioning users as `reply` says.
pub fn send_with(
    hub: &Hub,
    phone: &str,
    to: &str,
    body: Body,
    reply: Reply,
) -> Result<Sent, PhoneError> {
    let me = hub.read(|s| phone_ref(s, phone))?;
    let chat = resolve_chat(hub, phone, to)?;
    let now = now_secs();
    let mut message = build(hub, phone, &chat, body, now)?;
    add_reply(hub, phone, &chat, &mut message, &reply)?;
    let change = MessageChange::of(&openwa_protocol::content::unwrap(message.clone()).message);
    let content = describe(&message);
    if content.is_none() && change.is_none() {
        return Err(PhoneError::BadRequest("nothing to send".to_owned()));
    }
    let id = generate_message_id(now, Some(phone), &mut OsRng);
    let content_kind = ContentKind::of(&openwa_protocol::content::unwrap(message.clone()).message);
    let kind = content_kind.stanza_type();
    let mediatype = content
        .as_ref()
        .and_then(|c| c.media.as_ref())
        .map(|m| m.media_type.clone());
    let hide = change.is_some()
        || content
            .as_ref()
            .is_some_and(|c| c.kind == ContentKind::Reaction);
    let plaintext = message.encode_to_vec();
    record_sent(hub, phone, &id, &chat, content, &plaintext, now)?;
    // A vote already changed the tally (`polls::vote_message`).
    let timeline_change = change
        .as_ref()
        .filter(|c| !matches!(c, MessageChange::PollVote { .. }));
    if let Some(change) = timeline_change {
        let edit = match change {
            MessageChange::Edit { message, .. } => Some(openwa_protocol::content::text(message)),
            MessageChange::Revoke { .. } | MessageChange::PollVote { .. } => None,
        };
        let author = Jid::pn(phone).to_string();
        hub.write(|s| {
            if let Ok(account) = s.account_mut(phone) {
                account
                    .timeline
                    .apply_change(&chat.to_string(), change.target(), &author, edit);
            }
        });
    }

    let encrypted = if chat.is_group() {
        hub.write(|s| encrypt_group(s, phone, &chat, &plaintext))
            .map(|(participants, skmsg)| (participants, Some(skmsg)))
    } else {
        hub.write(|s| encrypt_direct(s, phone, &chat, &message))
            .map(|participants| (participants, None))
    };
    let (participants, skmsg) = match encrypted {
        Ok(parts) => parts,
        Err(e) => {
            forget_sent(hub, phone, &id);
            return Err(e);
        }
    };
    let decorate = |mut enc: Enc| {
        enc.mediatype = mediatype.clone();
        enc.decrypt_fail = hide.then(|| "hide".to_owned());
        enc
    };
    let mut outgoing = OutgoingMessage::new(id.clone(), chat.clone(), kind);
    outgoing.edit = edit_attribute(&message).map(str::to_owned);
    outgoing
        .extra
        .extend(openwa_protocol::poll::stanza_meta(&content_kind));
    // In groups the SKDMs go as they are and the skmsg carries the content attributes.
    let group = skmsg.is_some();
    outgoing.participants = participants
        .into_iter()
        .map(|p| DeviceEnc {
            jid: p.jid,
            enc: if group { p.enc } else { decorate(p.enc) },
        })
        .collect();
    if let Some(skmsg) = skmsg {
        outgoing.direct = vec![decorate(skmsg)];
        let pn_mode = hub.read(|s| s.group(&chat.user).is_ok_and(|g| g.pn_addressing));
        outgoing.addressing_mode = Some(if pn_mode {
            AddressingMode::Pn
        } else {
            AddressingMode::Lid
        });
    }
    hub.dispatch(&me, &outgoing.to_node());
    Ok(Sent {
        id,
        chat: chat.to_string(),
        timestamp: now,
    })
}

/// The chat JID for `to`: a group the phone is in, or an account's PN user JID.
fn resolve_chat(hub: &Hub, phone: &str, to: &str) -> Result<Jid, PhoneError> {
    let to = to.trim().trim_start_matches('+');
    let jid: Jid = if to.contains('@') {
        to.parse()
            .map_err(|e| PhoneError::BadRequest(format!("bad recipient {to:?}: {e}")))?
    } else {
        Jid::pn(to)
    };
    hub.read(|s| {
        if jid.is_group() {
            let group = s.group(&jid.user)?;
            if group.participant(phone).is_none() {
                return Err(PhoneError::BadRequest(format!(
                    "{phone} is not a member of {}",
                    group.jid()
                )));
            }
            return Ok(group.jid());
        }
        s.account_for_jid(&jid)
            .map(|a| Jid::pn(a.phone.clone()))
            .ok_or_else(|| PhoneError::UnknownRecipient(to.to_owned()))
    })
}

/// The `Message` protobuf for `body` (uploading media first).
fn build(
    hub: &Hub,
    phone: &str,
    chat: &Jid,
    body: Body,
    now: u64,
) -> Result<e2e::Message, PhoneError> {
    match body {
        Body::Text(text) if text.is_empty() => {
            Err(PhoneError::BadRequest("text must not be empty".to_owned()))
        }
        Body::Text(text) => Ok(text_message(&text)),
        Body::Reaction { id, emoji } => {
            let target = hub.read(|s| {
                s.account(phone).map(|a| {
                    a.timeline
                        .find(&id, |m| m.chat == chat.to_string())
                        .map(|m| (m.from_me, m.sender.clone()))
                })
            })?;
            let (from_me, sender) = target.ok_or_else(|| {
                PhoneError::NotFound(format!("no message {id} in {chat} on {phone}'s timeline"))
            })?;
            let participant = (chat.is_group() && !from_me).then_some(sender);
            let now_ms = i64::try_from(now.saturating_mul(1000)).unwrap_or(i64::MAX);
            Ok(content::reaction(
                &chat.to_string(),
                &id,
                from_me,
                participant,
                &emoji,
                now_ms,
            ))
        }
        Body::Location(location) => Ok(details::location_message(&location)),
        Body::Contacts(cards) if cards.is_empty() => Err(PhoneError::BadRequest(
            "contacts must not be empty".to_owned(),
        )),
        Body::Contacts(cards) => Ok(details::contacts_message(&cards)),
        Body::Edit { id, text } => {
            let key = own_key(hub, phone, chat, &id)?;
            let now_ms = i64::try_from(now.saturating_mul(1000)).unwrap_or(i64::MAX);
            Ok(edit_message(key, text_message(&text), now_ms))
        }
        Body::Revoke { id } => Ok(revoke_message(own_key(hub, phone, chat, &id)?)),
        Body::Poll(poll) => super::polls::poll_message(&poll),
        Body::Vote { id, options } => {
            let now_ms = i64::try_from(now.saturating_mul(1000)).unwrap_or(i64::MAX);
            super::polls::vote_message(hub, phone, chat, &id, options, now_ms)
        }
        Body::Media(body) => {
            if body.data.is_empty() {
                return Err(PhoneError::BadRequest("media data is empty".to_owned()));
            }
            if body.view_once && !matches!(body.kind.as_str(), "image" | "video") {
                return Err(PhoneError::BadRequest(
                    "only images and videos are sent view once".to_owned(),
                ));
            }
            if !MEDIA_KINDS.contains(&body.kind.as_str()) {
                return Err(PhoneError::BadRequest(format!(
                    "unknown media kind {:?}",
                    body.kind
                )));
            }
            let mut media = MediaRef {
                media_type: body.kind,
                mimetype: Some(body.mimetype),
                file_name: body.file_name,
                file_length: None,
                file_sha256: None,
                file_enc_sha256: None,
                media_key: None,
                direct_path: None,
                url: None,
                seconds: body.seconds,
                width: body.width,
                height: body.height,
                animated: body.animated,
                waveform: body.waveform.as_ref().map(hex::encode),
                view_once: body.view_once.then_some(true),
            };
            let mut media_key = [0u8; 32];
            OsRng.fill_bytes(&mut media_key);
            let encrypted = media::encrypt(&media_key, media.crypto_type(), &body.data);
            let (url, direct_path) = crate::media_host::store_blob(
                hub,
                &encrypted.info.file_enc_sha256,
                encrypted.blob.into(),
            )
            .ok_or_else(|| PhoneError::Media("the media store is full".to_owned()))?;
            media.file_length = Some(encrypted.info.file_length);
            media.file_sha256 = Some(hex::encode(encrypted.info.file_sha256));
            media.file_enc_sha256 = Some(hex::encode(encrypted.info.file_enc_sha256));
            media.media_key = Some(hex::encode(media_key));
            media.direct_path = Some(direct_path);
            media.url = Some(url);
            let timestamp = i64::try_from(now).unwrap_or(i64::MAX);
            let caption = body.caption;
            Ok(content::media(&media, caption, timestamp))
        }
    }
}

/// The key of the phone's own message `id` of `chat`, for an edit or a revoke.
fn own_key(hub: &Hub, phone: &str, chat: &Jid, id: &str) -> Result<e2e::MessageKey, PhoneError> {
    let mine = hub.read(|s| {
        s.account(phone).map(|a| {
            a.timeline
                .find(id, |m| m.chat == chat.to_string() && m.from_me)
                .is_some()
        })
    })?;
    if !mine {
        return Err(PhoneError::NotFound(format!(
            "no message {id} of {phone}'s own in {chat}"
        )));
    }
    Ok(e2e::MessageKey {
        remote_jid: Some(chat.to_string()),
        from_me: Some(true),
        id: Some(id.to_owned()),
        participant: None,
    })
}

/// Makes `message` a reply to `reply.quoted` (a timeline entry of `chat`) that mentions
/// `reply.mentions`.
fn add_reply(
    hub: &Hub,
    phone: &str,
    chat: &Jid,
    message: &mut e2e::Message,
    reply: &Reply,
) -> Result<(), PhoneError> {
    if reply.quoted.is_none() && reply.mentions.is_empty() {
        return Ok(());
    }
    let quoted = match &reply.quoted {
        Some(id) => {
            let entry = hub.read(|s| {
                s.account(phone)
                    .map(|a| a.timeline.find(id, |m| m.chat == chat.to_string()).cloned())
            })?;
            let entry = entry.ok_or_else(|| {
                PhoneError::NotFound(format!("no message {id} in {chat} on {phone}'s timeline"))
            })?;
            let author = entry
                .sender
                .parse::<Jid>()
                .map(|j| j.to_non_ad().to_string())
                .unwrap_or(entry.sender.clone());
            Some((entry.id, author, entry.text))
        }
        None => None,
    };
    let quoted = quoted
        .as_ref()
        .map(|(id, author, text)| (id.as_str(), author.as_str(), text.as_deref()));
    if details::add_context(message, quoted, &reply.mentions) {
        Ok(())
    } else {
        Err(PhoneError::BadRequest(
            "this content cannot reply to or mention anyone".to_owned(),
        ))
    }
}

/// Puts the sent message on the timeline (before routing: receipts can come back at once) and
/// keeps its plaintext for retry receipts.
fn record_sent(
    hub: &Hub,
    phone: &str,
    id: &str,
    chat: &Jid,
    content: Option<Content>,
    plaintext: &[u8],
    now: u64,
) -> Result<(), PhoneError> {
    hub.write(|s| {
        let account = s.account_mut(phone)?;
        let sender = pn_device(phone, 0).to_string();
        // An edit or a revoke changes its target instead of being an entry of its own.
        if let Some(content) = content {
            let mut entry = TimelineEntry::new(id, &chat.to_string(), &sender, content, now);
            entry.from_me = true;
            account.timeline.push(entry);
        }
        let sent = &mut account.signal.sent;
        sent.push_back(super::records::SentPayload {
            id: id.to_owned(),
            chat: chat.to_string(),
            message: super::records::HexBytes(plaintext.to_vec()),
        });
        while sent.len() > MAX_SENT_PAYLOADS {
            sent.pop_front();
        }
        Ok(())
    })
}

/// Takes back what [`record_sent`] recorded, for a message that could not be encrypted.
fn forget_sent(hub: &Hub, phone: &str, id: &str) {
    hub.write(|s| {
        if let Ok(account) = s.account_mut(phone) {
            account.timeline.remove(id, |m| m.from_me);
            account.signal.sent.retain(|p| p.id != id);
        }
    });
}

/// Every device of the peer of a 1:1 `chat` and the phone's own companions.
fn direct_targets(state: &State, phone: &str, chat: &Jid) -> Result<Vec<Target>, PhoneError> {
    let peer = state
        .account_for_jid(chat)
        .ok_or_else(|| PhoneError::UnknownRecipient(chat.to_string()))?;
    let mut targets: Vec<Target> = peer
        .devices
        .keys()
        .filter(|d| peer.phone != phone || **d != 0)
        .map(|d| Target {
            phone: peer.phone.clone(),
            device: *d,
            jid: pn_device(&peer.phone, *d),
            own: peer.phone == phone,
        })
        .collect();
    if peer.phone != phone {
        let own = state.account(phone)?;
        targets.extend(own.devices.keys().filter(|d| **d != 0).map(|d| Target {
            phone: phone.to_owned(),
            device: *d,
            jid: pn_device(phone, *d),
            own: true,
        }));
    }
    Ok(targets)
}

/// A device's payload: which device and its `<enc>`.
pub(crate) struct Encrypted {
    pub(crate) jid: Jid,
    pub(crate) enc: Enc,
}

/// Encrypts `message` for every device of a 1:1 chat (own companions get it device-sent).
fn encrypt_direct(
    state: &mut State,
    phone: &str,
    chat: &Jid,
    message: &e2e::Message,
) -> Result<Vec<Encrypted>, PhoneError> {
    let targets = direct_targets(state, phone, chat)?;
    let plain = message.encode_to_vec();
    let device_sent = device_sent(message, chat).encode_to_vec();
    let payloads: Vec<(Target, Vec<u8>)> = targets
        .into_iter()
        .map(|t| {
            let bytes = if t.own { &device_sent } else { &plain };
            let padded = pad(bytes, &mut OsRng);
            (t, padded)
        })
        .collect();
    encrypt_for(state, phone, payloads)
}

/// Encrypts each payload for its device, starting sessions from the devices' bundles (popping
/// one-time prekeys as a fetch would) where the phone has none.
pub(crate) fn encrypt_for(
    state: &mut State,
    phone: &str,
    payloads: Vec<(Target, Vec<u8>)>,
) -> Result<Vec<Encrypted>, PhoneError> {
    let missing: Vec<usize> = {
        let account = state.account_mut(phone)?;
        let store = phone_store(account, phone)?;
        let mut missing = Vec::new();
        for (i, (t, _)) in payloads.iter().enumerate() {
            let address = peer_address(&t.phone, t.device);
            if !run(signal::has_session(&store, &address))? {
                missing.push(i);
            }
        }
        missing
    };
    let mut bundles = Vec::new();
    for i in missing {
        let Some((t, _)) = payloads.get(i) else {
            continue;
        };
        let Ok(bundle) = crate::iq::bundle_for(state, &t.jid) else {
            tracing::info!(target_device = %t.jid, "no prekey bundle for a device; skipped");
            continue;
        };
        bundles.push((i, signal_bundle(&bundle, t.device)));
    }
    let account = state.account_mut(phone)?;
    let store = phone_store(account, phone)?;
    for (i, bundle) in &bundles {
        if let Some((t, _)) = payloads.get(*i) {
            let address = peer_address(&t.phone, t.device);
            run(signal::process_bundle(&store, &address, bundle, &mut OsRng))?;
        }
    }
    let mut out = Vec::with_capacity(payloads.len());
    for (t, padded) in payloads {
        let address = peer_address(&t.phone, t.device);
        if !run(signal::has_session(&store, &address))? {
            continue;
        }
        let (kind, bytes) = run(signal::encrypt(&store, &address, &padded))?;
        let kind = match kind {
            signal::MessageType::PreKey => EncKind::Pkmsg,
            signal::MessageType::Whisper => EncKind::Msg,
        };
        out.push(Encrypted {
            jid: t.jid,
            enc: Enc::new(kind, bytes),
        });
    }
    Ok(out)
}

/// Encrypts a group message: the phone's sender key distribution for every member device
/// (pkmsg/msg) and the message itself as one `skmsg`.
fn encrypt_group(
    state: &mut State,
    phone: &str,
    group: &Jid,
    plaintext: &[u8],
) -> Result<(Vec<Encrypted>, Enc), PhoneError> {
    let targets: Vec<Target> = {
        let g = state.group(&group.user)?;
        crate::groups::member_devices(state, g)
            .into_iter()
            .filter(|(p, d)| !(p == phone && *d == 0))
            .filter_map(|(p, d)| {
                let lid = state.accounts.get(&p)?.lid.clone();
                Some(Target {
                    jid: if g.pn_addressing {
                        pn_device(&p, d)
                    } else {
                        Jid::with_device(&lid, HIDDEN_USER_SERVER, d)
                    },
                    own: p == phone,
                    phone: p,
                    device: d,
                })
            })
            .collect()
    };
    let name = SenderKeyName::new(group.to_string(), peer_address(phone, 0));
    let (distribution, skmsg) = {
        let account = state.account_mut(phone)?;
        let store = phone_store(account, phone)?;
        let distribution = run(signal::group::create_distribution(
            &store, &name, &mut OsRng,
        ))?;
        let padded = pad(plaintext, &mut OsRng);
        let skmsg = run(signal::group::encrypt(&store, &name, &padded, &mut OsRng))?;
        (distribution, skmsg)
    };
    let skdm = e2e::Message {
        sender_key_distribution_message: Some(e2e::SenderKeyDistributionMessage {
            group_id: Some(group.to_string()),
            axolotl_sender_key_distribution_message: Some(distribution.serialized().to_vec()),
        }),
        ..Default::default()
    }
    .encode_to_vec();
    let payloads = targets
        .into_iter()
        .map(|t| (t, pad(&skdm, &mut OsRng)))
        .collect();
    let participants = encrypt_for(state, phone, payloads)?;
    Ok((participants, Enc::new(EncKind::Skmsg, skmsg)))
}

pub(crate) fn phone_store<'a>(
    account: &'a mut crate::state::Account,
    phone: &str,
) -> Result<PhoneStore<'a>, PhoneError> {
    PhoneStore::new(account).ok_or_else(|| {
        PhoneError::State(StateError::NoSuchDevice {
            phone: phone.to_owned(),
            device: 0,
        })
    })
}

/// The Signal bundle of a device from the server's bundle answer.
pub(crate) fn signal_bundle(
    bundle: &openwa_protocol::stanza::PreKeyBundle,
    device: u16,
) -> signal::PreKeyBundle {
    signal::PreKeyBundle {
        registration_id: bundle.registration_id,
        device_id: u32::from(device),
        identity_key: IdentityKey(bundle.identity),
        signed_pre_key_id: bundle.signed.id,
        signed_pre_key: bundle.signed.public,
        signed_pre_key_signature: bundle.signed.signature,
        pre_key: bundle.prekey.as_ref().map(|k| (k.id, k.public)),
    }
}
