//! Random binary nodes and JIDs for the codec's property and differential tests.
//!
//! Generated nodes are *canonical*: decoding their encoding gives back an equal node (string
//! content is always a token, packable or empty — other text is generated as bytes, which is how
//! it reads back — and JIDs only come in forms the wire keeps exactly).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod baileys;
pub mod random;
#[allow(unused_imports)] // not every test binary uses the stanzas
pub use openwa_testkit::stanzas;

use openwa_protocol::binary::Dictionary;
use openwa_protocol::binary::token::Token;
use openwa_protocol::{AttrValue, CompactString, Content, Jid, Node};
use proptest::prelude::*;

/// Who must be able to handle the generated nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Only our codec: every JID form, empty tags, JID fallbacks.
    Ours,
    /// Our encoder, then Baileys' decoder: non-empty tags, unique attribute keys, JID forms that
    /// Baileys renders unambiguously.
    BaileysDecodes,
    /// Baileys' encoder from a JSON description: additionally no '@' in plain strings (Baileys
    /// turns those into JIDs), no names of `Object.prototype` members (its token map is a plain
    /// object), JIDs only of the forms its text parser produces.
    BaileysEncodes,
}

/// Every token string of one dictionary version.
pub fn all_tokens(dictionary: Dictionary) -> Vec<&'static str> {
    let singles = (1..=235u8).filter_map(|b| dictionary.get(Token::Single(b)));
    let doubles = (0..4u8)
        .flat_map(|dict| (0..=255u8).map(move |index| Token::Double { dict, index }))
        .filter_map(|token| dictionary.get(token));
    singles.chain(doubles).collect()
}

fn token_string() -> impl Strategy<Value = String> {
    prop::sample::select(all_tokens(Dictionary::V3)).prop_map(str::to_owned)
}

/// Names JavaScript objects inherit: Baileys' `TOKEN_MAP[name]` finds them and writes garbage.
const PROTOTYPE_NAMES: &[&str] = &[
    "constructor",
    "__proto__",
    "toString",
    "toLocaleString",
    "valueOf",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
];

/// Any string: tokens, packable digits and hex, lowercase hex, unicode, long text, empty.
pub fn any_string(profile: Profile) -> BoxedStrategy<String> {
    let strategy = prop_oneof![
        3 => token_string(),
        2 => "[0-9.-]{1,130}",
        2 => "[0-9A-F]{1,130}",
        1 => "[0-9a-f]{1,12}",
        3 => "\\PC{0,24}",
        1 => "[a-z]{250,300}",
        1 => Just(String::new()),
    ];
    match profile {
        Profile::BaileysEncodes => strategy
            .prop_filter("Baileys quirks", |s| {
                !s.contains('@') && !PROTOTYPE_NAMES.contains(&s.as_str())
            })
            .boxed(),
        _ => strategy.boxed(),
    }
}

/// A non-empty string (node tags).
pub fn tag_string(profile: Profile) -> BoxedStrategy<String> {
    match profile {
        Profile::Ours => any_string(profile),
        _ => any_string(profile)
            .prop_filter("non-empty", |s| !s.is_empty())
            .boxed(),
    }
}

/// String content that reads back as a string: a token, a packable string, or (except for
/// Baileys' encoder, which writes it as bytes) the empty string.
pub fn content_string(profile: Profile) -> BoxedStrategy<String> {
    let strategy = prop_oneof![
        3 => token_string(),
        2 => "[0-9.-]{1,127}",
        2 => "[0-9A-F]{1,127}",
        1 => Just(String::new()),
    ];
    match profile {
        Profile::BaileysEncodes => strategy.prop_filter("non-empty", |s| !s.is_empty()).boxed(),
        _ => strategy.boxed(),
    }
}

fn jid_user(profile: Profile) -> BoxedStrategy<String> {
    match profile {
        // Baileys' JID text parser splits on '@', ':' and '_'.
        Profile::BaileysEncodes => prop_oneof![
            3 => "[1-9][0-9]{0,19}",
            1 => "[a-zA-Z0-9.-]{1,12}",
            1 => token_string().prop_filter("parser separators", |s| !s.contains([':', '_', '@'])),
        ]
        .boxed(),
        _ => prop_oneof![
            3 => "[1-9][0-9]{0,19}",
            1 => "\\PC{1,12}",
            1 => token_string(),
        ]
        .boxed(),
    }
}

/// An agent that AD_JID carries on `s.whatsapp.net` (not a domain byte of another server).
fn pn_agent() -> impl Strategy<Value = u8> {
    prop_oneof![6 => Just(0u8), 1 => 2..=127u8, 1 => 130..=255u8]
}

