//! Group IQs (`xmlns="w:g2"`), sent by a client to the group JID or to `g.us` (docs/PROTOCOL.md, Groups).
//! The server also pushes a `w:gp2` notification to the members after each change.

use super::info::{GroupInfo, ParticipantRole, group_jid};
use crate::jid::{GROUP_SERVER, Jid};
use crate::node::Node;
use crate::stanza::error::StanzaError;
use crate::stanza::iq::{IqSpec, IqType};
use crate::stanza::read::{NodeRead, bad_attr, bytes_node, string_enum};

/// `g.us`, the target of create, participating, join and leave.
fn groups_server() -> Jid {
    Jid::server_jid(GROUP_SERVER)
}

/// The group an IQ is addressed to.
pub(super) fn target_group(iq: &Node) -> Result<Jid, StanzaError> {
    let to = iq.jid_attr("to")?;
    if to.is_group() && !to.user.is_empty() {
        Ok(to)
    } else {
        Err(bad_attr(iq, "to", to.to_string()))
    }
}

/// The response half of an IQ answered with an empty result.
macro_rules! empty_response {
    () => {
        fn response_children(_: &()) -> Vec<Node> {
            Vec::new()
        }

        fn decode_response(_: &Node) -> Result<(), StanzaError> {
            Ok(())
        }
    };
}

/// The part of an [`IqSpec`] shared by every group IQ addressed to the group itself (its
/// `group` field): `to_group!(TYPE, RESPONSE)`.
macro_rules! to_group {
    ($type:expr, $response:ty) => {
        type Response = $response;
        const XMLNS: &'static str = "w:g2";
        const TYPE: IqType = $type;

        fn peer(&self) -> Jid {
            self.group.clone()
        }
    };
}

/// A `set` IQ to a group whose one child carries a text as bytes, answered with an empty result:
/// `NAME { /// doc  field } => "child"` defines `NAME { group, field: String }`.
macro_rules! group_text_iq {
    ($(#[$doc:meta])* $name:ident { $(#[$field_doc:meta])* $field:ident } => $child:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The group.
            pub group: Jid,
            $(#[$field_doc])*
            pub $field: String,
        }

        impl IqSpec for $name {
            to_group!(IqType::Set, ());

            fn request_children(&self) -> Vec<Node> {
                vec![bytes_node($child, self.$field.as_bytes())]
            }

            fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
                Ok($name {
                    group: target_group(iq)?,
                    $field: iq.req_child($child)?.req_text()?,
                })
            }

            empty_response!();
        }
    };
}

/// An IQ to a group with one `<invite/>` child, answered with `<invite code/>`: `NAME, TYPE`
/// defines `NAME { group }` (get reads the code, set revokes it and returns the new one).
macro_rules! invite_code_iq {
    ($(#[$doc:meta])* $name:ident, $type:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The group.
            pub group: Jid,
        }

        impl IqSpec for $name {
            to_group!($type, String);

            fn request_children(&self) -> Vec<Node> {
                vec![Node::new("invite")]
            }

            fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
                iq.req_child("invite")?;
                Ok($name {
                    group: target_group(iq)?,
                })
            }

            fn response_children(code: &String) -> Vec<Node> {
                invite_code_children(code)
            }

            fn decode_response(iq: &Node) -> Result<String, StanzaError> {
                decode_invite_code(iq)
            }
        }
    };
}

/// `<iq to=GROUP type="get"><query request="interactive"/></iq>` → `<group …>`: metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetGroupInfo {
    /// The group.
    pub group: Jid,
}

impl IqSpec for GetGroupInfo {
    to_group!(IqType::Get, GroupInfo);

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new("query").attr("request", "interactive")]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("query")?;
        Ok(GetGroupInfo {
            group: target_group(iq)?,
        })
    }

    fn response_children(info: &GroupInfo) -> Vec<Node> {
        vec![info.to_node()]
    }

    fn decode_response(iq: &Node) -> Result<GroupInfo, StanzaError> {
        GroupInfo::from_node(iq.req_child("group")?)
    }
}

/// `<iq to="g.us" type="get"><participating><participants/><description/></participating>` →
/// `<groups><group/>…</groups>`: every group the user is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetParticipatingGroups;

impl IqSpec for GetParticipatingGroups {
    type Response = Vec<GroupInfo>;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Get;

    fn peer(&self) -> Jid {
        groups_server()
    }

