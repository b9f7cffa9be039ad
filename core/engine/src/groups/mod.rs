//! Groups: management (IQs), metadata cache, change notifications (events). Sending to groups
//! with sender keys and answering their retry receipts is messaging's (`messaging::group_send`,
//! `messaging::group_retry`), which uses the cache from here; the plain types are in
//! `group_types`.
//!
//! | module | job |
//! |---|---|
//! | `convert` | protocol group nodes → the API types |
//! | `iq` | runs a `w:g2` IQ; server error codes → API error codes |
//! | `cache` | group metadata in memory, dropped by `w:gp2` notifications |
//! | `manage` | create, metadata, list, members, subject, description, settings, invites, join requests, leave |
//! | `notify` | `w:gp2` notifications → events, cache updates, sender-key rotation |
//! | `api` | the group methods of `Session` |

mod api;
pub(crate) mod cache;
mod convert;
pub(crate) mod iq;
pub(crate) mod manage;
pub(crate) mod notify;

pub use crate::group_types::{
    AddressingMode, GroupChange, GroupInfo, GroupJoin, GroupJoinRequest, GroupParticipant,
    GroupSetting, GroupSettings, MemberAddMode, MembershipChange, ParticipantAction,
    ParticipantRole, ParticipantUpdate,
};
pub use manage::{MAX_GROUP_DESCRIPTION_CHARS, MAX_GROUP_SUBJECT_CHARS};

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
