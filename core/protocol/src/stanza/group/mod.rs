//! Groups, `xmlns="w:g2"` (docs/PROTOCOL.md, Groups): the `<group>` metadata node and the group IQs.
//! (Change notifications pushed to members are in
//! [`notification`](super::notification).)

mod info;
mod iq;
mod requests;

pub use info::{GroupDescription, GroupInfo, GroupParticipant, ParticipantRole, group_jid};
pub use iq::{
    AddRequest, CreateGroup, GetGroupInfo, GetInviteCode, GetInviteInfo, GetParticipatingGroups,
    GroupSetting, JoinGroupWithCode, LeaveGroups, ParticipantAction, ParticipantResult,
    RevokeInviteCode, SetDescription, SetEphemeral, SetGroupSetting, SetMemberAddMode,
    SetMembershipApproval, SetSubject, UpdateParticipants,
};
pub use requests::{AnswerJoinRequests, GetJoinRequests, JoinRequest};
