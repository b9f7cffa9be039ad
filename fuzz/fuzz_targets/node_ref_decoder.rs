//! Borrowed node view on arbitrary bytes: it must never panic, it must accept and refuse exactly
//! what the owned decoder does (same error), and its tree, owned again, must be the owned
//! decoder's tree. Every accessor is walked so that none of them can panic either. A reused
//! `Decoder` (one per thread, kept across inputs) must give the same answer as a fresh view.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use openwa_protocol::binary::{Decoder, NodeRef, decode, decode_ref, inflate};

thread_local! {
    static DECODER: RefCell<Decoder> = RefCell::new(Decoder::new());
}

/// Reads everything the view offers; returns a count so nothing is optimised away.
fn walk(node: NodeRef<'_>) -> usize {
    let mut seen = node.tag().len();
    for (key, value) in node.attrs() {
        seen += key.len() + value.to_string().len();
        assert!(node.attr(key).is_some());
    }
    seen += node.content_bytes().map_or(0, <[u8]>::len);
    seen += node.content_str().map_or(0, str::len);
    for child in node.children() {
        assert!(node.child(child.tag()).is_some());
        seen += walk(child);
    }
    seen
}

fuzz_target!(|data: &[u8]| {
    let owned = decode(data);
    let Ok(frame) = inflate(data) else {
        assert!(owned.is_err(), "inflate failed where decode did not");
        return;
    };
    match decode_ref(&frame) {
        Ok(view) => {
            let root = view.root();
            walk(root);
            assert_eq!(Ok(root.to_owned_node()), owned, "view differs from decode");
        }
        Err(error) => assert_eq!(Err(error), owned, "view refused differently"),
    }
    DECODER.with_borrow_mut(|decoder| {
        let reused = decoder.decode(&frame).map(|root| root.to_owned_node());
        assert_eq!(reused, owned, "reused decoder differs from decode");
    });
});