    fn request_children(&self) -> Vec<Node> {
        vec![
            Node::new("participating")
                .children(vec![Node::new("participants"), Node::new("description")]),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        iq.req_child("participating")
            .map(|_| GetParticipatingGroups)
    }

    fn response_children(groups: &Vec<GroupInfo>) -> Vec<Node> {
        vec![Node::new("groups").children(groups.iter().map(GroupInfo::to_node).collect())]
    }

    fn decode_response(iq: &Node) -> Result<Vec<GroupInfo>, StanzaError> {
        iq.req_child("groups")?
            .children_by_tag("group")
            .map(GroupInfo::from_node)
            .collect()
    }
}

/// `<iq to="g.us" type="set"><create subject [key]><participant jid/>…</create>` → `<group …>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateGroup {
    /// The subject.
    pub subject: String,
    /// Initial participants (besides the creator).
    pub participants: Vec<Jid>,
    /// Creation key (an id the client picks to deduplicate).
    pub key: Option<String>,
    /// Disappearing timer to start with.
    pub ephemeral: Option<u32>,
    /// `<member_add_mode>` content, e.g. `all_member_add`.
    pub member_add_mode: Option<String>,
}

impl IqSpec for CreateGroup {
    type Response = GroupInfo;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Set;

    fn peer(&self) -> Jid {
        groups_server()
    }

    fn request_children(&self) -> Vec<Node> {
        let mut children: Vec<Node> = self
            .participants
            .iter()
            .map(|jid| Node::new("participant").attr("jid", jid))
            .collect();
        if let Some(mode) = &self.member_add_mode {
            children.push(bytes_node("member_add_mode", mode.as_bytes()));
        }
        if let Some(expiration) = self.ephemeral {
            children.push(Node::new("ephemeral").attr("expiration", expiration.to_string()));
        }
        vec![
            Node::new("create")
                .attr("subject", self.subject.as_str())
                .attr_opt("key", self.key.as_deref())
                .children(children),
        ]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let create = iq.req_child("create")?;
        Ok(CreateGroup {
            subject: create.text_attr("subject")?,
            participants: create
                .children_by_tag("participant")
                .map(|p| p.jid_attr("jid"))
                .collect::<Result<_, _>>()?,
            key: create.attr_str("key"),
            ephemeral: create
                .get_child("ephemeral")
                .map(|e| e.num_attr("expiration"))
                .transpose()?,
            member_add_mode: create
                .get_child("member_add_mode")
                .map(NodeRead::req_text)
                .transpose()?,
        })
    }

    fn response_children(info: &GroupInfo) -> Vec<Node> {
        vec![info.to_node()]
    }

    fn decode_response(iq: &Node) -> Result<GroupInfo, StanzaError> {
        GroupInfo::from_node(iq.req_child("group")?)
    }
}

string_enum! {
    /// What an [`UpdateParticipants`] does (the child's tag).
    pub enum ParticipantAction {
        /// Add members.
        Add = "add",
        /// Remove members.
        Remove = "remove",
        /// Make admins.
        Promote = "promote",
        /// Revoke admin.
        Demote = "demote",
    }
}

/// `<add_request code expiration/>`: the user must be invited instead (privacy settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddRequest {
    /// Invite code.
    pub code: String,
    /// When the code expires.
    pub expiration: u64,
}

/// One participant's outcome: `<participant jid [error] [type] [phone_number]>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantResult {
    /// The participant.
    pub jid: Jid,
    /// `error` code (403 not allowed, 408 recently left, 409 already member…); `None` = done.
    pub error: Option<u16>,
    /// Resulting role.
    pub role: Option<ParticipantRole>,
    /// The PN, when `jid` is a LID.
    pub phone_number: Option<Jid>,
    /// An invite to send instead of adding.
    pub add_request: Option<AddRequest>,
}

impl ParticipantResult {
    /// A success for `jid`.
    pub fn ok(jid: Jid) -> Self {
        ParticipantResult {
            jid,
            error: None,
            role: None,
            phone_number: None,
            add_request: None,
        }
    }

    pub(super) fn to_node(&self) -> Node {
        let node = Node::new("participant")
            .attr("jid", &self.jid)
            .attr_opt("error", self.error.map(|e| e.to_string()))
            .attr_opt("type", self.role.as_ref().map(ParticipantRole::as_str))
            .attr_opt("phone_number", self.phone_number.as_ref());
        match &self.add_request {
            Some(request) => node.child(
                Node::new("add_request")
                    .attr("code", request.code.as_str())
                    .attr("expiration", request.expiration.to_string()),
            ),
            None => node,
        }
    }

