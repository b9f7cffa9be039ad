//! Arbitrary bytes as app-state data: snapshots and patches decoded and verified with a known
//! key (so the bytes reach the record checks), record values opened, index JSON parsed. None of
//! them may panic; anything may be refused.

#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::appstate::index::decode_json;
use openwa_protocol::appstate::value::open;
use openwa_protocol::appstate::{
    Collection, CollectionState, MutationKeys, decode_patch, decode_snapshot,
};
use openwa_protocol::proto::syncd::{SyncdPatch, SyncdSnapshot};
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let keys = MutationKeys::expand(&[7; 32]);
    let lookup = |_: &[u8]| Some(keys.clone());
    let _ = decode_json(data);
    let _ = open(&keys, b"k", 0, data);
    if let Ok(snapshot) = SyncdSnapshot::decode(data) {
        let _ = decode_snapshot(Collection::Regular, &snapshot, &lookup);
    }
    if let Ok(patch) = SyncdPatch::decode(data) {
        let _ = decode_patch(
            Collection::RegularLow,
            &CollectionState::default(),
            &patch,
            &lookup,
            &mut |_| Some([1; 32]),
        );
    }
});
