//! Newsletters (channels): the `w:mex` GraphQL IQ that creates, reads, follows and edits them,
//! the `newsletter` IQs for live updates and message history, and the plaintext posts
//! (`<message><plaintext/></message>`) that are not end-to-end encrypted.
//!
//! The GraphQL bodies are JSON; this module carries them as bytes and leaves their schema to the
//! caller (the query ids and result paths are listed in [`mex`]).

use super::error::StanzaError;
use super::iq::{IqSpec, IqType};
use super::read::NodeRead;
use crate::jid::Jid;
use crate::node::Node;

/// The GraphQL query ids WhatsApp clients send in `<query query_id>` and the `data` field each
/// answer is under.
pub mod mex {
    /// Creates a newsletter; answer under `xwa2_newsletter_create`.
    pub const CREATE: &str = "8823471724422422";
    /// Edits name, description or picture; answer under `xwa2_newsletter_update`.
    pub const UPDATE_METADATA: &str = "24250201037901610";
    /// Metadata by JID or invite code; answer under `xwa2_newsletter`.
    pub const METADATA: &str = "6563316087068696";
    /// Subscriber count; answer under `xwa2_newsletter_subscribers`.
    pub const SUBSCRIBERS: &str = "9783111038412085";
    /// Follows; answer under `xwa2_newsletter_join_v2`.
    pub const FOLLOW: &str = "24404358912487870";
    /// Unfollows; answer under `xwa2_newsletter_leave_v2`.
    pub const UNFOLLOW: &str = "9767147403369991";
    /// Mutes; answer under `xwa2_newsletter_mute_v2`.
    pub const MUTE: &str = "29766401636284406";
    /// Unmutes; answer under `xwa2_newsletter_unmute_v2`.
    pub const UNMUTE: &str = "9864994326891137";
    /// Admin count; answer under `xwa2_newsletter_admin`.
    pub const ADMIN_COUNT: &str = "7130823597031706";
    /// Deletes; answer under `xwa2_newsletter_delete_v2`.
    pub const DELETE: &str = "30062808666639665";
}

/// C→S `<iq xmlns="w:mex" type="get"><query query_id>{"variables":…}</query></iq>` → the
/// bytes of the `<result>` child (JSON `{"data": …}` or `{"errors": […]}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MexQuery {
    /// The GraphQL query id (see [`mex`]).
    pub query_id: String,
    /// The JSON body, `{"variables": {...}}`.
    pub body: Vec<u8>,
}

impl IqSpec for MexQuery {
    type Response = Vec<u8>;
    const XMLNS: &'static str = "w:mex";
    const TYPE: IqType = IqType::Get;

    fn request_children(&self) -> Vec<Node> {
        vec![
            Node::new("query")
                .attr("query_id", self.query_id.as_str())
                .bytes(self.body.clone()),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let query = iq.req_child("query")?;
        Ok(MexQuery {
            query_id: query.text_attr("query_id")?,
            body: query.req_bytes()?,
        })
    }

    fn response_children(result: &Vec<u8>) -> Vec<Node> {
        vec![Node::new("result").bytes(result.clone())]
    }

    fn decode_response(iq: &Node) -> Result<Vec<u8>, StanzaError> {
        iq.child_bytes("result")
    }
}

/// C→S `<iq xmlns="newsletter" type="set" to=NEWSLETTER><live_updates/></iq>`: asks for new
/// posts, reactions and views as they happen → how long the subscription lasts (seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveUpdates {
    /// The newsletter.
    pub newsletter: Jid,
}

impl IqSpec for LiveUpdates {
    type Response = Option<u32>;
    const XMLNS: &'static str = "newsletter";
    const TYPE: IqType = IqType::Set;

    fn peer(&self) -> Jid {
        self.newsletter.clone()
    }

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("live_updates")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("live_updates")?;
        Ok(LiveUpdates {
            newsletter: iq.jid_attr("to")?,
        })
    }

    fn response_children(duration: &Option<u32>) -> Vec<Node> {
        let node = Node::new("live_updates");
        vec![match duration {
            Some(seconds) => node.attr("duration", seconds.to_string()),
            None => node,
        }]
    }

    fn decode_response(iq: &Node) -> Result<Option<u32>, StanzaError> {
        iq.req_child("live_updates")?.opt_num_attr("duration")
    }
}

