//! `<notification>` stanzas the server pushes (docs/PROTOCOL.md, Groups, Device notifications, Prekeys, Pairing code): group
//! changes (`w:gp2`), device-list changes (`devices`), the prekey low-count warning
//! (`encrypt`), and the primary's link-code hello. Clients ack each one with
//! [`Ack::for_stanza`](super::ack::Ack::for_stanza), whatever its type.

use super::addressing::AddressingMode;
use super::error::StanzaError;
use super::group::{GroupInfo, GroupParticipant};
use super::pairing::LinkCodePrimaryHello;
use super::read::{NodeRead, bad_attr, bytes_node, node_conversions, string_enum};
use crate::jid::Jid;
use crate::node::Node;

/// A `<notification id from t type>` with its typed body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Notification id (echoed in the ack).
    pub id: String,
    /// The group, the user, or `s.whatsapp.net`.
    pub from: Jid,
    /// Server time.
    pub t: Option<u64>,
    /// The typed content; its variant decides the `type` attribute.
    pub body: NotificationBody,
}

/// What a notification says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationBody {
    /// `type="w:gp2"`: a group changed.
    Group(GroupNotification),
    /// `type="devices"`: a user's device list changed.
    Devices(DevicesNotification),
    /// `type="encrypt"` with `<count value/>`: the server is low on this device's one-time
    /// prekeys (clients re-upload when below 5).
    EncryptCount(u64),
    /// `type="link_code_companion_reg"`: the primary phone's hello during code pairing.
    LinkCode(LinkCodePrimaryHello),
}

impl NotificationBody {
    /// The `type` attribute.
    pub fn kind(&self) -> &'static str {
        match self {
            NotificationBody::Group(_) => "w:gp2",
            NotificationBody::Devices(_) => "devices",
            NotificationBody::EncryptCount(_) => "encrypt",
            NotificationBody::LinkCode(_) => "link_code_companion_reg",
        }
    }
}

impl Notification {
    /// The `<notification>` node.
    pub fn to_node(&self) -> Node {
        let node = Node::new("notification")
            .attr("id", self.id.as_str())
            .attr("from", &self.from)
            .attr("type", self.body.kind())
            .attr_opt("t", self.t.map(|t| t.to_string()));
        match &self.body {
            NotificationBody::Group(group) => group.apply(node),
            NotificationBody::Devices(devices) => devices.apply(node),
            NotificationBody::EncryptCount(count) => {
                node.child(Node::new("count").attr("value", count.to_string()))
            }
            NotificationBody::LinkCode(hello) => node.child(hello.to_node()),
        }
    }

    /// Parses a `<notification>`; an unknown `type` is [`StanzaError::BadAttr`] (still ack it).
    pub fn from_node(node: &Node) -> Result<Self, StanzaError> {
        node.expect_tag("notification")?;
        let kind = node.text_attr("type")?;
        let body = match kind.as_str() {
            "w:gp2" => NotificationBody::Group(GroupNotification::read(node)?),
            "devices" => NotificationBody::Devices(DevicesNotification::read(node)?),
            "encrypt" => {
                NotificationBody::EncryptCount(node.req_child("count")?.num_attr("value")?)
            }
            "link_code_companion_reg" => NotificationBody::LinkCode(
                LinkCodePrimaryHello::from_node(node.req_child("link_code_companion_reg")?)?,
            ),
            _ => return Err(bad_attr(node, "type", kind)),
        };
        Ok(Notification {
            id: node.text_attr("id")?,
            from: node.jid_attr("from")?,
            t: node.opt_num_attr("t")?,
            body,
        })
    }
}

string_enum! {
    /// A membership change in a `w:gp2` notification (the child's tag).
    pub enum MembershipChange {
        /// Members were added.
        Add = "add",
        /// Members were removed.
        Remove = "remove",
        /// Members became admins.
        Promote = "promote",
        /// Admins became members.
        Demote = "demote",
        /// Members left.
        Leave = "leave",
    }
}

