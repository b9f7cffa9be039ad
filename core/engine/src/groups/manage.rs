//! Group management: create, metadata, the participating list, members, subject,
//! description, settings, invite links, join requests, leave. Inputs are checked before
//! anything is sent; each call is one IQ (see [`super::iq`] for how server errors map).

use openwa_protocol::Jid;
use openwa_protocol::message::generate_message_id;
use openwa_protocol::stanza::IqSpec;
use openwa_protocol::stanza::group::{
    AnswerJoinRequests, CreateGroup, GetInviteCode, GetInviteInfo, GetJoinRequests,
    GetParticipatingGroups, GroupSetting as WireSetting, JoinGroupWithCode, LeaveGroups,
    ParticipantAction as WireAction, RevokeInviteCode, SetDescription, SetEphemeral,
    SetGroupSetting, SetMemberAddMode, SetMembershipApproval, SetSubject, UpdateParticipants,
    group_jid,
};

use super::cache::{GroupCache, fresh_metadata, metadata};
use super::convert;
use super::iq::{group_error, run};
use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};
use crate::group_types::{
    GroupInfo, GroupJoin, GroupJoinRequest, GroupSetting, ParticipantAction, ParticipantUpdate,
};

/// Longest subject WhatsApp accepts, in characters.
pub const MAX_GROUP_SUBJECT_CHARS: usize = 100;
/// Longest description WhatsApp accepts, in characters.
pub const MAX_GROUP_DESCRIPTION_CHARS: usize = 2048;

/// A group JID from user input (`…@g.us`); anything else is `invalid_argument`.
pub(crate) fn group_id(input: &str) -> Result<Jid, Error> {
    let jid = crate::ids::parse_chat_id(input)?;
    if jid.is_group() {
        Ok(jid)
    } else {
        Err(Error::invalid_argument(format!(
            "{input:?} is not a group id (…@g.us)"
        )))
    }
}

/// User JIDs (PN or LID, or phone numbers) from user input; at least one.
fn user_ids(inputs: &[String]) -> Result<Vec<Jid>, Error> {
    if inputs.is_empty() {
        return Err(Error::invalid_argument("no participants given"));
    }
    let mut users = Vec::with_capacity(inputs.len());
    for input in inputs {
        let jid = crate::ids::parse_chat_id(input)?;
        if !(jid.is_pn() || jid.is_lid()) {
            return Err(Error::invalid_argument(format!(
                "{input:?} is not a user (phone number, …@s.whatsapp.net or …@lid)"
            )));
        }
        if !users.contains(&jid) {
            users.push(jid);
        }
    }
    Ok(users)
}

fn check_subject(subject: &str) -> Result<(), Error> {
    if subject.trim().is_empty() {
        return Err(Error::invalid_argument("the group subject is empty"));
    }
    if subject.chars().count() > MAX_GROUP_SUBJECT_CHARS {
        return Err(Error::invalid_argument(format!(
            "a group subject has at most {MAX_GROUP_SUBJECT_CHARS} characters"
        )));
    }
    Ok(())
}

/// An invite code from a code or a `https://chat.whatsapp.com/CODE` link.
fn invite_code(input: &str) -> Result<String, Error> {
    let code = input
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("chat.whatsapp.com/")
        .trim_end_matches('/');
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid_argument(format!(
            "{input:?} is not an invite code or link"
        )));
    }
    Ok(code.to_owned())
}

fn new_key() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    generate_message_id(now, None, &mut rand::rngs::OsRng)
}

/// Creates a group with `participants` (we are its super admin).
pub(crate) async fn create(
    shared: &SessionContext,
    subject: &str,
    participants: &[String],
) -> Result<GroupInfo, Error> {
    check_subject(subject)?;
    let users = if participants.is_empty() {
        Vec::new()
    } else {
        user_ids(participants)?
    };
    let info = run(
        shared,
        &CreateGroup {
            subject: subject.to_owned(),
            participants: users,
            key: Some(new_key()),
            ephemeral: None,
            member_add_mode: None,
        },
    )
    .await?;
    shared.feature::<GroupCache>().put(&info);
    Ok(convert::group_info(&info))
}

/// The metadata of a group, from the server.
pub(crate) async fn info(shared: &SessionContext, group: &Jid) -> Result<GroupInfo, Error> {
    Ok(convert::group_info(&fresh_metadata(shared, group).await?))
}

