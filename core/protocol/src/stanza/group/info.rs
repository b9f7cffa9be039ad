//! The `<group>` node the server sends as group metadata (metadata query, create, participating
//! list, invite preview, create notification).

use crate::jid::{GROUP_SERVER, Jid};
use crate::node::Node;
use crate::stanza::addressing::AddressingMode;
use crate::stanza::error::StanzaError;
use crate::stanza::iq::with_children;
use crate::stanza::read::{NodeRead, bad_attr, bytes_node, node_conversions, string_enum};

string_enum! {
    /// A participant's `type`; absent for plain members.
    pub enum ParticipantRole {
        /// An admin.
        Admin = "admin",
        /// The creator / super admin.
        SuperAdmin = "superadmin",
    }
}

/// `<participant jid [type] [phone_number] [lid]/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupParticipant {
    /// The participant (LID in LID-addressed groups).
    pub jid: Jid,
    /// Admin role, `None` for members.
    pub role: Option<ParticipantRole>,
    /// The PN, when `jid` is a LID.
    pub phone_number: Option<Jid>,
    /// The LID, when `jid` is a PN.
    pub lid: Option<Jid>,
}

impl GroupParticipant {
    /// A plain member.
    pub fn member(jid: Jid) -> Self {
        GroupParticipant {
            jid,
            role: None,
            phone_number: None,
            lid: None,
        }
    }

    /// The `<participant>` node.
    pub fn to_node(&self) -> Node {
        Node::new("participant")
            .attr("jid", &self.jid)
            .attr_opt("type", self.role.as_ref().map(ParticipantRole::as_str))
            .attr_opt("phone_number", self.phone_number.as_ref())
            .attr_opt("lid", self.lid.as_ref())
    }

    /// Parses `<participant>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("participant")?;
        Ok(GroupParticipant {
            jid: node.jid_attr("jid")?,
            role: node.attr_str("type").map(|t| t.as_str().into()),
            phone_number: node.opt_jid_attr("phone_number")?,
            lid: node.opt_jid_attr("lid")?,
        })
    }
}

/// `<description id [t] [participant]><body>BYTES</body></description>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// Description id (changes with each edit).
    pub id: String,
    /// When it was set.
    pub t: Option<u64>,
    /// Who set it.
    pub participant: Option<Jid>,
    /// The text (BINARY on the wire).
    pub body: String,
}

impl GroupDescription {
    /// The `<description>` node.
    pub fn to_node(&self) -> Node {
        Node::new("description")
            .attr("id", self.id.as_str())
            .attr_opt("t", self.t.map(|t| t.to_string()))
            .attr_opt("participant", self.participant.as_ref())
            .child(bytes_node("body", self.body.as_bytes()))
    }

    /// Parses `<description>`.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("description")?;
        Ok(GroupDescription {
            id: node.text_attr("id")?,
            t: node.opt_num_attr("t")?,
            participant: node.opt_jid_attr("participant")?,
            body: node.req_child("body")?.req_text()?,
        })
    }
}

/// Group metadata: `<group id subject s_t s_o creation creator size addressing_mode …>` with
/// `<participant>`s, `<description>`, `<announcement/>`, `<locked/>`, `<ephemeral/>`,
/// `<member_add_mode>` children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// The group JID (on the wire `id` is the user part only, a plain string).
    pub jid: Jid,
    /// The subject (name).
    pub subject: String,
    /// When the subject was set (`s_t`).
    pub subject_time: Option<u64>,
    /// Who set it (`s_o`).
    pub subject_owner: Option<Jid>,
    /// Its PN (`s_o_pn`).
    pub subject_owner_pn: Option<Jid>,
    /// Creation time.
    pub creation: Option<u64>,
    /// The creator.
    pub creator: Option<Jid>,
    /// The creator's PN (`creator_pn`).
    pub creator_pn: Option<Jid>,
    /// Participant count.
    pub size: Option<u64>,
    /// `lid` or `pn`.
    pub addressing_mode: Option<AddressingMode>,
    /// Participants.
    pub participants: Vec<GroupParticipant>,
    /// The description.
    pub description: Option<GroupDescription>,
    /// Only admins can send (`<announcement/>`).
    pub announcement: bool,
    /// Only admins can edit info (`<locked/>`).
    pub locked: bool,
    /// Disappearing-message timer in seconds (`<ephemeral expiration/>`).
    pub ephemeral: Option<u32>,
    /// `<member_add_mode>` content, e.g. `all_member_add` (BINARY on the wire).
    pub member_add_mode: Option<String>,
    /// Other children (`<membership_approval_mode>`, `<parent>`…), kept verbatim.
    pub extra: Vec<Node>,
}