/// What changed in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupChange {
    /// `<create [key] [reason]><group …/></create>`: the group was created (or the user added
    /// at creation).
    Create {
        /// The new group.
        info: Box<GroupInfo>,
        /// The creator's create key (lets the creator deduplicate its own create).
        key: Option<String>,
        /// Why the user is in it (e.g. `invite`).
        reason: Option<String>,
    },
    /// `<add|remove|promote|demote|leave [reason]><participant …/></…>`.
    Membership {
        /// Which change.
        change: MembershipChange,
        /// `reason` (e.g. `invite`).
        reason: Option<String>,
        /// Affected participants.
        participants: Vec<GroupParticipant>,
    },
    /// `<subject subject s_t s_o/>`.
    Subject {
        /// The new subject.
        subject: String,
        /// When.
        subject_time: Option<u64>,
        /// By whom.
        subject_owner: Option<Jid>,
        /// Their PN (`s_o_pn`).
        subject_owner_pn: Option<Jid>,
    },
    /// `<description id><body/></description>` or `<description id><delete/></description>`.
    Description {
        /// The description id.
        id: String,
        /// The new text; `None` when it was deleted.
        body: Option<String>,
    },
    /// `<announcement v_id/>` or `<not_announcement v_id/>` (whatsmeow requires `v_id`).
    Announcement {
        /// Only admins can send.
        on: bool,
        /// The announcement version id.
        version_id: Option<String>,
    },
    /// `<locked/>` (true) or `<unlocked/>` (false).
    Locked(bool),
    /// `<ephemeral expiration/>` or `<not_ephemeral/>` (`None`).
    Ephemeral(Option<u32>),
    /// `<member_add_mode>BYTES</member_add_mode>`: who may add members (`admin_add`,
    /// `all_member_add`).
    MemberAddMode(String),
    /// `<membership_approval_mode><group_join state="on|off"/></membership_approval_mode>`.
    MembershipApproval(bool),
    /// `<invite code/>`: the invite link changed.
    Invite {
        /// The new code.
        code: String,
    },
    /// A change this crate does not model, kept verbatim.
    Other(Node),
}

impl GroupChange {
    fn to_node(&self) -> Node {
        match self {
            GroupChange::Create { info, key, reason } => Node::new("create")
                .attr_opt("key", key.as_deref())
                .attr_opt("reason", reason.as_deref())
                .child(info.to_node()),
            GroupChange::Membership {
                change,
                reason,
                participants,
            } => Node::new(change.as_str())
                .attr_opt("reason", reason.as_deref())
                .children(participants.iter().map(GroupParticipant::to_node).collect()),
            GroupChange::Subject {
                subject,
                subject_time,
                subject_owner,
                subject_owner_pn,
            } => Node::new("subject")
                .attr("subject", subject.as_str())
                .attr_opt("s_t", subject_time.map(|t| t.to_string()))
                .attr_opt("s_o", subject_owner.as_ref())
                .attr_opt("s_o_pn", subject_owner_pn.as_ref()),
            GroupChange::Description { id, body } => Node::new("description")
                .attr("id", id.as_str())
                .child(match body {
                    Some(text) => bytes_node("body", text.as_bytes()),
                    None => Node::new("delete"),
                }),
            GroupChange::Announcement { on, version_id } => Node::new(if *on {
                "announcement"
            } else {
                "not_announcement"
            })
            .attr_opt("v_id", version_id.as_deref()),
            GroupChange::MemberAddMode(mode) => bytes_node("member_add_mode", mode.as_bytes()),
            GroupChange::MembershipApproval(on) => membership_approval_node(*on),
            GroupChange::Locked(on) => Node::new(if *on { "locked" } else { "unlocked" }),
            GroupChange::Ephemeral(Some(seconds)) => {
                Node::new("ephemeral").attr("expiration", seconds.to_string())
            }
            GroupChange::Ephemeral(None) => Node::new("not_ephemeral"),
            GroupChange::Invite { code } => Node::new("invite").attr("code", code.as_str()),
            GroupChange::Other(node) => node.clone(),
        }
    }