/// Every group we are in.
pub(crate) async fn joined(shared: &SessionContext) -> Result<Vec<GroupInfo>, Error> {
    let groups = run(shared, &GetParticipatingGroups).await?;
    let cache = shared.feature::<GroupCache>();
    Ok(groups
        .iter()
        .map(|info| {
            cache.put(info);
            convert::group_info(info)
        })
        .collect())
}

/// Adds, removes, promotes or demotes members; one result per member.
pub(crate) async fn update_participants(
    shared: &SessionContext,
    group: &Jid,
    action: ParticipantAction,
    participants: &[String],
) -> Result<Vec<ParticipantUpdate>, Error> {
    let users = user_ids(participants)?;
    let results = run(
        shared,
        &UpdateParticipants {
            group: group.clone(),
            action: match action {
                ParticipantAction::Add => WireAction::Add,
                ParticipantAction::Remove => WireAction::Remove,
                ParticipantAction::Promote => WireAction::Promote,
                ParticipantAction::Demote => WireAction::Demote,
            },
            participants: users,
        },
    )
    .await?;
    shared.feature::<GroupCache>().forget(group);
    Ok(results.iter().map(convert::update).collect())
}

/// Renames a group.
pub(crate) async fn set_subject(
    shared: &SessionContext,
    group: &Jid,
    subject: &str,
) -> Result<(), Error> {
    check_subject(subject)?;
    run(
        shared,
        &SetSubject {
            group: group.clone(),
            subject: subject.to_owned(),
        },
    )
    .await?;
    shared.feature::<GroupCache>().forget(group);
    Ok(())
}

/// Sets (or, with `None` or an empty text, deletes) a group's description.
pub(crate) async fn set_description(
    shared: &SessionContext,
    group: &Jid,
    description: Option<&str>,
) -> Result<(), Error> {
    let body = description.filter(|d| !d.is_empty()).map(str::to_owned);
    if body
        .as_ref()
        .is_some_and(|b| b.chars().count() > MAX_GROUP_DESCRIPTION_CHARS)
    {
        return Err(Error::invalid_argument(format!(
            "a group description has at most {MAX_GROUP_DESCRIPTION_CHARS} characters"
        )));
    }
    // The server wants the id of the description being replaced; a stale cache gets one
    // retry with fresh metadata.
    let mut prev = metadata(shared, group).await?.description.map(|d| d.id);
    for attempt in 0..2 {
        let request = SetDescription {
            group: group.clone(),
            id: Some(new_key()),
            prev: prev.clone(),
            body: body.clone(),
        };
        match run(shared, &request).await {
            Ok(()) => {
                shared.feature::<GroupCache>().forget(group);
                return Ok(());
            }
            Err(err) if err.code == ErrorCode::AlreadyExists && attempt == 0 => {
                prev = fresh_metadata(shared, group)
                    .await?
                    .description
                    .map(|d| d.id);
            }
            Err(err) => return Err(err),
        }
    }
    Err(Error::new(
        ErrorCode::AlreadyExists,
        "the description changed meanwhile",
    ))
}

/// Changes one setting.
pub(crate) async fn set_setting(
    shared: &SessionContext,
    group: &Jid,
    setting: &GroupSetting,
) -> Result<(), Error> {
    let group = group.clone();
    let toggle = |setting| SetGroupSetting {
        group: group.clone(),
        setting,
    };
    match setting {
        GroupSetting::Announcement(on) => {
            let wire = if *on {
                WireSetting::Announcement
            } else {
                WireSetting::NotAnnouncement
            };
            run(shared, &toggle(wire)).await?;
        }
        GroupSetting::Locked(on) => {
            let wire = if *on {
                WireSetting::Locked
            } else {
                WireSetting::Unlocked
            };
            run(shared, &toggle(wire)).await?;
        }
        GroupSetting::JoinApproval(on) => {
            let request = SetMembershipApproval {
                group: group.clone(),
                on: *on,
            };
            run(shared, &request).await?;
        }
        GroupSetting::MemberAddMode(mode) => {
            let request = SetMemberAddMode {
                group: group.clone(),
                mode: mode.as_str().to_owned(),
            };
            run(shared, &request).await?;
        }
        GroupSetting::Ephemeral(secs) => {
            let request = SetEphemeral {
                group: group.clone(),
                expiration: secs.filter(|s| *s > 0),
            };
            run(shared, &request).await?;
        }
    }
    shared.feature::<GroupCache>().forget(&group);
    Ok(())
}

