//! What the rest of a session asks of its live connection.

use std::time::Duration;

use openwa_protocol::Node;
use tokio::sync::oneshot;

use crate::error::Error;

/// Requests from the session to its live connection.
#[derive(Debug)]
pub(crate) enum Command {
    /// Send an IQ (an `id` is assigned) and answer with the response node.
    Iq {
        /// The request, without `id`.
        node: Node,
        /// How long to wait for the answer.
        timeout: Duration,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<Node, Error>>,
    },
    /// Send a stanza (messages, receipts, retry resends); answers arrive through the router.
    SendNode(Node),
    /// Start pairing by code for a phone number; answers with the formatted code.
    PairCode {
        /// Digits of the phone number.
        phone: String,
        /// Where the code goes.
        reply: oneshot::Sender<Result<String, Error>>,
    },
}

/// What the runner is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunSignal {
    /// Keep the session connected.
    Run,
    /// Close the connection and stop.
    Stop,
    /// Close the connection, forget the credentials and stop.
    Logout,
}