    fn from_node(node: &Node) -> Result<Self, StanzaError> {
        Ok(match node.tag.as_str() {
            "create" => GroupChange::Create {
                info: Box::new(GroupInfo::from_node(node.req_child("group")?)?),
                key: node.attr_str("key"),
                reason: node.attr_str("reason"),
            },
            "add" | "remove" | "promote" | "demote" | "leave" => GroupChange::Membership {
                change: node.tag.as_str().into(),
                reason: node.attr_str("reason"),
                participants: node
                    .children_by_tag("participant")
                    .map(GroupParticipant::from_node)
                    .collect::<Result<_, _>>()?,
            },
            "subject" => GroupChange::Subject {
                subject: node.attr_str("subject").unwrap_or_default(),
                subject_time: node.opt_num_attr("s_t")?,
                subject_owner: node.opt_jid_attr("s_o")?,
                subject_owner_pn: node.opt_jid_attr("s_o_pn")?,
            },
            "description" => GroupChange::Description {
                id: node.attr_str("id").unwrap_or_default(),
                body: match node.get_child("body") {
                    Some(body) => Some(body.req_text()?),
                    None => None,
                },
            },
            "announcement" | "not_announcement" => GroupChange::Announcement {
                on: node.tag == "announcement",
                version_id: node.attr_str("v_id"),
            },
            "member_add_mode" => GroupChange::MemberAddMode(node.req_text()?),
            "membership_approval_mode" => GroupChange::MembershipApproval(
                node.get_child("group_join")
                    .and_then(|j| j.attr_str("state"))
                    .is_some_and(|state| state == "on"),
            ),
            "locked" => GroupChange::Locked(true),
            "unlocked" => GroupChange::Locked(false),
            "ephemeral" => GroupChange::Ephemeral(Some(node.num_attr("expiration")?)),
            "not_ephemeral" => GroupChange::Ephemeral(None),
            "invite" => GroupChange::Invite {
                code: node.text_attr("code")?,
            },
            _ => GroupChange::Other(node.clone()),
        })
    }
}

/// `<membership_approval_mode><group_join state="on|off"/></membership_approval_mode>`, as in
/// the set IQ, the change notification and (when on) the `<group>` node.
pub fn membership_approval_node(on: bool) -> Node {
    Node::new("membership_approval_mode")
        .child(Node::new("group_join").attr("state", if on { "on" } else { "off" }))
}

/// The body of a `w:gp2` notification: who did what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupNotification {
    /// The actor (`participant`).
    pub participant: Option<Jid>,
    /// The actor's PN (`participant_pn`).
    pub participant_pn: Option<Jid>,
    /// `addressing_mode`.
    pub addressing_mode: Option<AddressingMode>,
    /// The actor's push name (`notify`).
    pub notify: Option<String>,
    /// The change (the notification's single child).
    pub change: GroupChange,
}

impl GroupNotification {
    fn apply(&self, node: Node) -> Node {
        node.attr_opt("participant", self.participant.as_ref())
            .attr_opt("participant_pn", self.participant_pn.as_ref())
            .attr_opt(
                "addressing_mode",
                self.addressing_mode.as_ref().map(AddressingMode::as_str),
            )
            .attr_opt("notify", self.notify.as_deref())
            .child(self.change.to_node())
    }

    fn read(node: &Node) -> Result<Self, StanzaError> {
        let change = node.first_child().ok_or(StanzaError::MissingChild {
            tag: node.tag.to_string(),
            child: "add",
        })?;
        Ok(GroupNotification {
            participant: node.opt_jid_attr("participant")?,
            participant_pn: node.opt_jid_attr("participant_pn")?,
            addressing_mode: AddressingMode::read(node),
            notify: node.attr_str("notify"),
            change: GroupChange::from_node(change)?,
        })
    }
}

