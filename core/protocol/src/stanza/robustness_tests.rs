//! Every parser on mutated stanzas: valid samples with attributes dropped or replaced, children
//! removed or duplicated, content swapped. Parsers must return (Ok or a typed error), never
//! panic; and a parser that accepts a mutated node must produce a value that round-trips.

use proptest::prelude::*;

use crate::jid::Jid;
use crate::node::{Content, Node};
use crate::stanza::group::{
    CreateGroup, GetGroupInfo, GetInviteCode, GetInviteInfo, GetParticipatingGroups, GroupSetting,
    JoinGroupWithCode, LeaveGroups, ParticipantAction, RevokeInviteCode, SetDescription,
    SetEphemeral, SetGroupSetting, SetSubject, UpdateParticipants,
};
use crate::stanza::*;

fn group() -> Jid {
    Jid::new("120363000000000001", "g.us")
}

fn signed() -> SignedPreKey {
    SignedPreKey {
        id: 7,
        public: [1; 32],
        signature: [2; 64],
    }
}

fn header() -> IqHeader {
    IqHeader {
        id: "1".into(),
        peer: Jid::server(),
        origin: Origin::Client,
    }
}

/// A valid example of every stanza shape.
fn samples() -> Vec<Node> {
    let mut info = GroupInfo::new(group(), "G");
    info.participants.push(GroupParticipant {
        role: Some(ParticipantRole::Admin),
        phone_number: Some(Jid::pn("15550000001")),
        ..GroupParticipant::member(Jid::lid("1"))
    });
    info.ephemeral = Some(5);
    let bundle = UserPreKeys {
        jid: Jid::with_device("1", "lid", 2),
        bundle: Ok(PreKeyBundle {
            registration_id: 1,
            identity: [3; 32],
            signed: signed(),
            prekey: Some(PreKey {
                id: 4,
                public: [5; 32],
            }),
        }),
    };
    let mut out = OutgoingMessage::new("M", Jid::pn("2"), MessageType::Text);
    out.participants.push(DeviceEnc {
        jid: Jid::with_device("2", "s.whatsapp.net", 1),
        enc: Enc::new(EncKind::Pkmsg, [1]),
    });
    out.direct.push(Enc::new(EncKind::Skmsg, [2]));
    out.device_identity = Some(vec![3]);
    let mut incoming = IncomingMessage::new("M", group(), 1, MessageType::Media);
    incoming.participant = Some(Jid::with_device("1", "lid", 1));
    incoming.encs.push(Enc::new(EncKind::Msg, [1]));
    let mut retry = Receipt::new("R", Peer::To(Jid::pn("1")), ReceiptType::Retry);
    retry.retry = Some(RetryRequest {
        count: 2,
        id: "R".into(),
        t: Some(1),
        error: None,
        registration_id: 9,
        keys: Some(RetryKeys {
            identity: [1; 32],
            prekey: None,
            signed: signed(),
            device_identity: Some(vec![1]),
        }),
    });
    retry.more_ids = vec!["S".into()];
    let usync_user = UsyncUserResult {
        jid: Jid::pn("1"),
        devices: Some(DeviceList {
            devices: vec![DeviceEntry::primary(), DeviceEntry::companion(1, 1)],
            key_index: Some(KeyIndexList {
                ts: 1,
                signed: vec![1],
            }),
        }),
        lid: Some(Jid::lid("1")),
        contact: None,
    };
    let h = header();
    vec![
        Success {
            t: 1,
            lid: Some(Jid::lid("1")),
        }
        .to_node(),
        Failure::new(401).to_node(),
        StreamError::DeviceRemoved.to_node(),
        Ib::EdgeRouting {
            routing_info: vec![1],
        }
        .to_node(),
        Ib::Offline { count: 1 }.to_node(),
        SetPassive { passive: false }.request_with_id("1"),
        PairDevice {
            refs: vec![b"r".to_vec()],
        }
        .request_with_id("1"),
        PairSuccess {
            t: Some(1),
            device_identity: vec![1],
            device: Jid::with_device("1", "s.whatsapp.net", 1),
            lid: Some(Jid::with_device("1", "lid", 1)),
            platform: Some("android".into()),
            business_name: Some("B".into()),
            client_props: Some(vec![1]),
        }
        .request_with_id("1"),
        PairSuccess::response(
            &h,
            &PairDeviceSign {
                key_index: 1,
                device_identity: vec![1],
            },
        ),
        LinkCodeCompanionHello {
            phone: Jid::pn("1"),
            show_push_notification: true,
            wrapped_companion_ephemeral_pub: vec![1],
            companion_server_auth_key_pub: vec![1],
            companion_platform_id: "1".into(),
            companion_platform_display: "C".into(),
            nonce: vec![0],
        }
        .request_with_id("1"),
        LinkCodeCompanionHello::response(&h, &b"ref".to_vec()),
        LinkCodeCompanionFinish {
            phone: Jid::pn("1"),
            wrapped_key_bundle: vec![1],
            companion_identity_public: vec![1],
            pairing_ref: vec![1],
        }
        .request_with_id("1"),
        RemoveCompanionDevice {
            device: Jid::with_device("1", "s.whatsapp.net", 1),
            reason: "user_initiated".into(),
        }
        .request_with_id("1"),
        Ping.request_with_id("1"),
        UploadPreKeys {
            registration_id: 1,
            identity: [1; 32],
            prekeys: vec![PreKey {
                id: 1,
                public: [1; 32],
            }],
            signed: signed(),
        }
        .request_with_id("1"),
        PreKeyCount::response(&h, &5),
        FetchPreKeys {
            users: vec![KeyRequest::new(Jid::lid("1"))],
        }
        .request_with_id("1"),
        FetchPreKeys::response(
            &h,
            &vec![
                bundle,
                UserPreKeys {
                    jid: Jid::lid("2"),
                    bundle: Err(IqError::not_found()),
                },
            ],
        ),
        GetKeyDigest::response(
            &h,
            &KeyDigest {
                registration_id: 1,
                identity: [1; 32],
                signed: signed(),
                prekey_ids: vec![1],
                hash: vec![1],
            },
        ),
        RotateSignedPreKey { signed: signed() }.request_with_id("1"),
        UsyncQuery::devices("s", vec![Jid::pn("1")]).request_with_id("1"),
        UsyncQuery::response(&h, &vec![usync_user]),
        out.to_node(),
        incoming.to_node(),
        retry.to_node(),
        Ack::message_accepted("M", Jid::pn("1"), 1).to_node(),
        GetGroupInfo::response(&h, &info),
        GetParticipatingGroups::response(&h, &vec![info.clone()]),
        CreateGroup {
            subject: "S".into(),
            participants: vec![Jid::lid("1")],
            key: None,
            ephemeral: Some(1),
            member_add_mode: Some("all_member_add".into()),
        }
        .request_with_id("1"),
        UpdateParticipants {
            group: group(),
            action: ParticipantAction::Add,
            participants: vec![Jid::lid("1")],
        }
        .request_with_id("1"),
        UpdateParticipants::response(&h, &vec![group::ParticipantResult::ok(Jid::lid("1"))]),
        SetSubject {
            group: group(),
            subject: "S".into(),
        }
        .request_with_id("1"),
        SetDescription {
            group: group(),
            id: Some("D".into()),
            prev: None,
            body: Some("B".into()),
        }
        .request_with_id("1"),
        SetGroupSetting {
            group: group(),
            setting: GroupSetting::Locked,
        }
        .request_with_id("1"),
        SetEphemeral {
            group: group(),
            expiration: Some(1),
        }
        .request_with_id("1"),
        GetInviteCode { group: group() }.request_with_id("1"),
        RevokeInviteCode::response(&h, &"C".to_owned()),
        JoinGroupWithCode { code: "C".into() }.request_with_id("1"),
        JoinGroupWithCode::response(&h, &group()),
        GetInviteInfo { code: "C".into() }.request_with_id("1"),
        LeaveGroups {
            groups: vec![group()],
        }
        .request_with_id("1"),
        Notification {
            id: "N".into(),
            from: group(),
            t: Some(1),
            body: NotificationBody::Group(GroupNotification {
                participant: Some(Jid::lid("1")),
                participant_pn: None,
                addressing_mode: Some(AddressingMode::Lid),
                notify: None,
                change: GroupChange::Create {
                    info: Box::new(info),
                    key: None,
                    reason: None,
                },
            }),
        }
        .to_node(),
        Notification {
            id: "N".into(),
            from: Jid::pn("1"),
            t: None,
            body: NotificationBody::Devices(DevicesNotification {
                lid: Some(Jid::lid("1")),
                change: DeviceChange::Add,
                device_hash: None,
                device_lid_hash: None,
                devices: vec![NotifiedDevice {
                    jid: Jid::with_device("1", "s.whatsapp.net", 1),
                    lid: None,
                }],
            }),
        }
        .to_node(),
        MediaConnRequest::response(
            &h,
            &MediaConn {
                auth: "a".into(),
                ttl: 1,
                auth_ttl: 1,
                max_buckets: 1,
                hosts: vec![MediaHost {
                    hostname: "h".into(),
                    max_content_length: None,
                }],
            },
        ),
        GetAbProps::response(
            &h,
            &AbProps {
                hash: Some("h".into()),
                props: vec![AbProp {
                    code: "1".into(),
                    value: "2".into(),
                }],
            },
        ),
        GetPrivacySettings::response(
            &h,
            &vec![PrivacySetting {
                name: "last".into(),
                value: "all".into(),
            }],
        ),
        GetBlocklist::response(&h, &vec![Jid::pn("1")]),
        SyncAppState {
            collections: vec![CollectionRequest {
                name: "regular".into(),
                version: 1,
                return_snapshot: true,
            }],
        }
        .request_with_id("1"),
        SyncAppState::response(
            &h,
            &vec![CollectionPatches {
                name: "regular".into(),
                version: 2,
                has_more_patches: true,
                patches: vec![vec![1]],
                snapshot: Some(vec![2]),
            }],
        ),
        Presence::Subscribe {
            to: Jid::pn("1"),
            tctoken: Some(vec![1]),
        }
        .to_node(),
        ChatState {
            peer: Peer::From(group()),
            participant: Some(Jid::lid("1")),
            state: ChatStateKind::Recording,
        }
        .to_node(),
    ]
}

