//! Helpers shared by the Signal integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::task::{Context, Poll, Waker};

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::signal::keys::generate_registration_id;
use openwa_protocol::signal::{
    InMemorySignalStore, PreKeyBundle, PreKeyRecord, PreKeyStore, ProtocolAddress,
    SignedPreKeyRecord, SignedPreKeyStore, TrustPolicy,
};
use rand::rngs::StdRng;

/// Runs a future that never waits (the in-memory store's futures are always ready).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
    }
}

/// One device with its own store and published keys.
pub struct Party {
    pub address: ProtocolAddress,
    pub identity: KeyPair,
    pub registration_id: u32,
    pub signed: SignedPreKeyRecord,
    pub pre_keys: Vec<PreKeyRecord>,
    pub store: InMemorySignalStore,
}

impl Party {
    pub fn new(name: &str, device: u32, policy: TrustPolicy, rng: &mut StdRng) -> Party {
        let identity = KeyPair::generate(rng);
        let registration_id = generate_registration_id(rng);
        let signed = SignedPreKeyRecord::generate(1, &identity, 1_700_000_000, rng);
        let pre_keys = PreKeyRecord::generate_batch(1, 20, rng);
        let store = InMemorySignalStore::new(identity.clone(), registration_id, policy);
        block_on(store.store_signed_pre_key(&signed)).unwrap();
        for key in &pre_keys {
            block_on(store.store_pre_key(key)).unwrap();
        }
        Party {
            address: ProtocolAddress::new(name, device),
            identity,
            registration_id,
            signed,
            pre_keys,
            store,
        }
    }

    /// Our bundle, with one-time prekey `index` (if any).
    pub fn bundle(&self, pre_key: Option<usize>) -> PreKeyBundle {
        PreKeyBundle::new(
            self.registration_id,
            self.address.device,
            &self.identity,
            &self.signed,
            pre_key.and_then(|i| self.pre_keys.get(i)),
        )
    }
}