    pub(super) fn from_node(node: &Node) -> Result<Self, StanzaError> {
        let add_request = node
            .get_child("add_request")
            .map(|r| {
                Ok::<_, StanzaError>(AddRequest {
                    code: r.text_attr("code")?,
                    expiration: r.opt_num_attr("expiration")?.unwrap_or_default(),
                })
            })
            .transpose()?;
        Ok(ParticipantResult {
            jid: node.jid_attr("jid")?,
            error: node.opt_num_attr("error")?,
            role: node.attr_str("type").map(|t| t.as_str().into()),
            phone_number: node.opt_jid_attr("phone_number")?,
            add_request,
        })
    }
}

/// `<iq to=GROUP type="set"><add|remove|promote|demote><participant jid/>…</…>` → the same
/// tag with one [`ParticipantResult`] per target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateParticipants {
    /// The group.
    pub group: Jid,
    /// What to do.
    pub action: ParticipantAction,
    /// The targets.
    pub participants: Vec<Jid>,
}

impl IqSpec for UpdateParticipants {
    to_group!(IqType::Set, Vec<ParticipantResult>);

    fn request_children(&self) -> Vec<Node> {
        let participants = self
            .participants
            .iter()
            .map(|jid| Node::new("participant").attr("jid", jid))
            .collect();
        vec![Node::new(self.action.as_str()).children(participants)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let action = iq.first_child().ok_or(StanzaError::MissingChild {
            tag: iq.tag.to_string(),
            child: "add",
        })?;
        let kind = ParticipantAction::from(action.tag.as_str());
        if let ParticipantAction::Other(tag) = kind {
            return Err(StanzaError::UnexpectedTag {
                expected: "add",
                found: tag,
            });
        }
        Ok(UpdateParticipants {
            group: target_group(iq)?,
            action: kind,
            participants: action
                .children_by_tag("participant")
                .map(|p| p.jid_attr("jid"))
                .collect::<Result<_, _>>()?,
        })
    }

    fn response_children(results: &Vec<ParticipantResult>) -> Vec<Node> {
        // The response repeats the request's tag; `add` when the list alone cannot tell.
        vec![Node::new("add").children(results.iter().map(ParticipantResult::to_node).collect())]
    }

    fn decode_response(iq: &Node) -> Result<Vec<ParticipantResult>, StanzaError> {
        let action = iq.first_child().ok_or(StanzaError::MissingChild {
            tag: iq.tag.to_string(),
            child: "add",
        })?;
        action
            .children_by_tag("participant")
            .map(ParticipantResult::from_node)
            .collect()
    }
}

impl UpdateParticipants {
    /// The server's response with the request's own tag (what [`IqSpec::response`] cannot know).
    pub fn response_for(
        &self,
        header: &crate::stanza::IqHeader,
        results: &[ParticipantResult],
    ) -> Node {
        header
            .result(vec![Node::new(self.action.as_str()).children(
                results.iter().map(ParticipantResult::to_node).collect(),
            )])
    }
}

group_text_iq!(
    /// `<iq to=GROUP type="set"><subject>BYTES</subject></iq>`: renames the group.
    SetSubject {
        /// The new subject.
        subject
    } => "subject"
);

/// `<iq to=GROUP type="set"><description id [prev]><body>BYTES</body></description>` (or
/// `delete="true"` without body). Baileys deletes without `id` and whatsmeow's
/// `SetGroupDescription` sets without one; the server then picks the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDescription {
    /// The group.
    pub group: Jid,
    /// The new description id.
    pub id: Option<String>,
    /// The previous description id.
    pub prev: Option<String>,
    /// The text; `None` deletes the description.
    pub body: Option<String>,
}

impl IqSpec for SetDescription {
    to_group!(IqType::Set, ());

    fn request_children(&self) -> Vec<Node> {
        let node = Node::new("description")
            .attr_opt("id", self.id.as_deref())
            .attr_opt("prev", self.prev.as_deref());
        vec![match &self.body {
            Some(body) => node.child(bytes_node("body", body.as_bytes())),
            None => node.attr("delete", "true"),
        }]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let description = iq.req_child("description")?;
        let deleted = description.opt_bool_attr("delete")?.unwrap_or(false);
        Ok(SetDescription {
            group: target_group(iq)?,
            id: description.attr_str("id"),
            prev: description.attr_str("prev"),
            body: if deleted {
                None
            } else {
                Some(description.req_child("body")?.req_text()?)
            },
        })
    }

