//! The `w:sync:app:state` IQ: building a fetch or a write, and reading the answer.

use openwa_protocol::Node;
use openwa_protocol::appstate::Collection;
use openwa_protocol::proto::syncd::{ExternalBlobReference, SyncdPatch};
use prost::Message as _;

use crate::error::{Error, ErrorCode};

/// One collection of an answer.
#[derive(Debug, Default)]
pub(crate) struct Answer {
    /// The snapshot's blob, when the server sent one.
    pub snapshot: Option<ExternalBlobReference>,
    /// The patches, oldest first.
    pub patches: Vec<SyncdPatch>,
    /// Whether more patches wait (fetch again from the last one).
    pub has_more: bool,
}

/// Why the server refused a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    /// The error code (409: our version is not the current one).
    pub code: u16,
    /// The error text.
    pub text: String,
}

fn iq(collection: Node) -> Node {
    Node::new("iq")
        .attr("to", openwa_protocol::Jid::server())
        .attr("type", "set")
        .attr("xmlns", "w:sync:app:state")
        .child(Node::new("sync").child(collection))
}

/// A fetch of `collection` from `version` (a snapshot from version 0).
pub(crate) fn fetch(collection: Collection, version: u64) -> Node {
    iq(Node::new("collection")
        .attr("name", collection.name())
        .attr("version", version.to_string())
        .attr(
            "return_snapshot",
            if version == 0 { "true" } else { "false" },
        ))
}

/// A write of `patch` made on top of `version`.
pub(crate) fn write(collection: Collection, version: u64, patch: &SyncdPatch) -> Node {
    iq(Node::new("collection")
        .attr("name", collection.name())
        .attr("version", version.to_string())
        .attr("return_snapshot", "false")
        .child(Node::new("patch").bytes(patch.encode_to_vec())))
}

fn protocol(what: &str) -> Error {
    Error::new(ErrorCode::Protocol, format!("app-state answer: {what}"))
}

/// The answer for `collection`: its content, or the server's refusal.
pub(crate) fn parse(
    reply: &Node,
    collection: Collection,
) -> Result<Result<Answer, Refused>, Error> {
    let node = reply
        .get_child("sync")
        .into_iter()
        .flat_map(|s| s.children_by_tag("collection"))
        .find(|c| c.attr_str("name").as_deref() == Some(collection.name()))
        .ok_or_else(|| protocol("no such collection"))?;
    if node.attr_str("type").as_deref() == Some("error") {
        let error = node.get_child("error");
        return Ok(Err(Refused {
            code: error
                .and_then(|e| e.attr_u64("code"))
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(0),
            text: error.and_then(|e| e.attr_str("text")).unwrap_or_default(),
        }));
    }
    let snapshot = node
        .get_child("snapshot")
        .map(|s| {
            ExternalBlobReference::decode(s.content_bytes().unwrap_or_default())
                .map_err(|_| protocol("the snapshot reference does not decode"))
        })
        .transpose()?;
    let list = node.get_child("patches").unwrap_or(node);
    let patches = list
        .children_by_tag("patch")
        .map(|p| {
            SyncdPatch::decode(p.content_bytes().unwrap_or_default())
                .map_err(|_| protocol("a patch does not decode"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Ok(Answer {
        snapshot,
        patches,
        has_more: node.attr_str("has_more_patches").as_deref() == Some("true"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_refusals_parse() {
        let patch = SyncdPatch {
            patch_mac: Some(vec![1]),
            ..Default::default()
        };
        let reply = Node::new("iq").child(
            Node::new("sync").child(
                Node::new("collection")
                    .attr("name", "regular")
                    .attr("version", "4")
                    .attr("has_more_patches", "true")
                    .child(
                        Node::new("patches").child(Node::new("patch").bytes(patch.encode_to_vec())),
                    ),
            ),
        );
        let answer = parse(&reply, Collection::Regular).unwrap().unwrap();
        assert!(answer.has_more);
        assert_eq!(answer.patches, vec![patch]);
        assert!(parse(&reply, Collection::RegularLow).is_err());
        let refused = Node::new("iq").child(
            Node::new("sync").child(
                Node::new("collection")
                    .attr("name", "regular")
                    .attr("type", "error")
                    .child(
                        Node::new("error")
                            .attr("code", "409")
                            .attr("text", "conflict"),
                    ),
            ),
        );
        assert_eq!(
            parse(&refused, Collection::Regular)
                .unwrap()
                .unwrap_err()
                .code,
            409
        );
        let fetch = fetch(Collection::Regular, 0);
        let c = fetch.get_path(&["sync", "collection"]).unwrap();
        assert_eq!(c.attr_str("return_snapshot").as_deref(), Some("true"));
    }
}
