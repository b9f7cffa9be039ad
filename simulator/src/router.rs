//! The handler table: at start-up every feature registers the stanzas (by tag) and IQs (by
//! `xmlns`) it serves, and the phones register as device 0; connections and phones then
//! dispatch through the table. It is generic over the context its handlers receive, so it
//! depends on no feature and not on that context's type.

use std::collections::HashMap;
use std::sync::Arc;

use openwa_protocol::Node;
use openwa_protocol::stanza::{IqError, IqHeader, Receipt};

use crate::device::DeviceRef;

/// The answer to an IQ, and optionally a stanza to send after it before closing.
#[derive(Debug)]
pub struct IqOutcome {
    /// The `result` or `error` iq.
    pub reply: Node,
    /// A final stanza (e.g. `stream:error` after logout), after which the connection closes.
    pub then_close: Option<Node>,
}

impl From<Node> for IqOutcome {
    fn from(reply: Node) -> Self {
        IqOutcome {
            reply,
            then_close: None,
        }
    }
}

/// `501 feature-not-implemented` for an IQ nobody serves.
pub fn not_implemented(iq: &Node, header: &IqHeader) -> IqOutcome {
    let xmlns = iq.attr_str("xmlns").unwrap_or_default();
    let kind = iq.attr_str("type").unwrap_or_default();
    let first = iq.first_child().map(|c| c.tag.clone()).unwrap_or_default();
    tracing::debug!(%xmlns, %kind, child = %first, "IQ not implemented");
    header.error(&IqError::not_implemented()).into()
}

/// Serves one stanza tag (`message`, `receipt`, …) sent by a device.
pub trait StanzaHandler<C>: Send + Sync {
    /// Handles `node` from `me`; returns the stanza to answer `me` with, if any.
    fn handle(&self, cx: &C, me: &DeviceRef, node: &Node) -> Option<Node>;
}

impl<C, F> StanzaHandler<C> for F
where
    F: Fn(&C, &DeviceRef, &Node) -> Option<Node> + Send + Sync,
{
    fn handle(&self, cx: &C, me: &DeviceRef, node: &Node) -> Option<Node> {
        self(cx, me, node)
    }
}

/// Serves the IQs of one `xmlns`.
pub trait IqHandler<C>: Send + Sync {
    /// Answers `iq` from `me`.
    fn handle(&self, cx: &C, me: &DeviceRef, iq: &Node, header: &IqHeader) -> IqOutcome;
}

impl<C, F> IqHandler<C> for F
where
    F: Fn(&C, &DeviceRef, &Node, &IqHeader) -> IqOutcome + Send + Sync,
{
    fn handle(&self, cx: &C, me: &DeviceRef, iq: &Node, header: &IqHeader) -> IqOutcome {
        self(cx, me, iq, header)
    }
}

/// Device 0 of every account: the simulated phone.
pub trait PhoneHandler<C>: Send + Sync {
    /// The phone of `phone` receives a stanza routed to device 0.
    fn receive(&self, cx: &C, phone: &str, node: &Node);
    /// A receipt from `from` for a message the phone of `phone` sent.
    fn receipt(&self, cx: &C, phone: &str, receipt: &Receipt, from: &DeviceRef);
    /// A receipt for a message one of `phone`'s companions sent: the phone notes the status.
    fn record_status(&self, cx: &C, phone: &str, receipt: &Receipt, from: &DeviceRef);
}

/// The handlers, filled at start-up and read-only afterwards.
pub struct Router<C> {
    stanzas: HashMap<&'static str, Arc<dyn StanzaHandler<C>>>,
    iqs: HashMap<&'static str, Arc<dyn IqHandler<C>>>,
    phone: Option<Arc<dyn PhoneHandler<C>>>,
}

impl<C> Default for Router<C> {
    fn default() -> Self {
        Router {
            stanzas: HashMap::new(),
            iqs: HashMap::new(),
            phone: None,
        }
    }
}

impl<C> std::fmt::Debug for Router<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut stanzas: Vec<_> = self.stanzas.keys().collect();
        let mut iqs: Vec<_> = self.iqs.keys().collect();
        stanzas.sort();
        iqs.sort();
        f.debug_struct("Router")
            .field("stanzas", &stanzas)
            .field("iqs", &iqs)
            .field("phone", &self.phone.is_some())
            .finish()
    }
}

impl<C> Router<C> {
    /// Routes the stanzas tagged `tag` to `handler` (a later registration replaces it).
    pub fn on_stanza(&mut self, tag: &'static str, handler: impl StanzaHandler<C> + 'static) {
        self.stanzas.insert(tag, Arc::new(handler));
    }

    /// Routes the IQs with this `xmlns` to `handler` (a later registration replaces it).
    pub fn on_iq(&mut self, xmlns: &'static str, handler: impl IqHandler<C> + 'static) {
        self.iqs.insert(xmlns, Arc::new(handler));
    }

    /// Makes `handler` device 0 of every account.
    pub fn set_phone(&mut self, handler: impl PhoneHandler<C> + 'static) {
        self.phone = Some(Arc::new(handler));
    }

    /// The handler for stanzas tagged `tag`.
    pub fn stanza(&self, tag: &str) -> Option<&dyn StanzaHandler<C>> {
        self.stanzas.get(tag).map(|h| h.as_ref())
    }

    /// The handler for IQs with this `xmlns`.
    pub fn iq(&self, xmlns: &str) -> Option<&dyn IqHandler<C>> {
        self.iqs.get(xmlns).map(|h| h.as_ref())
    }

    /// The phone handler, if one is registered.
    pub fn phone(&self) -> Option<&dyn PhoneHandler<C>> {
        self.phone.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> DeviceRef {
        DeviceRef {
            phone: "1".into(),
            device: 1,
            lid: "9".into(),
            push_name: None,
        }
    }

    #[test]
    fn dispatches_by_tag_and_xmlns() {
        let mut router: Router<u32> = Router::default();
        router.on_stanza("message", |cx: &u32, _: &DeviceRef, _: &Node| {
            Some(Node::new("ack").attr("n", cx.to_string()))
        });
        router.on_iq("w:p", |_: &u32, _: &DeviceRef, _: &Node, h: &IqHeader| {
            h.result(Vec::new()).into()
        });
        let reply = router
            .stanza("message")
            .and_then(|h| h.handle(&7, &me(), &Node::new("message")));
        assert_eq!(reply.and_then(|n| n.attr_str("n")).as_deref(), Some("7"));
        assert!(router.stanza("receipt").is_none());
        assert!(router.iq("w:p").is_some());
        assert!(router.iq("w:g2").is_none());
        assert!(router.phone().is_none());
    }
}