    empty_response!();
}

/// A group setting toggled by an empty child node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupSetting {
    /// `<locked/>`: only admins edit group info.
    Locked,
    /// `<unlocked/>`.
    Unlocked,
    /// `<announcement/>`: only admins send.
    Announcement,
    /// `<not_announcement/>`.
    NotAnnouncement,
}

impl GroupSetting {
    /// The child tag.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupSetting::Locked => "locked",
            GroupSetting::Unlocked => "unlocked",
            GroupSetting::Announcement => "announcement",
            GroupSetting::NotAnnouncement => "not_announcement",
        }
    }

    fn parse(tag: &str) -> Option<Self> {
        [
            GroupSetting::Locked,
            GroupSetting::Unlocked,
            GroupSetting::Announcement,
            GroupSetting::NotAnnouncement,
        ]
        .into_iter()
        .find(|s| s.as_str() == tag)
    }
}

/// `<iq to=GROUP type="set"><locked/></iq>` (or unlocked, announcement, not_announcement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetGroupSetting {
    /// The group.
    pub group: Jid,
    /// The setting.
    pub setting: GroupSetting,
}

impl IqSpec for SetGroupSetting {
    to_group!(IqType::Set, ());

    fn request_children(&self) -> Vec<Node> {
        vec![Node::new(self.setting.as_str())]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let tag = iq.first_child().map(|c| c.tag.as_str()).unwrap_or_default();
        let setting = GroupSetting::parse(tag).ok_or_else(|| StanzaError::UnexpectedTag {
            expected: "locked",
            found: tag.to_owned(),
        })?;
        Ok(SetGroupSetting {
            group: target_group(iq)?,
            setting,
        })
    }

    empty_response!();
}

/// `<iq to=GROUP type="set"><ephemeral expiration/></iq>` or `<not_ephemeral/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetEphemeral {
    /// The group.
    pub group: Jid,
    /// Timer in seconds; `None` turns disappearing messages off.
    pub expiration: Option<u32>,
}

impl IqSpec for SetEphemeral {
    to_group!(IqType::Set, ());

    fn request_children(&self) -> Vec<Node> {
        vec![match self.expiration {
            Some(seconds) => Node::new("ephemeral").attr("expiration", seconds.to_string()),
            None => Node::new("not_ephemeral"),
        }]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let expiration = match iq.get_child("ephemeral") {
            Some(node) => Some(node.num_attr("expiration")?),
            None => {
                iq.req_child("not_ephemeral")?;
                None
            }
        };
        Ok(SetEphemeral {
            group: target_group(iq)?,
            expiration,
        })
    }

    empty_response!();
}

group_text_iq!(
    /// `<iq to=GROUP type="set"><member_add_mode>BYTES</member_add_mode></iq>`: who may add
    /// members (`admin_add` or `all_member_add`).
    SetMemberAddMode {
        /// The mode.
        mode
    } => "member_add_mode"
);

/// `<iq to=GROUP type="set"><membership_approval_mode><group_join state="on|off"/>…</iq>`:
/// whether joining by link needs an admin's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMembershipApproval {
    /// The group.
    pub group: Jid,
    /// Approval required.
    pub on: bool,
}

impl IqSpec for SetMembershipApproval {
    to_group!(IqType::Set, ());

    fn request_children(&self) -> Vec<Node> {
        vec![crate::stanza::notification::membership_approval_node(
            self.on,
        )]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        let join = iq
            .req_child("membership_approval_mode")?
            .req_child("group_join")?;
        let state = join.text_attr("state")?;
        Ok(SetMembershipApproval {
            group: target_group(iq)?,
            on: match state.as_str() {
                "on" => true,
                "off" => false,
                _ => return Err(bad_attr(join, "state", state)),
            },
        })
    }

    empty_response!();
}

fn invite_code_children(code: &str) -> Vec<Node> {
    vec![Node::new("invite").attr("code", code)]
}

fn decode_invite_code(iq: &Node) -> Result<String, StanzaError> {
    iq.req_child("invite")?.text_attr("code")
}

invite_code_iq!(
    /// `<iq to=GROUP type="get"><invite/></iq>` → `<invite code/>`; the link is
    /// `https://chat.whatsapp.com/CODE`.
    GetInviteCode, IqType::Get
);

invite_code_iq!(
    /// `<iq to=GROUP type="set"><invite/></iq>` → `<invite code/>`: revokes the link, returns the
    /// new code.
    RevokeInviteCode, IqType::Set
);

