//! Signal storage record decoders on arbitrary bytes: never panic; whatever decodes
//! re-encodes to a record that decodes to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::signal::{PreKeyRecord, SenderKeyRecord, SessionRecord, SignedPreKeyRecord};

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = SessionRecord::deserialize(data) {
        assert_eq!(SessionRecord::deserialize(&record.serialize()).ok(), Some(record));
    }
    if let Ok(record) = SenderKeyRecord::deserialize(data) {
        assert_eq!(SenderKeyRecord::deserialize(&record.serialize()).ok(), Some(record));
    }
    if let Ok(record) = PreKeyRecord::deserialize(data) {
        assert_eq!(PreKeyRecord::deserialize(&record.serialize()).ok(), Some(record));
    }
    if let Ok(record) = SignedPreKeyRecord::deserialize(data) {
        assert_eq!(SignedPreKeyRecord::deserialize(&record.serialize()).ok(), Some(record));
    }
});