/// The group's invite code (admins only); `reset` revokes the current one first.
pub(crate) async fn invite(
    shared: &SessionContext,
    group: &Jid,
    reset: bool,
) -> Result<String, Error> {
    let group = group.clone();
    if reset {
        run(shared, &RevokeInviteCode { group }).await
    } else {
        run(shared, &GetInviteCode { group }).await
    }
}

/// The group an invite code opens, without joining.
pub(crate) async fn invite_info(shared: &SessionContext, code: &str) -> Result<GroupInfo, Error> {
    let code = invite_code(code)?;
    Ok(convert::group_info(
        &run(shared, &GetInviteInfo { code }).await?,
    ))
}

/// Joins by invite code; a group that needs approval answers with a pending request.
pub(crate) async fn join(shared: &SessionContext, code: &str) -> Result<GroupJoin, Error> {
    let code = invite_code(code)?;
    let answer = shared
        .iq(JoinGroupWithCode { code }.request())
        .await
        .map_err(group_error)?;
    if let Some(pending) = answer.get_child("membership_approval_request") {
        let jid = group_jid(pending, "jid")
            .map_err(|e| Error::new(ErrorCode::Protocol, e.to_string()))?;
        return Ok(GroupJoin {
            jid: jid.to_string(),
            pending_approval: true,
        });
    }
    let jid = JoinGroupWithCode::parse_response(&answer)
        .map_err(|e| Error::new(ErrorCode::Protocol, e.to_string()))?;
    Ok(GroupJoin {
        jid: jid.to_string(),
        pending_approval: false,
    })
}

/// Leaves a group.
pub(crate) async fn leave(shared: &SessionContext, group: &Jid) -> Result<(), Error> {
    run(
        shared,
        &LeaveGroups {
            groups: vec![group.clone()],
        },
    )
    .await?;
    shared.feature::<GroupCache>().forget(group);
    Ok(())
}

/// The pending join requests (admins only).
pub(crate) async fn join_requests(
    shared: &SessionContext,
    group: &Jid,
) -> Result<Vec<GroupJoinRequest>, Error> {
    let requests = run(
        shared,
        &GetJoinRequests {
            group: group.clone(),
        },
    )
    .await?;
    Ok(requests
        .into_iter()
        .map(|r| GroupJoinRequest {
            jid: r.jid.to_string(),
            phone_number: r.phone_number.map(|j| j.to_string()),
            requested_at: r.request_time,
        })
        .collect())
}

/// Approves or rejects join requests; one result per user.
pub(crate) async fn answer_join_requests(
    shared: &SessionContext,
    group: &Jid,
    approve: bool,
    participants: &[String],
) -> Result<Vec<ParticipantUpdate>, Error> {
    let users = user_ids(participants)?;
    let results = run(
        shared,
        &AnswerJoinRequests {
            group: group.clone(),
            approve,
            participants: users,
        },
    )
    .await?;
    if approve {
        shared.feature::<GroupCache>().forget(group);
    }
    Ok(results.iter().map(convert::update).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        assert!(group_id("120363000000000001@g.us").is_ok());
        assert_eq!(
            group_id("15550000001").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        assert_eq!(
            group_id("x@g.us").unwrap_err().code,
            ErrorCode::InvalidArgument
        );
        assert!(check_subject("  ").is_err());
        assert!(check_subject(&"a".repeat(101)).is_err());
        assert!(check_subject("Team").is_ok());
        assert!(user_ids(&[]).is_err());
        assert!(user_ids(&["120363000000000001@g.us".into()]).is_err());
        let users = user_ids(&["+1 555 000 0002".into(), "15550000002".into()]).unwrap();
        assert_eq!(users, vec![Jid::pn("15550000002")]);
        assert_eq!(
            invite_code("https://chat.whatsapp.com/AbC123").unwrap(),
            "AbC123"
        );
        assert!(invite_code("").is_err());
        assert!(invite_code("a b").is_err());
    }
}
