//! Media re-upload requests (docs/PROTOCOL.md, Media): a client whose download of a message's
//! media answered 404/410 asks its own phone to upload the file again with
//! `<receipt type="server-error">`, and the answer arrives as `<notification type="mediaretry">`.
//! Both carry the message's `<rmr>` (chat, from_me, participant) and a payload sealed with the
//! media key ([`crate::media_retry`]).

use super::error::StanzaError;
use super::read::{NodeRead, bad_content, bool_text, bytes_node};
use crate::jid::Jid;
use crate::node::Node;

/// `<rmr jid from_me [participant]/>`: which message the request is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryTarget {
    /// The chat of the message.
    pub chat: Jid,
    /// Whether we sent it.
    pub from_me: bool,
    /// Its sender in a group.
    pub participant: Option<Jid>,
}

impl RetryTarget {
    fn to_node(&self) -> Node {
        Node::new("rmr")
            .attr("jid", &self.chat)
            .attr("from_me", bool_text(self.from_me))
            .attr_opt("participant", self.participant.as_ref())
    }

    fn from_node(node: &Node) -> Result<Self, StanzaError> {
        let rmr = node.req_child("rmr")?;
        Ok(RetryTarget {
            chat: rmr.jid_attr("jid")?,
            from_me: rmr.opt_bool_attr("from_me")?.unwrap_or(false),
            participant: rmr.opt_jid_attr("participant")?,
        })
    }
}

/// A sealed payload: `<encrypt><enc_p/><enc_iv/></encrypt>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// AES-GCM ciphertext with its tag.
    pub ciphertext: Vec<u8>,
    /// The 12-byte nonce.
    pub iv: Vec<u8>,
}

impl Sealed {
    fn to_node(&self) -> Node {
        Node::new("encrypt").children(vec![
            bytes_node("enc_p", self.ciphertext.clone()),
            bytes_node("enc_iv", self.iv.clone()),
        ])
    }

    fn from_node(node: &Node) -> Result<Self, StanzaError> {
        let encrypt = node.req_child("encrypt")?;
        Ok(Sealed {
            ciphertext: encrypt.child_bytes("enc_p")?,
            iv: encrypt.child_bytes("enc_iv")?,
        })
    }
}

/// C→S `<receipt id to=OWN type="server-error"><encrypt/><rmr/></receipt>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRetryRequest {
    /// The message id.
    pub id: String,
    /// Our own user (device-less): the request goes to our phone.
    pub to: Jid,
    /// The message.
    pub target: RetryTarget,
    /// `ServerErrorReceipt { stanzaId }`, sealed.
    pub sealed: Sealed,
}

impl MediaRetryRequest {
    /// The `<receipt>` node.
    pub fn to_node(&self) -> Node {
        Node::new("receipt")
            .attr("id", self.id.as_str())
            .attr("to", &self.to)
            .attr("type", "server-error")
            .children(vec![self.sealed.to_node(), self.target.to_node()])
    }

    /// Parses a `<receipt type="server-error">` (the server adds `from`; `to` may be gone).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("receipt")?;
        if node.attr_str("type").as_deref() != Some("server-error") {
            return Err(bad_content(node, "not a server-error receipt"));
        }
        let to = match node.opt_jid_attr("to")? {
            Some(to) => to,
            None => node.jid_attr("from")?,
        };
        Ok(MediaRetryRequest {
            id: node.text_attr("id")?,
            to,
            target: RetryTarget::from_node(node)?,
            sealed: Sealed::from_node(node)?,
        })
    }
}

/// What the phone answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetryOutcome {
    /// `MediaRetryNotification { stanzaId, directPath, result }`, sealed.
    Sealed(Sealed),
    /// `<error code/>` (2: the phone no longer has the media).
    Error(u16),
}

/// S→C `<notification type="mediaretry" id from t><rmr/><encrypt/> | <error code/></notification>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRetryNotice {
    /// The message id.
    pub id: String,
    /// Who sent it (our own user).
    pub from: Jid,
    /// Server time, seconds.
    pub t: Option<u64>,
    /// The message.
    pub target: RetryTarget,
    /// The answer.
    pub outcome: RetryOutcome,
}

impl MediaRetryNotice {
    /// The `<notification>` node.
    pub fn to_node(&self) -> Node {
        let payload = match &self.outcome {
            RetryOutcome::Sealed(sealed) => sealed.to_node(),
            RetryOutcome::Error(code) => Node::new("error").attr("code", code.to_string()),
        };
        Node::new("notification")
            .attr("id", self.id.as_str())
            .attr("from", &self.from)
            .attr("type", "mediaretry")
            .attr_opt("t", self.t.map(|t| t.to_string()))
            .children(vec![self.target.to_node(), payload])
    }

    /// Parses a `<notification type="mediaretry">`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("notification")?;
        let outcome = match node.children_by_tag("error").next() {
            Some(error) => RetryOutcome::Error(error.num_attr("code")?),
            None => RetryOutcome::Sealed(Sealed::from_node(node)?),
        };
        Ok(MediaRetryNotice {
            id: node.text_attr("id")?,
            from: node.jid_attr("from")?,
            t: node.opt_num_attr("t")?,
            target: RetryTarget::from_node(node)?,
            outcome,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_notices_round_trip() {
        let target = RetryTarget {
            chat: Jid::pn("15550000002"),
            from_me: false,
            participant: None,
        };
        let sealed = Sealed {
            ciphertext: vec![1, 2, 3],
            iv: vec![9; 12],
        };
        let request = MediaRetryRequest {
            id: "3EB0AA".into(),
            to: Jid::pn("15550000001"),
            target: target.clone(),
            sealed: sealed.clone(),
        };
        let node = request.to_node();
        assert_eq!(node.attr_str("type").as_deref(), Some("server-error"));
        assert_eq!(MediaRetryRequest::from_node(&node).unwrap(), request);
        let plain_receipt = Node::new("receipt")
            .attr("id", "1")
            .attr("to", "1@s.whatsapp.net");
        assert!(MediaRetryRequest::from_node(&plain_receipt).is_err());

        let mut notice = MediaRetryNotice {
            id: "3EB0AA".into(),
            from: Jid::pn("15550000001"),
            t: Some(5),
            target: RetryTarget {
                participant: Some(Jid::pn("15550000003")),
                ..target
            },
            outcome: RetryOutcome::Sealed(sealed),
        };
        assert_eq!(
            MediaRetryNotice::from_node(&notice.to_node()).unwrap(),
            notice
        );
        notice.outcome = RetryOutcome::Error(2);
        assert_eq!(
            MediaRetryNotice::from_node(&notice.to_node()).unwrap(),
            notice
        );
    }
}
