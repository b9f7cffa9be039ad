//! One connection to the chat server: the node channel, the driver task, the router that hands
//! incoming stanzas to the features registered for them, the reconnect loop and the policy that
//! classifies how a connection ended. Nothing here knows a feature.

pub(crate) mod channel;
pub(crate) mod command;
pub(crate) mod driver;
pub(crate) mod policy;
pub(crate) mod router;
pub(crate) mod runner;