/// `<iq to="g.us" type="set"><invite code/></iq>` → `<group jid/>`: joins by link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupWithCode {
    /// The invite code.
    pub code: String,
}

impl IqSpec for JoinGroupWithCode {
    /// The joined group.
    type Response = Jid;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Set;

    fn peer(&self) -> Jid {
        groups_server()
    }

    fn request_children(&self) -> Vec<Node> {
        invite_code_children(&self.code)
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(JoinGroupWithCode {
            code: decode_invite_code(iq)?,
        })
    }

    fn response_children(group: &Jid) -> Vec<Node> {
        vec![Node::new("group").attr("jid", group)]
    }

    fn decode_response(iq: &Node) -> Result<Jid, StanzaError> {
        group_jid(iq.req_child("group")?, "jid")
    }
}

/// `<iq to="g.us" type="get"><invite code/></iq>` → `<group …>`: previews a group by link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetInviteInfo {
    /// The invite code.
    pub code: String,
}

impl IqSpec for GetInviteInfo {
    type Response = GroupInfo;
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Get;

    fn peer(&self) -> Jid {
        groups_server()
    }

    fn request_children(&self) -> Vec<Node> {
        invite_code_children(&self.code)
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(GetInviteInfo {
            code: decode_invite_code(iq)?,
        })
    }

    fn response_children(info: &GroupInfo) -> Vec<Node> {
        vec![info.to_node()]
    }

    fn decode_response(iq: &Node) -> Result<GroupInfo, StanzaError> {
        GroupInfo::from_node(iq.req_child("group")?)
    }
}

/// `<iq to="g.us" type="set"><leave><group id=GROUP_JID/>…</leave></iq>`: leaves groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveGroups {
    /// The groups.
    pub groups: Vec<Jid>,
}

impl IqSpec for LeaveGroups {
    type Response = ();
    const XMLNS: &'static str = "w:g2";
    const TYPE: IqType = IqType::Set;

    fn peer(&self) -> Jid {
        groups_server()
    }

    fn request_children(&self) -> Vec<Node> {
        let groups = self
            .groups
            .iter()
            .map(|g| Node::new("group").attr("id", g))
            .collect();
        vec![Node::new("leave").children(groups)]
    }

    fn decode_request(iq: &Node) -> Result<Self, StanzaError> {
        Ok(LeaveGroups {
            groups: iq
                .req_child("leave")?
                .children_by_tag("group")
                .map(|g| group_jid(g, "id"))
                .collect::<Result<_, _>>()?,
        })
    }

    empty_response!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stanza::IqHeader;
    use crate::stanza::group::info::tests::sample_group;
    use crate::stanza::testing::assert_iq_round_trip;
    use crate::{AttrValue, Content};

    fn group() -> Jid {
        "120363000000000001@g.us".parse().unwrap()
    }

    #[test]
    fn metadata_query_matches_the_group_query_example() {
        // docs/PROTOCOL.md, Binary nodes, example (e), and Example flows, group step 1.
        let spec = GetGroupInfo { group: group() };
        assert_eq!(
            spec.request_with_id("x1"),
            Node::new("iq")
                .attr("id", "x1")
                .attr("to", group())
                .attr("type", "get")
                .attr("xmlns", "w:g2")
                .child(Node::new("query").attr("request", "interactive"))
        );
        assert_iq_round_trip(&spec, &sample_group());
        let (header, _) = GetGroupInfo::parse_request(&spec.request_with_id("x1")).unwrap();
        assert_eq!(
            GetGroupInfo::response(&header, &sample_group()).attr_jid("from"),
            Some(group())
        );
        let to_server = GetGroupInfo {
            group: Jid::server_jid("g.us"),
        };
        assert!(matches!(
            GetGroupInfo::parse_request(&to_server.request_with_id("1")),
            Err(StanzaError::BadAttr { attr: "to", .. })
        ));
    }

