//! Arbitrary ClientHello then arbitrary ClientFinish bytes into a Responder (fixed server keys),
//! and any payload that gets through into the ClientPayload classifier. Never panics.
//! Input: u16 big-endian length of the ClientHello, the ClientHello, then the ClientFinish.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{CertValidity, Responder, WA_INTRO, build_cert_chain};
use openwa_protocol::payload::parse_client_payload;
use rand_core::{CryptoRng, RngCore};

/// Deterministic "randomness" (all zeros) so that seeds made offline stay valid.
struct ZeroRng;

impl RngCore for ZeroRng {
    fn next_u32(&mut self) -> u32 {
        0
    }
    fn next_u64(&mut self) -> u64 {
        0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.fill(0);
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        dest.fill(0);
        Ok(())
    }
}

impl CryptoRng for ZeroRng {}

/// Server static key and its chain, built once.
static SERVER: OnceLock<(KeyPair, Vec<u8>)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((len, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let Some((hello, finish)) = rest.split_at_checked(usize::from(u16::from_be_bytes(*len))) else {
        return;
    };
    let Ok(responder) = Responder::read_client_hello(&WA_INTRO, hello) else {
        return;
    };
    let (server_static, chain) = SERVER.get_or_init(|| {
        let server_static = KeyPair::from_private([0x44; 32]);
        let chain = build_cert_chain(
            &KeyPair::from_private([1; 32]),
            &KeyPair::from_private([2; 32]),
            &server_static.public,
            CertValidity {
                not_before: 0,
                not_after: u64::MAX,
            },
            &mut ZeroRng,
        );
        (server_static, chain)
    });
    let Ok((responder, _server_hello)) =
        responder.write_server_hello(server_static, chain, KeyPair::from_private([0x33; 32]))
    else {
        return;
    };
    if let Ok(done) = responder.read_client_finish(finish) {
        let _ = parse_client_payload(&done.client_payload);
    }
});