/// Checks that a successful parse survives its own round trip.
fn stable<T: PartialEq + std::fmt::Debug>(
    parsed: Result<T, StanzaError>,
    to_node: impl Fn(&T) -> Node,
    from_node: impl Fn(&Node) -> Result<T, StanzaError>,
) {
    if let Ok(value) = parsed {
        assert_eq!(from_node(&to_node(&value)).as_ref(), Ok(&value));
    }
}

fn request<S: IqSpec + PartialEq + std::fmt::Debug>(node: &Node) {
    stable(
        S::parse_request(node).map(|(_, spec)| spec),
        |spec| spec.request_with_id("1"),
        |n| S::parse_request(n).map(|(_, spec)| spec),
    );
}

fn response<S: IqSpec>(node: &Node)
where
    S::Response: PartialEq + std::fmt::Debug,
{
    stable(
        S::parse_response(node),
        |r| S::response(&header(), r),
        S::parse_response,
    );
}

macro_rules! node_types {
    ($node:expr; $($ty:ty),* $(,)?) => {
        $( stable(<$ty>::from_node($node), <$ty>::to_node, <$ty>::from_node); )*
    };
}

macro_rules! iq_specs {
    ($node:expr; $($ty:ty),* $(,)?) => {
        $( request::<$ty>($node); response::<$ty>($node); )*
    };
}

