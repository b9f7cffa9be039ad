//! Binary node decoder on arbitrary bytes: it must never panic, and whatever it decodes must
//! survive encode → decode (a string content that our encoder writes as raw bytes may come back
//! as bytes with the same UTF-8; nothing else may change), after which it is a fixed point.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::binary::{decode, encode};
use openwa_protocol::{Content, Node};

/// Equal nodes, except that string content may have turned into the same bytes.
fn same(first: &Node, second: &Node) -> bool {
    first.tag == second.tag
        && first.attrs == second.attrs
        && match (&first.content, &second.content) {
            (Content::Str(text), Content::Bytes(bytes)) => text.as_bytes() == bytes.as_slice(),
            (Content::Nodes(a), Content::Nodes(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
            }
            (a, b) => a == b,
        }
}

fuzz_target!(|data: &[u8]| {
    let Ok(node) = decode(data) else {
        return;
    };
    let again = decode(&encode(&node).unwrap()).expect("re-encoded node must decode");
    assert!(same(&node, &again), "round trip changed {node:?} into {again:?}");
    assert_eq!(
        decode(&encode(&again).unwrap()).as_ref(),
        Ok(&again),
        "second round trip is not stable"
    );
});