string_enum! {
    /// How a device list changed (the child's tag).
    pub enum DeviceChange {
        /// A device was linked.
        Add = "add",
        /// A device was unlinked.
        Remove = "remove",
        /// Something changed; refetch the list with usync.
        Update = "update",
    }
}

/// One `<device jid [lid]/>` of a devices notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifiedDevice {
    /// The PN device JID.
    pub jid: Jid,
    /// The LID device JID.
    pub lid: Option<Jid>,
}

/// The body of a `devices` notification (`from` = the user's PN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicesNotification {
    /// The user's LID (`lid` attribute).
    pub lid: Option<Jid>,
    /// add, remove or update.
    pub change: DeviceChange,
    /// `device_hash` (advisory participant hash).
    pub device_hash: Option<String>,
    /// `device_lid_hash`.
    pub device_lid_hash: Option<String>,
    /// The devices concerned.
    pub devices: Vec<NotifiedDevice>,
}

impl DevicesNotification {
    fn apply(&self, node: Node) -> Node {
        let devices = self
            .devices
            .iter()
            .map(|d| {
                Node::new("device")
                    .attr("jid", &d.jid)
                    .attr_opt("lid", d.lid.as_ref())
            })
            .collect();
        node.attr_opt("lid", self.lid.as_ref()).child(
            Node::new(self.change.as_str())
                .attr_opt("device_hash", self.device_hash.as_deref())
                .attr_opt("device_lid_hash", self.device_lid_hash.as_deref())
                .children(devices),
        )
    }

    fn read(node: &Node) -> Result<Self, StanzaError> {
        let change = node
            .child_nodes()
            .iter()
            .find(|c| matches!(c.tag.as_str(), "add" | "remove" | "update"))
            .ok_or(StanzaError::MissingChild {
                tag: node.tag.to_string(),
                child: "update",
            })?;
        Ok(DevicesNotification {
            lid: node.opt_jid_attr("lid")?,
            change: change.tag.as_str().into(),
            device_hash: change.attr_str("device_hash"),
            device_lid_hash: change.attr_str("device_lid_hash"),
            devices: change
                .children_by_tag("device")
                .map(|d| {
                    Ok(NotifiedDevice {
                        jid: d.jid_attr("jid")?,
                        lid: d.opt_jid_attr("lid")?,
                    })
                })
                .collect::<Result<_, StanzaError>>()?,
        })
    }
}

