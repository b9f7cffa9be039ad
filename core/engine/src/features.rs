//! The features every session has, registered with the connection's router. This is the one
//! place that knows them all; the connection and the session context know none.

use std::sync::Arc;

use crate::connection::router::Router;

/// A router with every feature of the engine registered.
pub(crate) fn router() -> Router {
    Router::new(vec![
        Arc::new(crate::receive::Receive),
        Arc::new(crate::messaging::Messaging),
        Arc::new(crate::groups::Groups),
        Arc::new(crate::prekeys::PreKeys),
        Arc::new(crate::media::retry::MediaRetry),
        Arc::new(crate::presence::PresenceFeature),
        Arc::new(crate::history::History),
        Arc::new(crate::app_state::AppState),
    ])
}