/// Runs every parser on `node`.
fn parse_with_everything(node: &Node) {
    node_types!(node;
        Success, Failure, StreamError, StreamEnd, Ib, PairDeviceSign, LinkCodePrimaryHello,
        PreKey, SignedPreKey, UserPreKeys, UsyncUserResult, Enc, DeviceEnc, OutgoingMessage,
        IncomingMessage, Receipt, Ack, GroupInfo, GroupParticipant, group::GroupDescription,
        Notification, Presence, ChatState, IqError,
    );
    iq_specs!(node;
        SetPassive, PairDevice, PairSuccess, LinkCodeCompanionHello, LinkCodeCompanionFinish,
        RemoveCompanionDevice, Ping, UploadPreKeys, PreKeyCount, FetchPreKeys, GetKeyDigest,
        RotateSignedPreKey, UsyncQuery, GetGroupInfo, GetParticipatingGroups, CreateGroup,
        UpdateParticipants, SetSubject, SetDescription, SetGroupSetting, SetEphemeral,
        GetInviteCode, RevokeInviteCode, JoinGroupWithCode, GetInviteInfo, LeaveGroups,
        MediaConnRequest, GetAbProps, GetPrivacySettings, GetBlocklist, SyncAppState,
    );
    let _ = IqHeader::of(node);
    let _ = Ack::for_stanza(node);
    for child in node.child_nodes() {
        let _ = Enc::from_node(child);
    }
}