node_conversions!(Notification);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AttrValue;
    use crate::stanza::group::ParticipantRole;

    fn group() -> Jid {
        "120363000000000001@g.us".parse().unwrap()
    }

    fn group_notification(change: GroupChange) -> Notification {
        Notification {
            id: "N1".into(),
            from: group(),
            t: Some(1_700_000_000),
            body: NotificationBody::Group(GroupNotification {
                participant: Some(Jid::lid("100000000000001")),
                participant_pn: Some(Jid::pn("15550000001")),
                addressing_mode: Some(AddressingMode::Lid),
                notify: Some("A".into()),
                change,
            }),
        }
    }

    #[test]
    fn every_group_change_round_trips() {
        let mut info = GroupInfo::new(group(), "G");
        info.participants.push(GroupParticipant {
            role: Some(ParticipantRole::SuperAdmin),
            ..GroupParticipant::member(Jid::lid("100000000000001"))
        });
        let changes = vec![
            GroupChange::Create {
                info: Box::new(info),
                key: Some("K1".into()),
                reason: None,
            },
            GroupChange::Membership {
                change: MembershipChange::Add,
                reason: Some("invite".into()),
                participants: vec![GroupParticipant {
                    phone_number: Some(Jid::pn("15550000002")),
                    ..GroupParticipant::member(Jid::lid("200000000000002"))
                }],
            },
            GroupChange::Membership {
                change: MembershipChange::Leave,
                reason: None,
                participants: vec![GroupParticipant::member(Jid::lid("200000000000002"))],
            },
            GroupChange::Subject {
                subject: "New".into(),
                subject_time: Some(5),
                subject_owner: Some(Jid::lid("100000000000001")),
                subject_owner_pn: Some(Jid::pn("15550000001")),
            },
            GroupChange::Description {
                id: "D".into(),
                body: Some("text".into()),
            },
            GroupChange::Description {
                id: "D".into(),
                body: None,
            },
            GroupChange::Announcement {
                on: true,
                version_id: Some("1".into()),
            },
            GroupChange::Announcement {
                on: false,
                version_id: None,
            },
            GroupChange::MemberAddMode("all_member_add".into()),
            GroupChange::MembershipApproval(true),
            GroupChange::MembershipApproval(false),
            GroupChange::Locked(true),
            GroupChange::Locked(false),
            GroupChange::Ephemeral(Some(86_400)),
            GroupChange::Ephemeral(None),
            GroupChange::Invite { code: "C".into() },
            GroupChange::Other(Node::new("created_membership_requests")),
        ];
        for change in changes {
            let notification = group_notification(change);
            let node = notification.to_node();
            assert_eq!(node.attr_str("type").as_deref(), Some("w:gp2"));
            assert!(matches!(
                node.get_attr("participant"),
                Some(AttrValue::Jid(_))
            ));
            assert_eq!(Notification::from_node(&node).unwrap(), notification);
        }
    }

    #[test]
    fn device_notifications_round_trip() {
        for change in [
            DeviceChange::Add,
            DeviceChange::Remove,
            DeviceChange::Update,
        ] {
            let notification = Notification {
                id: "D1".into(),
                from: Jid::pn("15550000002"),
                t: Some(1),
                body: NotificationBody::Devices(DevicesNotification {
                    lid: Some(Jid::lid("200000000000002")),
                    change,
                    device_hash: Some("2:abc".into()),
                    device_lid_hash: None,
                    devices: vec![NotifiedDevice {
                        jid: Jid::with_device("15550000002", "s.whatsapp.net", 1),
                        lid: Some(Jid::with_device("200000000000002", "lid", 1)),
                    }],
                }),
            };
            assert_eq!(
                Notification::from_node(&notification.to_node()).unwrap(),
                notification
            );
        }
    }

    #[test]
    fn encrypt_and_link_code_notifications() {
        let count = Notification {
            id: "E".into(),
            from: Jid::server(),
            t: None,
            body: NotificationBody::EncryptCount(3),
        };
        assert_eq!(
            count.to_node(),
            Node::new("notification")
                .attr("id", "E")
                .attr("from", Jid::server())
                .attr("type", "encrypt")
                .child(Node::new("count").attr("value", "3"))
        );
        assert_eq!(Notification::from_node(&count.to_node()).unwrap(), count);
        let link = Notification {
            body: NotificationBody::LinkCode(LinkCodePrimaryHello {
                pairing_ref: b"R".to_vec(),
                wrapped_primary_ephemeral_pub: vec![1; 80],
                primary_identity_pub: vec![2; 32],
            }),
            ..count
        };
        assert_eq!(Notification::from_node(&link.to_node()).unwrap(), link);
    }

    #[test]
    fn bad_notifications_are_typed_errors() {
        let unknown = Node::new("notification")
            .attr("id", "1")
            .attr("from", "s.whatsapp.net")
            .attr("type", "picture");
        assert!(matches!(
            Notification::from_node(&unknown),
            Err(StanzaError::BadAttr { attr: "type", .. })
        ));
        let empty_group = Node::new("notification")
            .attr("id", "1")
            .attr("from", "1@g.us")
            .attr("type", "w:gp2");
        assert!(matches!(
            Notification::from_node(&empty_group),
            Err(StanzaError::MissingChild { .. })
        ));
        let encrypt_without_count = Node::new("notification")
            .attr("id", "1")
            .attr("from", "s.whatsapp.net")
            .attr("type", "encrypt");
        assert!(matches!(
            Notification::from_node(&encrypt_without_count),
            Err(StanzaError::MissingChild { child: "count", .. })
        ));
    }
}
