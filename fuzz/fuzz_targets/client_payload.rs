//! Arbitrary bytes into the ClientPayload parser/classifier the simulator runs. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openwa_protocol::payload::parse_client_payload;

fuzz_target!(|data: &[u8]| {
    let _ = parse_client_payload(data);
});
