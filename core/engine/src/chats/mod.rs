//! Chats and contacts the session knows: kept by history sync and by every message stored (its
//! chat's newest message and unread count; push names of senders), read here.
//!
//! | module | job |
//! |---|---|
//! | `types` | the public types: [`Chat`], [`Contact`] |
//! | `list` | store records → API types, with both forms (PN, LID) of a user |
//! | `api` | the `Session` methods |

mod api;
mod list;
mod types;

pub use types::{Chat, Contact, MAX_LIST_PAGE};