/// C→S `<iq xmlns="newsletter" type="get" to=NEWSLETTER><message_updates count [since]
/// [after]/></iq>` → the posts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchPosts {
    /// The newsletter.
    pub newsletter: Jid,
    /// At most this many posts.
    pub count: u32,
    /// Only posts at or after this time (seconds).
    pub since: Option<u64>,
    /// Only posts with a server id above this one.
    pub after: Option<u64>,
}

impl IqSpec for FetchPosts {
    type Response = Vec<Post>;
    const XMLNS: &'static str = "newsletter";
    const TYPE: IqType = IqType::Get;

    fn peer(&self) -> Jid {
        self.newsletter.clone()
    }

    fn request_children(&self) -> Vec<Node> {
        vec![
            Node::new("message_updates")
                .attr("count", self.count.to_string())
                .attr_opt("since", self.since.map(|t| t.to_string()))
                .attr_opt("after", self.after.map(|id| id.to_string())),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let updates = iq.req_child("message_updates")?;
        Ok(FetchPosts {
            newsletter: iq.jid_attr("to")?,
            count: updates.num_attr("count")?,
            since: updates.opt_num_attr("since")?,
            after: updates.opt_num_attr("after")?,
        })
    }

    fn response_children(posts: &Vec<Post>) -> Vec<Node> {
        let messages = posts.iter().map(Post::to_history_node).collect();
        vec![Node::new("message_updates").child(Node::new("messages").children(messages))]
    }

    fn decode_response(iq: &Node) -> Result<Vec<Post>, StanzaError> {
        let Some(messages) = iq.get_path(&["message_updates", "messages"]) else {
            return Ok(Vec::new());
        };
        messages
            .children_by_tag("message")
            .map(Post::from_history_node)
            .collect()
    }
}

/// One newsletter post: a `Message` protobuf sent in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The message id the sender gave it.
    pub id: String,
    /// The server's sequence number for it in the newsletter.
    pub server_id: u64,
    /// Server time (seconds).
    pub t: u64,
    /// The stanza type (`text`, `media`, `reaction`…).
    pub kind: String,
    /// The serialized `Message` (not padded).
    pub plaintext: Vec<u8>,
}

impl Post {
    /// S→C live delivery: `<message from=NEWSLETTER id server_id t type><plaintext/></message>`.
    pub fn to_node(&self, newsletter: &Jid) -> Node {
        self.to_history_node().attr("from", newsletter.clone())
    }

    /// Reads a live delivery; returns the newsletter and the post.
    pub fn from_node(node: &Node) -> Result<(Jid, Post), StanzaError> {
        let node = node.expect_tag("message")?;
        Ok((node.jid_attr("from")?, Post::from_history_node(node)?))
    }

    fn to_history_node(&self) -> Node {
        Node::new("message")
            .attr("id", self.id.as_str())
            .attr("server_id", self.server_id.to_string())
            .attr("t", self.t.to_string())
            .attr("type", self.kind.as_str())
            .child(Node::new("plaintext").bytes(self.plaintext.clone()))
    }

    fn from_history_node(node: &Node) -> Result<Post, StanzaError> {
        Ok(Post {
            id: node.text_attr("id")?,
            server_id: node.num_attr("server_id")?,
            t: node.num_attr("t")?,
            kind: node.text_attr("type")?,
            plaintext: node.child_bytes("plaintext")?,
        })
    }
}

/// C→S a post to a newsletter: `<message to=NEWSLETTER id type><plaintext/></message>`, or a
/// reaction to post `server_id`: `<message to type="reaction" server_id><reaction code/></message>`
/// (no `code` and `edit="7"` withdraws it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingPost {
    /// The newsletter.
    pub to: Jid,
    /// Message id.
    pub id: String,
    /// What is sent.
    pub body: PostBody,
}

/// The content of an [`OutgoingPost`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostBody {
    /// A new post: its stanza type and serialized `Message`.
    Message {
        /// Stanza type (`text`, `media`…).
        kind: String,
        /// Serialized `Message`.
        plaintext: Vec<u8>,
    },
    /// A reaction to a post; `None` withdraws the sender's reaction.
    Reaction {
        /// The post's server id.
        server_id: u64,
        /// The emoji.
        code: Option<String>,
    },
}

