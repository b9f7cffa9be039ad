//! Groups: management (IQs), metadata cache, change notifications (events), sending with
//! sender keys, and retry receipts for group messages.
//!
//! | module | job |
//! |---|---|
//! | `types` | the plain API types (metadata, participants, settings, results, changes) |
//! | `convert` | protocol group nodes → those types |
//! | `iq` | runs a `w:g2` IQ; server error codes → API error codes |
//! | `cache` | group metadata in memory, dropped by `w:gp2` notifications |
//! | `manage` | create, metadata, list, members, subject, description, settings, invites, join requests, leave |
//! | `notify` | `w:gp2` notifications → events, cache updates, sender-key rotation |
//! | `send` | membership checks and sender-key encryption of a group message |
//! | `retry` | retry receipts for group messages |
//! | `api` | the group methods of `Session` |

mod api;
pub(crate) mod cache;
mod convert;
pub(crate) mod iq;
pub(crate) mod manage;
pub(crate) mod notify;
pub(crate) mod retry;
pub(crate) mod send;
mod types;

pub use manage::{MAX_GROUP_DESCRIPTION_CHARS, MAX_GROUP_SUBJECT_CHARS};
pub use types::{
    AddressingMode, GroupChange, GroupInfo, GroupJoin, GroupJoinRequest, GroupParticipant,
    GroupSetting, GroupSettings, MemberAddMode, MembershipChange, ParticipantAction,
    ParticipantRole, ParticipantUpdate,
};

use std::sync::Arc;

use openwa_protocol::Node;

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;

/// Groups as a feature: it handles `w:gp2` notifications.
#[derive(Debug)]
pub(crate) struct Groups;

impl Feature for Groups {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::typed("notification", "w:gp2")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        Box::pin(async move {
            notify::on_group_notification(ctx, node).await;
            Handled::Done
        })
    }
}
