//! The stanza router: features register here for the stanzas they handle, so the connection
//! driver delivers incoming stanzas without knowing any feature.
//!
//! A route names a stanza tag and, optionally, its `type` attribute (`notification` of type
//! `devices`, …); a route with a type wins over one without. The driver awaits each handler in
//! arrival order — a handler queues its store writes before it returns, so writes keep stanza
//! order — and sends the nodes the handler answers with once they are durable
//! ("persist, then ack").

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use openwa_protocol::Node;

use crate::context::SessionContext;

/// Nodes to send once the writes they acknowledge are durable.
pub(crate) type Replies = Pin<Box<dyn Future<Output = Vec<Node>> + Send + 'static>>;

/// The future of a handler or hook.
pub(crate) type HandlerFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a handler answers for one stanza.
pub(crate) enum Handled {
    /// Nothing to send.
    Done,
    /// Send these nodes once the future resolves, without holding up the next stanza.
    Deferred(Replies),
}

impl fmt::Debug for Handled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Handled::Done => f.write_str("Done"),
            Handled::Deferred(_) => f.write_str("Deferred"),
        }
    }
}

/// Which stanzas a feature handles: a tag, and a `type` attribute when it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    /// The stanza's tag (`message`, `receipt`, `notification`, `ack`, …).
    pub tag: &'static str,
    /// The stanza's `type` attribute, or `None` for any.
    pub kind: Option<&'static str>,
}

impl Route {
    /// Every stanza with this tag.
    pub(crate) const fn tag(tag: &'static str) -> Route {
        Route { tag, kind: None }
    }

    /// Stanzas with this tag and `type`.
    pub(crate) const fn typed(tag: &'static str, kind: &'static str) -> Route {
        Route {
            tag,
            kind: Some(kind),
        }
    }
}

/// A part of the engine that handles incoming stanzas and follows the connection's life.
pub(crate) trait Feature: Send + Sync + fmt::Debug {
    /// The stanzas this feature handles.
    fn routes(&self) -> &'static [Route];

    /// Handles one routed stanza.
    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled>;

    /// Called once the session logged in on a new connection.
    fn on_connected(&self, ctx: &Arc<SessionContext>) {
        let _ = ctx;
    }

    /// Called when a connection ended, before the next one starts.
    fn on_closed<'a>(&'a self, ctx: &'a Arc<SessionContext>) -> HandlerFuture<'a, ()> {
        let _ = ctx;
        Box::pin(async {})
    }
}

/// The features of a session, by route.
#[derive(Debug, Default)]
pub(crate) struct Router {
    features: Vec<Arc<dyn Feature>>,
}

impl Router {
    /// A router with `features` registered.
    pub(crate) fn new(features: Vec<Arc<dyn Feature>>) -> Router {
        Router { features }
    }

    /// The feature for `node`: the one routing its tag and `type`, else the one routing its tag.
    pub(crate) fn find(&self, node: &Node) -> Option<&Arc<dyn Feature>> {
        let tag = node.tag.as_str();
        let kind = node.attr_str("type");
        let exact = |route: &Route| route.tag == tag && route.kind == kind.as_deref();
        let any = |route: &Route| route.tag == tag && route.kind.is_none();
        self.features
            .iter()
            .find(|f| f.routes().iter().any(exact))
            .or_else(|| self.features.iter().find(|f| f.routes().iter().any(any)))
    }

    /// Every registered feature.
    pub(crate) fn features(&self) -> &[Arc<dyn Feature>] {
        &self.features
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Named(&'static [Route]);

    impl Feature for Named {
        fn routes(&self) -> &'static [Route] {
            self.0
        }
        fn handle<'a>(
            &'a self,
            _: &'a Arc<SessionContext>,
            _: &'a Node,
        ) -> HandlerFuture<'a, Handled> {
            Box::pin(async { Handled::Done })
        }
    }

    #[test]
    fn typed_routes_win_and_unknown_stanzas_find_nothing() {
        static ANY: &[Route] = &[Route::tag("notification"), Route::tag("message")];
        static DEVICES: &[Route] = &[Route::typed("notification", "devices")];
        let router = Router::new(vec![Arc::new(Named(ANY)), Arc::new(Named(DEVICES))]);
        let devices = Node::new("notification").attr("type", "devices");
        let other = Node::new("notification").attr("type", "picture");
        let routes = |node: &Node| router.find(node).map(|f| f.routes());
        assert_eq!(routes(&devices), Some(DEVICES));
        assert_eq!(routes(&other), Some(ANY));
        assert_eq!(routes(&Node::new("message")), Some(ANY));
        assert_eq!(routes(&Node::new("presence")), None);
    }
}
