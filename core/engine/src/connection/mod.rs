//! One connection to the chat server: the node channel, the driver task and the policy that
//! classifies how a connection ended.

pub mod channel;
pub mod driver;
pub mod policy;
