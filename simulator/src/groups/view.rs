//! The simulator's group model seen on the wire: the `<group>` metadata node with participants
//! by LID (plus `phone_number`), as WhatsApp answers for LID-addressed groups.

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

/// A participant as listed in `<group>` and in membership notifications.
pub fn participant(state: &State, phone: &str, role: Role) -> Option<GroupParticipant> {
    let (lid, pn) = user_jids(state, phone)?;
    Some(GroupParticipant {
        role: match role {
            Role::Member => None,
            Role::Admin => Some(ParticipantRole::Admin),
            Role::SuperAdmin => Some(ParticipantRole::SuperAdmin),
        },
        phone_number: Some(pn),
        ..GroupParticipant::member(lid)
    })
}

/// The `<group>` metadata of `group`.
pub fn group_info(state: &State, group: &Group) -> GroupInfo {
    let lid = |phone: &str| user_jids(state, phone).map(|(lid, _)| lid);
    let pn = |phone: &str| user_jids(state, phone).map(|(_, pn)| pn);
    let participants: Vec<GroupParticipant> = group
        .participants
        .iter()
        .filter_map(|p| participant(state, &p.phone, p.role))
        .collect();
    GroupInfo {
        subject_time: Some(group.subject_time),
        subject_owner: lid(&group.subject_owner),
        subject_owner_pn: pn(&group.subject_owner),
        creation: Some(group.creation),
        creator: lid(&group.creator),
        creator_pn: pn(&group.creator),
        size: Some(participants.len() as u64),
        addressing_mode: Some(AddressingMode::Lid),
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