fn device_u8() -> impl Strategy<Value = u16> {
    prop_oneof![2 => Just(0u16), 3 => 1..=255u16]
}

/// JIDs of every kind, in forms that survive the wire unchanged.
pub fn any_jid(profile: Profile) -> BoxedStrategy<Jid> {
    let user = jid_user(profile);
    let pn = (user.clone(), pn_agent(), device_u8()).prop_map(|(user, agent, device)| Jid {
        agent,
        ..Jid::with_device(user, "s.whatsapp.net", device)
    });
    let ad_servers = (
        user.clone(),
        prop::sample::select(vec!["lid", "hosted", "hosted.lid"]),
        device_u8(),
    )
        .prop_map(|(user, server, device)| Jid::with_device(user, server, device));
    let pair_servers = (
        prop_oneof![Just(String::new()), user.clone()],
        prop::sample::select(vec![
            "s.whatsapp.net",
            "lid",
            "g.us",
            "broadcast",
            "newsletter",
            "c.us",
            "bot",
            "call",
        ]),
    )
        .prop_map(|(user, server)| Jid::new(user, server));
    let fb = (user.clone(), any::<u16>())
        .prop_map(|(user, device)| Jid::with_device(user, "msgr", device));
    let interop =
        (user.clone(), any::<u16>(), any::<u16>()).prop_map(|(user, device, integrator)| Jid {
            integrator,
            ..Jid::with_device(user, "interop", device)
        });
    match profile {
        Profile::Ours => {
            // Devices/integrators AD_JID cannot carry go out as FB_JID / INTEROP_JID.
            let fallback = (user, "[a-z.]{0,10}", any::<u16>(), any::<u16>()).prop_map(
                |(user, server, device, integrator)| Jid {
                    integrator,
                    ..Jid::with_device(user, server, device)
                },
            );
            prop_oneof![3 => pn, 2 => ad_servers, 3 => pair_servers, 1 => fb, 1 => interop, 1 => fallback]
                .boxed()
        }
        Profile::BaileysDecodes => {
            prop_oneof![3 => pn, 2 => ad_servers, 3 => pair_servers, 1 => fb, 1 => interop].boxed()
        }
        Profile::BaileysEncodes => prop_oneof![3 => pn, 2 => ad_servers, 3 => pair_servers].boxed(),
    }
}

fn attr_value(profile: Profile) -> impl Strategy<Value = AttrValue> {
    prop_oneof![
        3 => any_string(profile).prop_map(AttrValue::from),
        2 => any_jid(profile).prop_map(AttrValue::Jid),
    ]
}

fn attrs(profile: Profile) -> BoxedStrategy<Vec<(CompactString, AttrValue)>> {
    let key = any_string(profile).prop_map(CompactString::from);
    let pairs = prop::collection::vec((key, attr_value(profile)), 0..6);
    match profile {
        Profile::Ours => pairs.boxed(),
        // JavaScript objects keep one value per key.
        _ => pairs
            .prop_map(|mut pairs| {
                let mut seen = std::collections::HashSet::new();
                pairs.retain(|(key, _)| seen.insert(key.clone()));
                pairs
            })
            .boxed(),
    }
}

fn leaf_content(profile: Profile) -> impl Strategy<Value = Content> {
    prop_oneof![
        3 => Just(Content::None),
        3 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Content::Bytes),
        2 => content_string(profile).prop_map(|text| Content::Str(text.into())),
        1 => Just(Content::Nodes(Vec::new())),
    ]
}

fn leaf(profile: Profile) -> impl Strategy<Value = Node> {
    (tag_string(profile), attrs(profile), leaf_content(profile)).prop_map(
        |(tag, attrs, content)| Node {
            tag: tag.into(),
            attrs,
            content,
        },
    )
}

/// Random node trees: nested lists up to a few levels, occasionally a list of 256+ children
/// (LIST_16).
pub fn any_node(profile: Profile) -> BoxedStrategy<Node> {
    let small_leaf = (
        tag_string(profile),
        prop::option::of(content_string(profile)),
    )
        .prop_map(|(tag, text)| Node {
            tag: tag.into(),
            attrs: Vec::new(),
            content: text.map_or(Content::None, |text| Content::Str(text.into())),
        });
    leaf(profile)
        .prop_recursive(4, 64, 6, move |inner| {
            let children = prop_oneof![
                8 => prop::collection::vec(inner, 0..6),
                1 => prop::collection::vec(small_leaf.clone(), 256..300),
            ];
            (tag_string(profile), attrs(profile), children).prop_map(|(tag, attrs, children)| {
                Node {
                    tag: tag.into(),
                    attrs,
                    content: Content::Nodes(children),
                }
            })
        })
        .boxed()
}
