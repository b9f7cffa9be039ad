//! App-state sync, `xmlns="w:sync:app:state"` (docs/PROTOCOL.md, App state): the client asks for patches of
//! its five collections; a minimal server answers every collection as empty
//! (`<collection name version="0"/>`).

use super::error::StanzaError;
use super::iq::{IqSpec, IqType, with_children};
use super::read::{NodeRead, bool_text, bytes_node};
use crate::node::Node;

/// One collection to fetch: `<collection name version return_snapshot/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRequest {
    /// `critical_block`, `critical_unblock_low`, `regular_high`, `regular`, `regular_low`.
    pub name: String,
    /// The version the client has.
    pub version: u64,
    /// Ask for a full snapshot.
    pub return_snapshot: bool,
}

/// One collection of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionPatches {
    /// Collection name.
    pub name: String,
    /// Server version.
    pub version: u64,
    /// More patches wait (`has_more_patches="true"`).
    pub has_more_patches: bool,
    /// Serialized `SyncdPatch`es.
    pub patches: Vec<Vec<u8>>,
    /// Serialized `ExternalBlobReference` of a snapshot.
    pub snapshot: Option<Vec<u8>>,
}

impl CollectionPatches {
    /// An empty collection at version 0.
    pub fn empty(name: impl Into<String>) -> Self {
        CollectionPatches {
            name: name.into(),
            version: 0,
            has_more_patches: false,
            patches: Vec::new(),
            snapshot: None,
        }
    }
}

/// C→S `<iq xmlns="w:sync:app:state" type="set"><sync><collection …/>…</sync></iq>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncAppState {
    /// Collections to fetch.
    pub collections: Vec<CollectionRequest>,
}

impl IqSpec for SyncAppState {
    type Response = Vec<CollectionPatches>;
    const XMLNS: &'static str = "w:sync:app:state";
    const TYPE: IqType = IqType::Set;

    fn request_children(&self) -> Vec<Node> {
        let collections = self
            .collections
            .iter()
            .map(|c| {
                Node::new("collection")
                    .attr("name", c.name.as_str())
                    .attr("version", c.version.to_string())
                    .attr("return_snapshot", bool_text(c.return_snapshot))
            })
            .collect();
        vec![Node::new("sync").children(collections)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(SyncAppState {
            collections: iq
                .req_child("sync")?
                .children_by_tag("collection")
                .map(|c| {
                    Ok(CollectionRequest {
                        name: c.text_attr("name")?,
                        version: c.opt_num_attr("version")?.unwrap_or_default(),
                        return_snapshot: c.opt_bool_attr("return_snapshot")?.unwrap_or(false),
                    })
                })
                .collect::<Result<_, StanzaError>>()?,
        })
    }

    fn response_children(collections: &Vec<CollectionPatches>) -> Vec<Node> {
        let nodes = collections
            .iter()
            .map(|c| {
                let node = Node::new("collection")
                    .attr("name", c.name.as_str())
                    .attr("version", c.version.to_string())
                    .attr_opt("has_more_patches", c.has_more_patches.then_some("true"));
                let mut children = Vec::new();
                if !c.patches.is_empty() {
                    children.push(
                        Node::new("patches").children(
                            c.patches
                                .iter()
                                .map(|p| bytes_node("patch", p.clone()))
                                .collect(),
                        ),
                    );
                }
                children.extend(
                    c.snapshot
                        .as_ref()
                        .map(|s| bytes_node("snapshot", s.clone())),
                );
                with_children(node, children)
            })
            .collect();
        vec![Node::new("sync").children(nodes)]
    }

    fn decode_response(iq: &Node) -> Result<Vec<CollectionPatches>, StanzaError> {
        iq.req_child("sync")?
            .children_by_tag("collection")
            .map(|c| {
                let patches = match c.get_child("patches") {
                    Some(patches) => patches
                        .children_by_tag("patch")
                        .map(NodeRead::req_bytes)
                        .collect::<Result<_, _>>()?,
                    None => Vec::new(),
                };
                Ok(CollectionPatches {
                    name: c.text_attr("name")?,
                    version: c.opt_num_attr("version")?.unwrap_or_default(),
                    has_more_patches: c.opt_bool_attr("has_more_patches")?.unwrap_or(false),
                    patches,
                    snapshot: c.opt_child_bytes("snapshot")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::testing::assert_iq_round_trip;

    #[test]
    fn app_state_round_trip() {
        let spec = SyncAppState {
            collections: vec![
                CollectionRequest {
                    name: "regular".into(),
                    version: 0,
                    return_snapshot: true,
                },
                CollectionRequest {
                    name: "critical_block".into(),
                    version: 3,
                    return_snapshot: false,
                },
            ],
        };
        let response = vec![
            CollectionPatches::empty("regular"),
            CollectionPatches {
                name: "critical_block".into(),
                version: 5,
                has_more_patches: true,
                patches: vec![vec![1], vec![2]],
                snapshot: Some(vec![3]),
            },
        ];
        assert_iq_round_trip(&spec, &response);
        assert_eq!(
            SyncAppState::response_children(&vec![CollectionPatches::empty("regular")]),
            vec![
                Node::new("sync").child(
                    Node::new("collection")
                        .attr("name", "regular")
                        .attr("version", "0")
                )
            ]
        );
    }
}