/// Counts the nodes of a tree (preorder).
fn count(node: &Node) -> usize {
    1 + node.child_nodes().iter().map(count).sum::<usize>()
}

/// The `index`-th node in preorder.
fn nth_mut(node: &mut Node, index: usize) -> Option<&mut Node> {
    if index == 0 {
        return Some(node);
    }
    let mut rest = index - 1;
    if let Content::Nodes(children) = &mut node.content {
        for child in children {
            let size = count(child);
            if rest < size {
                return nth_mut(child, rest);
            }
            rest -= size;
        }
    }
    None
}

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "99999999999999999999",
    "x",
    "true",
    "lid",
    "1@lid",
    "1:2@lid",
    "a@b@c",
    "g.us",
    "120363000000000001@g.us",
    "s.whatsapp.net",
    "retry",
    "unavailable",
];

fn mutate(node: &mut Node, target: usize, op: u8, pick: usize) {
    let total = count(node);
    let Some(node) = nth_mut(node, target % total) else {
        return;
    };
    let value = VALUES[pick % VALUES.len()];
    match op % 8 {
        0 if !node.attrs.is_empty() => {
            let key = node.attrs[pick % node.attrs.len()].0.clone();
            node.remove_attr(&key);
        }
        1 if !node.attrs.is_empty() => {
            let key = node.attrs[pick % node.attrs.len()].0.clone();
            node.set_attr(key, value);
        }
        2 => {
            if let Content::Nodes(children) = &mut node.content
                && !children.is_empty()
            {
                let index = pick % children.len();
                children.remove(index);
            }
        }
        3 => node.content = Content::Bytes(value.as_bytes().to_vec()),
        4 => node.content = Content::Str(value.into()),
        5 => node.content = Content::None,
        6 => {
            if let Content::Nodes(children) = &mut node.content
                && let Some(child) = children.get(pick % children.len().max(1)).cloned()
            {
                children.push(child);
            }
        }
        _ => node.tag = value.into(),
    }
}

#[test]
fn every_sample_parses_with_every_parser() {
    for sample in samples() {
        parse_with_everything(&sample);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsers_never_panic_on_mutated_stanzas(
        sample in 0usize..64,
        ops in proptest::collection::vec((0usize..64, 0u8..8, 0usize..64), 1..6),
    ) {
        let samples = samples();
        let mut node = samples[sample % samples.len()].clone();
        for (target, op, pick) in ops {
            mutate(&mut node, target, op, pick);
        }
        parse_with_everything(&node);
    }
}