impl OutgoingPost {
    /// The stanza.
    pub fn to_node(&self) -> Node {
        let node = Node::new("message")
            .attr("to", self.to.clone())
            .attr("id", self.id.as_str());
        match &self.body {
            PostBody::Message { kind, plaintext } => node
                .attr("type", kind.as_str())
                .child(Node::new("plaintext").bytes(plaintext.clone())),
            PostBody::Reaction { server_id, code } => {
                let node = node
                    .attr("type", "reaction")
                    .attr("server_id", server_id.to_string())
                    .attr_opt("edit", code.is_none().then_some("7"));
                node.child(Node::new("reaction").attr_opt("code", code.as_deref()))
            }
        }
    }

    /// Reads the stanza.
    pub fn from_node(node: &Node) -> Result<OutgoingPost, StanzaError> {
        let node = node.expect_tag("message")?;
        let kind = node.text_attr("type")?;
        let body = if kind == "reaction" {
            PostBody::Reaction {
                server_id: node.num_attr("server_id")?,
                code: node.req_child("reaction")?.attr_str("code"),
            }
        } else {
            PostBody::Message {
                kind,
                plaintext: node.child_bytes("plaintext")?,
            }
        };
        Ok(OutgoingPost {
            to: node.jid_attr("to")?,
            id: node.text_attr("id")?,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newsletter() -> Jid {
        "120363000000000001@newsletter".parse().unwrap()
    }

    #[test]
    fn mex_query_round_trips_and_answers_with_result_bytes() {
        let query = MexQuery {
            query_id: mex::CREATE.into(),
            body: br#"{"variables":{"input":{"name":"n"}}}"#.to_vec(),
        };
        let iq = query.request_with_id("1");
        assert_eq!(iq.attr_str("xmlns").as_deref(), Some("w:mex"));
        let (header, parsed) = MexQuery::parse_request(&iq).unwrap();
        assert_eq!(parsed, query);
        let answer = MexQuery::response(&header, &b"{\"data\":{}}".to_vec());
        assert_eq!(MexQuery::parse_response(&answer).unwrap(), b"{\"data\":{}}");
    }

    #[test]
    fn live_updates_and_fetch_go_to_the_newsletter() {
        let live = LiveUpdates {
            newsletter: newsletter(),
        };
        let iq = live.request_with_id("2");
        assert_eq!(iq.attr_jid("to"), Some(newsletter()));
        let (header, parsed) = LiveUpdates::parse_request(&iq).unwrap();
        assert_eq!(parsed, live);
        let answer = LiveUpdates::response(&header, &Some(300));
        assert_eq!(LiveUpdates::parse_response(&answer).unwrap(), Some(300));

        let fetch = FetchPosts {
            newsletter: newsletter(),
            count: 10,
            since: None,
            after: Some(3),
        };
        let (header, parsed) = FetchPosts::parse_request(&fetch.request_with_id("3")).unwrap();
        assert_eq!(parsed, fetch);
        let post = Post {
            id: "ID".into(),
            server_id: 4,
            t: 1700000000,
            kind: "text".into(),
            plaintext: vec![10, 1, 104],
        };
        let answer = FetchPosts::response(&header, &vec![post.clone()]);
        assert_eq!(FetchPosts::parse_response(&answer).unwrap(), vec![post]);
    }

    #[test]
    fn posts_and_reactions_round_trip() {
        let post = OutgoingPost {
            to: newsletter(),
            id: "A".into(),
            body: PostBody::Message {
                kind: "text".into(),
                plaintext: vec![1, 2],
            },
        };
        assert_eq!(OutgoingPost::from_node(&post.to_node()).unwrap(), post);
        let unreact = OutgoingPost {
            to: newsletter(),
            id: "B".into(),
            body: PostBody::Reaction {
                server_id: 7,
                code: None,
            },
        };
        let node = unreact.to_node();
        assert_eq!(node.attr_str("edit").as_deref(), Some("7"));
        assert_eq!(OutgoingPost::from_node(&node).unwrap(), unreact);
        let live = Post {
            id: "C".into(),
            server_id: 1,
            t: 5,
            kind: "text".into(),
            plaintext: vec![3],
        };
        assert_eq!(
            Post::from_node(&live.to_node(&newsletter())).unwrap(),
            (newsletter(), live)
        );
    }

    #[test]
    fn a_post_without_plaintext_is_an_error() {
        let node = Node::new("message")
            .attr("to", newsletter())
            .attr("id", "X")
            .attr("type", "text");
        assert!(OutgoingPost::from_node(&node).is_err());
    }
}
