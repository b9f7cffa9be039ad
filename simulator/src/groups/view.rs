//! The simulator's group model seen on the wire: the `<group>` metadata node with participants
//! by LID (plus `phone_number`), as WhatsApp answers for LID-addressed groups, or by phone
//! number (plus `lid`) in PN-addressed groups.

use openwa_protocol::Jid;
use openwa_protocol::stanza::AddressingMode;
use openwa_protocol::stanza::group::{
    GroupDescription, GroupInfo, GroupParticipant, ParticipantRole,
};
use openwa_protocol::stanza::notification::membership_approval_node;

use crate::state::{Group, Role, State};

/// An account's LID and PN user JIDs; `None` for an unknown phone.
pub fn user_jids(state: &State, phone: &str) -> Option<(Jid, Jid)> {
    state.accounts.get(phone).map(|a| (a.lid_jid(), a.pn_jid()))
}

/// A participant as listed in `<group>` and in membership notifications: by LID with its
/// `phone_number`, or (`pn_mode`) by phone number with its `lid`.
pub fn participant(
    state: &State,
    phone: &str,
    role: Role,
    pn_mode: bool,
) -> Option<GroupParticipant> {
    let (lid, pn) = user_jids(state, phone)?;
    let role = match role {
        Role::Member => None,
        Role::Admin => Some(ParticipantRole::Admin),
        Role::SuperAdmin => Some(ParticipantRole::SuperAdmin),
    };
    Some(if pn_mode {
        GroupParticipant {
            role,
            lid: Some(lid),
            ..GroupParticipant::member(pn)
        }
    } else {
        GroupParticipant {
            role,
            phone_number: Some(pn),
            ..GroupParticipant::member(lid)
        }
    })
}

/// The addressing mode of `group`.
pub fn mode(group: &Group) -> AddressingMode {
    if group.pn_addressing {
        AddressingMode::Pn
    } else {
        AddressingMode::Lid
    }
}

/// The JID naming the user of `phone` in `group`'s namespace (and the other one).
pub fn member_jids(state: &State, group: &Group, phone: &str) -> Option<(Jid, Jid)> {
    let (lid, pn) = user_jids(state, phone)?;
    Some(if group.pn_addressing {
        (pn, lid)
    } else {
        (lid, pn)
    })
}

/// The `<group>` metadata of `group`.
pub fn group_info(state: &State, group: &Group) -> GroupInfo {
    let lid = |phone: &str| member_jids(state, group, phone).map(|(jid, _)| jid);
    let pn = |phone: &str| user_jids(state, phone).map(|(_, pn)| pn);
    let participants: Vec<GroupParticipant> = group
        .participants
        .iter()
        .filter_map(|p| participant(state, &p.phone, p.role, group.pn_addressing))
        .collect();
    GroupInfo {
        subject_time: Some(group.subject_time),
        subject_owner: lid(&group.subject_owner),
        subject_owner_pn: pn(&group.subject_owner),
        creation: Some(group.creation),
        creator: lid(&group.creator),
        creator_pn: pn(&group.creator),
        size: Some(participants.len() as u64),
        addressing_mode: Some(mode(group)),
        participants,
        description: group.description.as_ref().map(|d| GroupDescription {
            id: d.id.clone(),
            t: Some(d.time),
            participant: lid(&d.author),
            body: d.text.clone(),
        }),
        announcement: group.announce,
        locked: group.locked,
        ephemeral: (group.ephemeral > 0).then_some(group.ephemeral),
        member_add_mode: Some(member_add_mode(group).to_owned()),
        extra: if group.approval_required {
            vec![membership_approval_node(true)]
        } else {
            Vec::new()
        },
        ..GroupInfo::new(group.jid(), group.subject.clone())
    }
}

/// `admin_add` or `all_member_add`.
pub fn member_add_mode(group: &Group) -> &'static str {
    if group.all_members_add {
        "all_member_add"
    } else {
        "admin_add"
    }
}
