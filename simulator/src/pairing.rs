//! Connections waiting to be linked: registering companions (by QR ref) and code pairings (by
//! phone number), and the phone's side of both linking methods.

use std::collections::HashMap;

use openwa_protocol::pairing::code::PrimaryCodePairing;
use tokio::sync::oneshot;

use crate::conn::registry::{ConnHandle, PairedDevice};

/// How a pairing attempt ended, as reported to the admin request that started it.
pub type PairOutcome = Result<PairedDevice, String>;

/// A registering connection (it received `pair-device`).
#[derive(Debug, Clone)]
pub struct Registering {
    /// Its command queue.
    pub conn: ConnHandle,
    /// The refs it was given.
    pub refs: Vec<String>,
    /// Its Noise static key (also in its QR code).
    pub noise_key: [u8; 32],
    /// Its identity key (also in its QR code).
    pub identity: [u8; 32],
}

/// A code pairing in progress (the companion sent `companion_hello` for `phone`).
#[derive(Debug)]
pub struct CodePairing {
    /// The registering connection.
    pub conn: ConnHandle,
    /// The ref the server gave it.
    pub pairing_ref: Vec<u8>,
    /// The wrapped companion ephemeral key.
    pub wrapped_companion_ephemeral: Vec<u8>,
    /// Set once the phone confirmed the code: its state and the admin request waiting.
    pub primary: Option<(PrimaryCodePairing, oneshot::Sender<PairOutcome>)>,
}

/// Every pairing in progress.
#[derive(Debug, Default)]
pub struct Pairings {
    /// Registering connections by connection id.
    pub registering: HashMap<u64, Registering>,
    /// Connection id by QR ref.
    pub by_ref: HashMap<String, u64>,
    /// Code pairings by phone number.
    pub codes: HashMap<String, CodePairing>,
}

impl Pairings {
    /// Records a registering connection and its refs.
    pub fn add(&mut self, registering: Registering) {
        for r in &registering.refs {
            self.by_ref.insert(r.clone(), registering.conn.id);
        }
        self.registering.insert(registering.conn.id, registering);
    }

    /// The registering connection that was given `reference`.
    pub fn by_ref(&self, reference: &str) -> Option<&Registering> {
        self.by_ref
            .get(reference)
            .and_then(|id| self.registering.get(id))
    }

    /// Forgets everything about a connection.
    pub fn remove_conn(&mut self, conn: u64) {
        if let Some(registering) = self.registering.remove(&conn) {
            for r in registering.refs {
                self.by_ref.remove(&r);
            }
        }
        self.codes.retain(|_, c| c.conn.id != conn);
    }

    /// The code pairing a connection started, with its phone number.
    pub fn code_of_conn(&mut self, conn: u64) -> Option<(&String, &mut CodePairing)> {
        self.codes.iter_mut().find(|(_, c)| c.conn.id == conn)
    }
}