impl GroupInfo {
    /// Metadata with a JID and subject only.
    pub fn new(jid: Jid, subject: impl Into<String>) -> Self {
        GroupInfo {
            jid,
            subject: subject.into(),
            subject_time: None,
            subject_owner: None,
            subject_owner_pn: None,
            creation: None,
            creator: None,
            creator_pn: None,
            size: None,
            addressing_mode: None,
            participants: Vec::new(),
            description: None,
            announcement: false,
            locked: false,
            ephemeral: None,
            member_add_mode: None,
            extra: Vec::new(),
        }
    }

    /// The `<group>` node.
    pub fn to_node(&self) -> Node {
        let node = Node::new("group")
            .attr("id", self.jid.user.as_str())
            .attr("subject", self.subject.as_str())
            .attr_opt("s_t", self.subject_time.map(|t| t.to_string()))
            .attr_opt("s_o", self.subject_owner.as_ref())
            .attr_opt("s_o_pn", self.subject_owner_pn.as_ref())
            .attr_opt("creation", self.creation.map(|t| t.to_string()))
            .attr_opt("creator", self.creator.as_ref())
            .attr_opt("creator_pn", self.creator_pn.as_ref())
            .attr_opt("size", self.size.map(|s| s.to_string()))
            .attr_opt(
                "addressing_mode",
                self.addressing_mode.as_ref().map(AddressingMode::as_str),
            );
        let mut children: Vec<Node> = self
            .participants
            .iter()
            .map(GroupParticipant::to_node)
            .collect();
        children.extend(self.description.as_ref().map(GroupDescription::to_node));
        if self.announcement {
            children.push(Node::new("announcement"));
        }
        if self.locked {
            children.push(Node::new("locked"));
        }
        if let Some(expiration) = self.ephemeral {
            children.push(Node::new("ephemeral").attr("expiration", expiration.to_string()));
        }
        if let Some(mode) = &self.member_add_mode {
            children.push(bytes_node("member_add_mode", mode.as_bytes()));
        }
        children.extend(self.extra.iter().cloned());
        with_children(node, children)
    }

    /// Parses `<group>`; `id` may be the user part or the full group JID.
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("group")?;
        let mut info = GroupInfo {
            subject_time: node.opt_num_attr("s_t")?,
            subject_owner: node.opt_jid_attr("s_o")?,
            subject_owner_pn: node.opt_jid_attr("s_o_pn")?,
            creation: node.opt_num_attr("creation")?,
            creator: node.opt_jid_attr("creator")?,
            creator_pn: node.opt_jid_attr("creator_pn")?,
            size: node.opt_num_attr("size")?,
            addressing_mode: AddressingMode::read(node),
            ..GroupInfo::new(
                group_jid(node, "id")?,
                node.attr_str("subject").unwrap_or_default(),
            )
        };
        for child in node.child_nodes() {
            match child.tag.as_str() {
                "participant" => info.participants.push(GroupParticipant::from_node(child)?),
                "description" => info.description = Some(GroupDescription::from_node(child)?),
                "announcement" => info.announcement = true,
                "locked" => info.locked = true,
                "ephemeral" => info.ephemeral = Some(child.num_attr("expiration")?),
                "member_add_mode" => info.member_add_mode = Some(child.req_text()?),
                _ => info.extra.push(child.clone()),
            }
        }
        Ok(info)
    }
}

node_conversions!(GroupParticipant, GroupDescription, GroupInfo);