    #[test]
    fn listing_creating_and_joining() {
        assert_iq_round_trip(
            &GetParticipatingGroups,
            &vec![sample_group(), sample_group()],
        );
        let create = CreateGroup {
            subject: "Team".into(),
            participants: vec![Jid::pn("15550000002"), Jid::lid("300000000000003")],
            key: Some("K1".into()),
            ephemeral: Some(86_400),
            member_add_mode: Some("all_member_add".into()),
        };
        assert_iq_round_trip(&create, &sample_group());
        assert_eq!(
            create.request().attr_jid("to"),
            Some(Jid::server_jid("g.us"))
        );
        assert_iq_round_trip(&JoinGroupWithCode { code: "AbC".into() }, &group());
        assert_iq_round_trip(&GetInviteInfo { code: "AbC".into() }, &sample_group());
        assert_iq_round_trip(&GetInviteCode { group: group() }, &"CODE".to_owned());
        assert_iq_round_trip(&RevokeInviteCode { group: group() }, &"NEW".to_owned());
        let leave = LeaveGroups {
            groups: vec![group()],
        };
        assert_iq_round_trip(&leave, &());
        let node = leave.request();
        let id = node.get_path(&["leave", "group"]).unwrap().get_attr("id");
        assert!(matches!(id, Some(AttrValue::Jid(_))));
    }

    #[test]
    fn participant_changes_report_per_participant_results() {
        for action in [
            ParticipantAction::Add,
            ParticipantAction::Remove,
            ParticipantAction::Promote,
            ParticipantAction::Demote,
        ] {
            let spec = UpdateParticipants {
                group: group(),
                action: action.clone(),
                participants: vec![Jid::lid("200000000000002"), Jid::pn("15550000009")],
            };
            let results = vec![
                ParticipantResult {
                    role: Some(ParticipantRole::Admin),
                    phone_number: Some(Jid::pn("15550000002")),
                    ..ParticipantResult::ok(Jid::lid("200000000000002"))
                },
                ParticipantResult {
                    error: Some(403),
                    add_request: Some(AddRequest {
                        code: "c0de".into(),
                        expiration: 1_700_000_000,
                    }),
                    ..ParticipantResult::ok(Jid::pn("15550000009"))
                },
            ];
            assert_iq_round_trip(&spec, &results);
            let (header, parsed) =
                UpdateParticipants::parse_request(&spec.request_with_id("p")).unwrap();
            assert_eq!(parsed.action, action);
            let reply = parsed.response_for(&header, &results);
            assert_eq!(reply.first_child().unwrap().tag, action.as_str());
            assert_eq!(UpdateParticipants::parse_response(&reply).unwrap(), results);
        }
        let bogus = Node::new("iq")
            .attr("id", "1")
            .attr("to", group())
            .attr("type", "set")
            .attr("xmlns", "w:g2")
            .child(Node::new("kick"));
        assert!(matches!(
            UpdateParticipants::parse_request(&bogus),
            Err(StanzaError::UnexpectedTag { .. })
        ));
    }

    #[test]
    fn settings_round_trip() {
        let subject = SetSubject {
            group: group(),
            subject: "New name".into(),
        };
        assert_iq_round_trip(&subject, &());
        assert_eq!(
            subject.request().get_child("subject").map(|s| &s.content),
            Some(&Content::Bytes(b"New name".to_vec()))
        );
        let description = SetDescription {
            group: group(),
            id: Some("D2".into()),
            prev: Some("D1".into()),
            body: Some("hello".into()),
        };
        assert_iq_round_trip(&description, &());
        let delete = SetDescription {
            body: None,
            id: None,
            ..description
        };
        assert_iq_round_trip(&delete, &());
        assert_eq!(
            delete
                .request()
                .get_child("description")
                .unwrap()
                .attr_str("delete")
                .as_deref(),
            Some("true")
        );
        for setting in [
            GroupSetting::Locked,
            GroupSetting::Unlocked,
            GroupSetting::Announcement,
            GroupSetting::NotAnnouncement,
        ] {
            assert_iq_round_trip(
                &SetGroupSetting {
                    group: group(),
                    setting,
                },
                &(),
            );
        }
        assert_iq_round_trip(
            &SetMemberAddMode {
                group: group(),
                mode: "all_member_add".into(),
            },
            &(),
        );
        for on in [true, false] {
            assert_iq_round_trip(&SetMembershipApproval { group: group(), on }, &());
        }
        for expiration in [Some(604_800), None] {
            assert_iq_round_trip(
                &SetEphemeral {
                    group: group(),
                    expiration,
                },
                &(),
            );
        }
        let header = IqHeader {
            id: "1".into(),
            peer: group(),
            origin: crate::stanza::Origin::Client,
        };
        assert!(matches!(
            SetSubject::parse_response(&header.error(&crate::stanza::IqError::new(403, "forbidden"))),
            Err(StanzaError::Iq(e)) if e.code == 403
        ));
    }
}
