//! Protocol group types → the API's plain types.

use openwa_protocol::Jid;
use openwa_protocol::stanza::AddressingMode as WireMode;
use openwa_protocol::stanza::group as wire;
use openwa_protocol::stanza::group::ParticipantResult;

use crate::group_types::{
    AddressingMode, GroupInfo, GroupParticipant, GroupSettings, MemberAddMode, ParticipantRole,
    ParticipantUpdate,
};

/// The role of a `<participant type>`.
pub(crate) fn role(role: Option<&wire::ParticipantRole>) -> ParticipantRole {
    match role {
        Some(wire::ParticipantRole::SuperAdmin) => ParticipantRole::SuperAdmin,
        Some(wire::ParticipantRole::Admin) => ParticipantRole::Admin,
        _ => ParticipantRole::Member,
    }
}

/// A group's addressing mode; groups that do not say are PN-addressed.
pub(crate) fn mode(mode: Option<&WireMode>) -> AddressingMode {
    match mode {
        Some(WireMode::Lid) => AddressingMode::Lid,
        _ => AddressingMode::Pn,
    }
}

/// One member.
pub(crate) fn participant(p: &wire::GroupParticipant) -> GroupParticipant {
    let phone_number = p
        .phone_number
        .as_ref()
        .or(Some(&p.jid).filter(|j| j.is_pn()));
    let lid = p.lid.as_ref().or(Some(&p.jid).filter(|j| j.is_lid()));
    GroupParticipant {
        jid: p.jid.to_non_ad().to_string(),
        phone_number: phone_number.map(|j| j.to_non_ad().to_string()),
        lid: lid.map(|j| j.to_non_ad().to_string()),
        role: role(p.role.as_ref()),
    }
}

/// Whether `<membership_approval_mode><group_join state="on"/>` is among the extra children.
fn join_approval(extra: &[openwa_protocol::Node]) -> bool {
    extra.iter().any(|n| {
        n.tag == "membership_approval_mode"
            && n.get_child("group_join")
                .and_then(|j| j.attr_str("state"))
                .is_some_and(|s| s == "on")
    })
}

/// The API's view of a `<group>` node.
pub(crate) fn group_info(info: &wire::GroupInfo) -> GroupInfo {
    GroupInfo {
        jid: info.jid.to_string(),
        subject: info.subject.clone(),
        subject_owner: info.subject_owner.as_ref().map(Jid::to_string),
        subject_time: info.subject_time,
        description: info.description.as_ref().map(|d| d.body.clone()),
        description_id: info.description.as_ref().map(|d| d.id.clone()),
        creator: info.creator.as_ref().map(Jid::to_string),
        creation: info.creation,
        addressing_mode: mode(info.addressing_mode.as_ref()),
        participants: info.participants.iter().map(participant).collect(),
        settings: GroupSettings {
            announcement: info.announcement,
            locked: info.locked,
            join_approval: join_approval(&info.extra),
            member_add_mode: info
                .member_add_mode
                .as_deref()
                .map_or(MemberAddMode::AdminAdd, MemberAddMode::from_wire),
            ephemeral_secs: info.ephemeral,
        },
    }
}

/// One per-participant result.
pub(crate) fn update(result: &ParticipantResult) -> ParticipantUpdate {
    ParticipantUpdate {
        jid: result.jid.to_string(),
        phone_number: result.phone_number.as_ref().map(Jid::to_string),
        ok: result.error.is_none(),
        error: result.error,
        invite_code: result.add_request.as_ref().map(|r| r.code.clone()),
        invite_expiration: result.add_request.as_ref().map(|r| r.expiration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lid_groups_keep_both_ids_and_settings() {
        let mut info = wire::GroupInfo::new("120363000000000001@g.us".parse().unwrap(), "Team");
        info.addressing_mode = Some(WireMode::Lid);
        info.participants = vec![wire::GroupParticipant {
            role: Some(wire::ParticipantRole::SuperAdmin),
            phone_number: Some(Jid::pn("15550000001")),
            ..wire::GroupParticipant::member(Jid::lid("100000000000001"))
        }];
        info.locked = true;
        info.member_add_mode = Some("all_member_add".into());
        info.extra = vec![openwa_protocol::stanza::notification::membership_approval_node(true)];
        let api = group_info(&info);
        assert_eq!(api.addressing_mode, AddressingMode::Lid);
        let p = &api.participants[0];
        assert_eq!(p.jid, "100000000000001@lid");
        assert_eq!(p.lid.as_deref(), Some("100000000000001@lid"));
        assert_eq!(
            p.phone_number.as_deref(),
            Some("15550000001@s.whatsapp.net")
        );
        assert_eq!(p.role, ParticipantRole::SuperAdmin);
        assert!(api.settings.locked && api.settings.join_approval);
        assert!(!api.settings.announcement);
        assert_eq!(api.settings.member_add_mode, MemberAddMode::AllMemberAdd);
        assert_eq!(
            group_info(&wire::GroupInfo::new(info.jid.clone(), "x")).addressing_mode,
            AddressingMode::Pn
        );
    }
}