/// Reads a group id attribute given as `120363…` or `120363…@g.us` (string or JID).
pub fn group_jid(node: &Node, attr: &'static str) -> Result<Jid, StanzaError> {
    let text = node.text_attr(attr)?;
    let jid = if text.contains('@') {
        text.parse()
            .map_err(|_| bad_attr(node, attr, text.as_str()))?
    } else {
        Jid::new(text.as_str(), GROUP_SERVER)
    };
    if jid.is_group() && !jid.user.is_empty() {
        Ok(jid)
    } else {
        Err(bad_attr(node, attr, text))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{AttrValue, Content};

    pub(crate) fn sample_group() -> GroupInfo {
        GroupInfo {
            subject_time: Some(1_700_000_000),
            subject_owner: Some(Jid::lid("100000000000001")),
            creation: Some(1_699_999_999),
            creator: Some(Jid::lid("100000000000001")),
            size: Some(2),
            addressing_mode: Some(AddressingMode::Lid),
            participants: vec![
                GroupParticipant {
                    role: Some(ParticipantRole::SuperAdmin),
                    phone_number: Some(Jid::pn("15550000001")),
                    ..GroupParticipant::member(Jid::lid("100000000000001"))
                },
                GroupParticipant {
                    phone_number: Some(Jid::pn("15550000002")),
                    ..GroupParticipant::member(Jid::lid("200000000000002"))
                },
            ],
            description: Some(GroupDescription {
                id: "D1".into(),
                t: Some(1),
                participant: Some(Jid::lid("100000000000001")),
                body: "about us".into(),
            }),
            announcement: true,
            locked: true,
            ephemeral: Some(604_800),
            member_add_mode: Some("all_member_add".into()),
            extra: vec![Node::new("default_sub_group")],
            ..GroupInfo::new("120363000000000001@g.us".parse().unwrap(), "Team")
        }
    }

    #[test]
    fn group_node_shape_and_round_trip() {
        let group = sample_group();
        let node = group.to_node();
        // id is the plain user part; JID-valued attributes are JIDs; text content is bytes.
        assert_eq!(
            node.get_attr("id"),
            Some(&AttrValue::Str("120363000000000001".into()))
        );
        assert!(matches!(node.get_attr("creator"), Some(AttrValue::Jid(_))));
        let participant = node.get_child("participant").unwrap();
        assert!(matches!(
            participant.get_attr("phone_number"),
            Some(AttrValue::Jid(_))
        ));
        assert_eq!(participant.attr_str("type").as_deref(), Some("superadmin"));
        assert_eq!(
            node.get_path(&["description", "body"]).map(|b| &b.content),
            Some(&Content::Bytes(b"about us".to_vec()))
        );
        assert_eq!(
            node.get_child("member_add_mode").map(|m| &m.content),
            Some(&Content::Bytes(b"all_member_add".to_vec()))
        );
        assert_eq!(GroupInfo::from_node(&node).unwrap(), group);
    }

    #[test]
    fn appendix_c2_group_metadata_parses_liberally() {
        let node = Node::new("group")
            .attr("addressing_mode", "lid")
            .attr("subject", "G")
            .attr("id", "120363000000000001@g.us")
            .children(vec![
                Node::new("participant")
                    .attr("jid", "100000000000001@lid")
                    .attr("phone_number", "15550000001@s.whatsapp.net")
                    .attr("type", "superadmin"),
                Node::new("participant")
                    .attr("jid", "200000000000002@lid")
                    .attr("phone_number", "15550000002@s.whatsapp.net"),
                Node::new("description")
                    .attr("id", "x")
                    .child(Node::new("body").text("plain text body")),
            ]);
        let info = GroupInfo::from_node(&node).unwrap();
        assert_eq!(info.jid, "120363000000000001@g.us".parse().unwrap());
        assert_eq!(info.participants[1].role, None);
        assert_eq!(info.participants[0].role, Some(ParticipantRole::SuperAdmin));
        assert_eq!(info.description.unwrap().body, "plain text body");
    }

    #[test]
    fn bad_group_nodes_are_typed_errors() {
        assert!(matches!(
            GroupInfo::from_node(&Node::new("group")),
            Err(StanzaError::MissingAttr { attr: "id", .. })
        ));
        assert!(matches!(
            GroupInfo::from_node(&Node::new("group").attr("id", "1@s.whatsapp.net")),
            Err(StanzaError::BadAttr { attr: "id", .. })
        ));
        let bad_participant = Node::new("group")
            .attr("id", "1")
            .child(Node::new("participant"));
        assert!(matches!(
            GroupInfo::from_node(&bad_participant),
            Err(StanzaError::MissingAttr { attr: "jid", .. })
        ));
    }
}
