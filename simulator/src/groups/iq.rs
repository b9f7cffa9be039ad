//! The `w:g2` IQs (docs/PROTOCOL.md, Groups), answered like WhatsApp: metadata, participating list,
//! create, add/remove/promote/demote with per-participant results, subject, description,
//! settings, invite code get/revoke, join by code (and preview), leave. Each change is followed
//! by a `w:gp2` notification to the members ([`super::notify`]). Joining by link while
//! approval is required files a join request, which admins list, approve or reject.
//!
//! Errors (the codes whatsmeow maps to its typed errors): unknown group 404, not a member 403,
//! not an admin 403 (401 for the invite link), invalid invite code 406, revoked code 410,
//! stale description `prev` 409, malformed request 400.

use openwa_protocol::stanza::group::{
    AnswerJoinRequests, CreateGroup, GetGroupInfo, GetInviteCode, GetInviteInfo, GetJoinRequests,
    GetParticipatingGroups, GroupSetting, JoinGroupWithCode, LeaveGroups, ParticipantAction,
    ParticipantResult, RevokeInviteCode, SetDescription, SetEphemeral, SetGroupSetting,
    SetMemberAddMode, SetMembershipApproval, SetSubject, UpdateParticipants,
};
use openwa_protocol::stanza::{GroupChange, IqError, IqHeader, IqSpec, MembershipChange};
use openwa_protocol::{Jid, Node};
use rand_core::OsRng;

use super::notify::{Actor, notify};
use super::view::{group_info, user_jids};
use super::{CreateOptions, create_group, membership};
use crate::device::DeviceRef;
use crate::hub::Hub;
use crate::router::{IqOutcome, Router};
use crate::state::{Description, Group, JoinRequest, Participant, Role, State, invite_code};
use crate::util::now_secs;

/// Longest subject WhatsApp accepts (longer: 406).
pub const MAX_SUBJECT_CHARS: usize = 100;
/// Longest description WhatsApp accepts (longer: 406).
pub const MAX_DESCRIPTION_CHARS: usize = 2048;
/// The disappearing-message timers WhatsApp offers (others: 400).
pub const EPHEMERAL_TIMERS: [u32; 3] = [86_400, 604_800, 7_776_000];

fn forbidden() -> IqError {
    IqError::new(403, "forbidden")
}

fn not_authorized() -> IqError {
    IqError::new(401, "not-authorized")
}

fn not_acceptable() -> IqError {
    IqError::new(406, "not-acceptable")
}

/// Serves the `w:g2` IQs.
pub fn register(router: &mut Router<Hub>) {
    router.on_iq(
        "w:g2",
        |hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader| {
            IqOutcome::from(handle(hub, me, iq, header))
        },
    );
}

/// Answers one `xmlns="w:g2"` IQ of `me`.
pub fn handle(hub: &Hub, me: &DeviceRef, iq: &Node, header: &IqHeader) -> Node {
    let kind = iq.attr_str("type").unwrap_or_default();
    let to_server = iq.attr_jid("to").is_some_and(|to| to.user.is_empty());
    let first = iq.first_child().map(|c| c.tag.clone()).unwrap_or_default();
    let ctx = Ctx {
        hub,
        me,
        iq,
        header,
        actor: Actor {
            phone: me.phone.clone(),
            push_name: me.push_name.clone(),
        },
    };
    let outcome = match (kind.as_str(), to_server, first.as_str()) {
        ("get", false, "query") => ctx.metadata(),
        ("get", true, "participating") => ctx.participating(),
        ("set", true, "create") => ctx.create(),
        ("set", false, "add" | "remove" | "promote" | "demote") => ctx.participants(),
        ("set", false, "subject") => ctx.subject(),
        ("set", false, "description") => ctx.description(),
        ("set", false, "locked" | "unlocked" | "announcement" | "not_announcement") => {
            ctx.setting()
        }
        ("set", false, "ephemeral" | "not_ephemeral") => ctx.ephemeral(),
        ("set", false, "member_add_mode") => ctx.member_add_mode(),
        ("set", false, "membership_approval_mode") => ctx.membership_approval(),
        ("get", false, "invite") => ctx.invite_code(),
        ("set", false, "invite") => ctx.revoke_invite(),
        ("set", true, "invite") => ctx.join(),
        ("get", true, "invite") => ctx.preview(),
        ("set", true, "leave") => ctx.leave(),
        ("get", false, "membership_approval_requests") => ctx.join_requests(),
        ("set", false, "membership_requests_action") => ctx.answer_join_requests(),
        _ => {
            tracing::debug!(%kind, child = %first, "w:g2 IQ not implemented");
            Err(IqError::not_implemented())
        }
    };
    outcome.unwrap_or_else(|e| header.error(&e))
}

/// Parses a request, answering 400 when it is malformed.
fn parse<S: IqSpec>(iq: &Node) -> Result<S, IqError> {
    S::parse_request(iq).map(|(_, spec)| spec).map_err(|e| {
        tracing::debug!(error = %e, "malformed w:g2 IQ");
        IqError::bad_request()
    })
}

/// The account a participant JID (PN or LID) names.
fn phone_of(state: &State, jid: &Jid) -> Option<String> {
    state.account_for_jid(jid).map(|a| a.phone.clone())
}

/// `group` if it exists (404) and `phone` is in it (403).
fn member_group<'a>(state: &'a State, group: &Jid, phone: &str) -> Result<&'a Group, IqError> {
    let group = state.group(&group.user).map_err(|_| IqError::not_found())?;
    group
        .participant(phone)
        .map(|_| group)
        .ok_or_else(forbidden)
}

/// [`member_group`], mutable.
fn member_group_mut<'a>(
    state: &'a mut State,
    group: &Jid,
    phone: &str,
) -> Result<&'a mut Group, IqError> {
    let group = state
        .group_mut(&group.user)
        .map_err(|_| IqError::not_found())?;
    match group.participant(phone) {
        Some(_) => Ok(group),
        None => Err(forbidden()),
    }
}

/// [`member_group_mut`] for admins only (403 for other members).
fn admin_group_mut<'a>(
    state: &'a mut State,
    group: &Jid,
    phone: &str,
) -> Result<&'a mut Group, IqError> {
    let group = member_group_mut(state, group, phone)?;
    if group.is_admin(phone) {
        Ok(group)
    } else {
        Err(forbidden())
    }
}

/// [`member_group_mut`] for a change of group info: admins only when the group is locked.
fn info_editor_group_mut<'a>(
    state: &'a mut State,
    group: &Jid,
    phone: &str,
) -> Result<&'a mut Group, IqError> {
    let group = member_group_mut(state, group, phone)?;
    if group.locked && !group.is_admin(phone) {
        Err(forbidden())
    } else {
        Ok(group)
    }
}

/// The group an invite code opens: 406 for a code never issued, 410 for a revoked one.
fn group_by_code(state: &State, code: &str) -> Result<String, IqError> {
    if let Some(group) = state.groups.values().find(|g| g.invite_code == code) {
        return Ok(group.id.clone());
    }
    if state
        .groups
        .values()
        .any(|g| g.revoked_invites.iter().any(|c| c == code))
    {
        Err(IqError::new(410, "gone"))
    } else {
        Err(not_acceptable())
    }
}

fn check_subject(subject: &str) -> Result<(), IqError> {
    if subject.trim().is_empty() {
        Err(IqError::bad_request())
    } else if subject.chars().count() > MAX_SUBJECT_CHARS {
        Err(not_acceptable())
    } else {
        Ok(())
    }
}

/// One IQ being answered.
struct Ctx<'a> {
    hub: &'a Hub,
    me: &'a DeviceRef,
    iq: &'a Node,
    header: &'a IqHeader,
    actor: Actor,
}

impl Ctx<'_> {
    fn phone(&self) -> &str {
        &self.me.phone
    }

    fn notify(&self, group: &Jid, change: GroupChange, also: &[String]) {
        notify(self.hub, &group.user, &self.actor, change, also);
    }

    fn metadata(&self) -> Result<Node, IqError> {
        let request: GetGroupInfo = parse(self.iq)?;
        let info = self
            .hub
            .read(|s| member_group(s, &request.group, self.phone()).map(|g| group_info(s, g)))?;
        Ok(GetGroupInfo::response(self.header, &info))
    }

    fn participating(&self) -> Result<Node, IqError> {
        let _: GetParticipatingGroups = parse(self.iq)?;
        let groups = self.hub.read(|s| {
            s.groups
                .values()
                .filter(|g| g.participant(self.phone()).is_some())
                .map(|g| group_info(s, g))
                .collect::<Vec<_>>()
        });
        Ok(GetParticipatingGroups::response(self.header, &groups))
    }

    fn create(&self) -> Result<Node, IqError> {
        let request: CreateGroup = parse(self.iq)?;
        check_subject(&request.subject)?;
        let create = self.iq.get_child("create");
        let flag = |tag: &str| create.is_some_and(|c| c.get_child(tag).is_some());
        let approval = create
            .and_then(|c| c.get_child("membership_approval_mode"))
            .and_then(|m| m.get_child("group_join"))
            .and_then(|j| j.attr_str("state"))
            .is_some_and(|state| state == "on");
        let options = CreateOptions {
            key: request.key.clone(),
            ephemeral: request.ephemeral.unwrap_or(0),
            all_members_add: request.member_add_mode.as_deref() == Some("all_member_add"),
            locked: flag("locked"),
            announce: flag("announcement"),
            approval_required: approval,
            pn_addressing: false,
        };
        let (members, unknown) = self.hub.read(|s| {
            let mut members = Vec::new();
            let mut unknown = Vec::new();
            for jid in &request.participants {
                match phone_of(s, jid) {
                    Some(phone) => members.push(phone),
                    None => unknown.push(jid.clone()),
                }
            }
            (members, unknown)
        });
        let mut info = create_group(self.hub, &self.actor, &request.subject, &members, options)
            .map_err(|_| IqError::bad_request())?;
        // Numbers that are not on the network: a per-participant error in the answer only.
        info.extra.extend(unknown.iter().map(|jid| {
            Node::new("participant")
                .attr("jid", jid)
                .attr("error", "404")
        }));
        Ok(CreateGroup::response(self.header, &info))
    }

    fn participants(&self) -> Result<Node, IqError> {
        let request: UpdateParticipants = parse(self.iq)?;
        let me = self.phone();
        let (results, changed) = self.hub.write(|s| {
            let targets: Vec<(Jid, Option<String>, Option<Jid>)> = request
                .participants
                .iter()
                .map(|jid| {
                    let phone = phone_of(s, jid);
                    let pn = phone
                        .as_deref()
                        .filter(|_| jid.is_lid())
                        .and_then(|p| user_jids(s, p))
                        .map(|(_, pn)| pn);
                    (jid.clone(), phone, pn)
                })
                .collect();
            let group = member_group_mut(s, &request.group, me)?;
            let allowed = group.is_admin(me)
                || (request.action == ParticipantAction::Add && group.all_members_add);
            if !allowed {
                return Err(forbidden());
            }
            let mut results = Vec::new();
            let mut changed = Vec::new();
            for (jid, phone, pn) in targets {
                let error = match phone {
                    None => Some(404),
                    Some(phone) => {
                        let error = apply_action(group, &request.action, me, &phone);
                        if error.is_none() {
                            changed.push(phone);
                        }
                        error
                    }
                };
                results.push(ParticipantResult {
                    error,
                    phone_number: pn,
                    ..ParticipantResult::ok(jid)
                });
            }
            Ok((results, changed))
        })?;
        if !changed.is_empty() {
            let change = match request.action {
                ParticipantAction::Add => MembershipChange::Add,
                ParticipantAction::Remove => MembershipChange::Remove,
                ParticipantAction::Promote => MembershipChange::Promote,
                _ => MembershipChange::Demote,
            };
            let removed = if change == MembershipChange::Remove {
                changed.clone()
            } else {
                Vec::new()
            };
            self.notify(
                &request.group,
                membership(self.hub, &request.group.user, change, None, &changed),
                &removed,
            );
        }
        Ok(request.response_for(self.header, &results))
    }

    fn subject(&self) -> Result<Node, IqError> {
        let request: SetSubject = parse(self.iq)?;
        check_subject(&request.subject)?;
        let now = now_secs();
        let (owner, owner_pn) = self.hub.write(|s| {
            let jids = user_jids(s, self.phone()).unzip();
            let group = info_editor_group_mut(s, &request.group, self.phone())?;
            group.subject = request.subject.clone();
            group.subject_owner = self.phone().to_owned();
            group.subject_time = now;
            Ok::<_, IqError>(jids)
        })?;
        self.notify(
            &request.group,
            GroupChange::Subject {
                subject: request.subject,
                subject_time: Some(now),
                subject_owner: owner,
                subject_owner_pn: owner_pn,
            },
            &[],
        );
        Ok(SetSubject::response(self.header, &()))
    }

    fn description(&self) -> Result<Node, IqError> {
        let request: SetDescription = parse(self.iq)?;
        if request
            .body
            .as_ref()
            .is_some_and(|b| b.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            return Err(not_acceptable());
        }
        let id = match &request.id {
            Some(id) => id.clone(),
            None => self.hub.next_stanza_id(),
        };
        self.hub.write(|s| {
            let group = info_editor_group_mut(s, &request.group, self.phone())?;
            let current = group.description.as_ref().map(|d| d.id.as_str());
            if request.prev.is_some() && request.prev.as_deref() != current {
                return Err(IqError::new(409, "conflict"));
            }
            group.description = request.body.clone().map(|text| Description {
                id: id.clone(),
                text,
                author: self.phone().to_owned(),
                time: now_secs(),
            });
            Ok(())
        })?;
        self.notify(
            &request.group,
            GroupChange::Description {
                id,
                body: request.body,
            },
            &[],
        );
        Ok(SetDescription::response(self.header, &()))
    }

    fn setting(&self) -> Result<Node, IqError> {
        let request: SetGroupSetting = parse(self.iq)?;
        let change = self.hub.write(|s| {
            let group = admin_group_mut(s, &request.group, self.phone())?;
            Ok::<_, IqError>(match request.setting {
                GroupSetting::Locked | GroupSetting::Unlocked => {
                    group.locked = request.setting == GroupSetting::Locked;
                    GroupChange::Locked(group.locked)
                }
                GroupSetting::Announcement | GroupSetting::NotAnnouncement => {
                    group.announce = request.setting == GroupSetting::Announcement;
                    group.announce_version += 1;
                    GroupChange::Announcement {
                        on: group.announce,
                        version_id: Some(group.announce_version.to_string()),
                    }
                }
            })
        })?;
        self.notify(&request.group, change, &[]);
        Ok(SetGroupSetting::response(self.header, &()))
    }

    fn ephemeral(&self) -> Result<Node, IqError> {
        let request: SetEphemeral = parse(self.iq)?;
        if request
            .expiration
            .is_some_and(|e| !EPHEMERAL_TIMERS.contains(&e))
        {
            return Err(IqError::bad_request());
        }
        self.hub.write(|s| {
            let group = info_editor_group_mut(s, &request.group, self.phone())?;
            group.ephemeral = request.expiration.unwrap_or(0);
            Ok::<_, IqError>(())
        })?;
        self.notify(
            &request.group,
            GroupChange::Ephemeral(request.expiration),
            &[],
        );
        Ok(SetEphemeral::response(self.header, &()))
    }

    fn member_add_mode(&self) -> Result<Node, IqError> {
        let request: SetMemberAddMode = parse(self.iq)?;
        let all = match request.mode.as_str() {
            "all_member_add" => true,
            "admin_add" => false,
            _ => return Err(IqError::bad_request()),
        };
        self.hub.write(|s| {
            admin_group_mut(s, &request.group, self.phone())?.all_members_add = all;
            Ok::<_, IqError>(())
        })?;
        self.notify(
            &request.group,
            GroupChange::MemberAddMode(request.mode),
            &[],
        );
        Ok(SetMemberAddMode::response(self.header, &()))
    }

    fn membership_approval(&self) -> Result<Node, IqError> {
        let request: SetMembershipApproval = parse(self.iq)?;
        self.hub.write(|s| {
            admin_group_mut(s, &request.group, self.phone())?.approval_required = request.on;
            Ok::<_, IqError>(())
        })?;
        self.notify(
            &request.group,
            GroupChange::MembershipApproval(request.on),
            &[],
        );
        Ok(SetMembershipApproval::response(self.header, &()))
    }

    /// Member but not admin: 401 (whatsmeow's `ErrGroupInviteLinkUnauthorized`).
    fn invite_admin_group_mut<'a>(
        &self,
        state: &'a mut State,
        group: &Jid,
    ) -> Result<&'a mut Group, IqError> {
        let group = member_group_mut(state, group, self.phone())?;
        if group.is_admin(self.phone()) {
            Ok(group)
        } else {
            Err(not_authorized())
        }
    }

    fn invite_code(&self) -> Result<Node, IqError> {
        let request: GetInviteCode = parse(self.iq)?;
        let code = self.hub.write(|s| {
            self.invite_admin_group_mut(s, &request.group)
                .map(|g| g.invite_code.clone())
        })?;
        Ok(GetInviteCode::response(self.header, &code))
    }

    fn revoke_invite(&self) -> Result<Node, IqError> {
        let request: RevokeInviteCode = parse(self.iq)?;
        let code = self.hub.write(|s| {
            let group = self.invite_admin_group_mut(s, &request.group)?;
            let fresh = invite_code(&mut OsRng);
            let old = std::mem::replace(&mut group.invite_code, fresh.clone());
            group.revoked_invites.push(old);
            Ok::<_, IqError>(fresh)
        })?;
        self.notify(
            &request.group,
            GroupChange::Invite { code: code.clone() },
            &[],
        );
        Ok(RevokeInviteCode::response(self.header, &code))
    }

    fn preview(&self) -> Result<Node, IqError> {
        let request: GetInviteInfo = parse(self.iq)?;
        let info = self.hub.read(|s| {
            let id = group_by_code(s, &request.code)?;
            s.group(&id)
                .map(|g| group_info(s, g))
                .map_err(|_| IqError::not_found())
        })?;
        Ok(GetInviteInfo::response(self.header, &info))
    }

    fn join(&self) -> Result<Node, IqError> {
        let request: JoinGroupWithCode = parse(self.iq)?;
        let (group, outcome) = self.hub.write(|s| {
            let id = group_by_code(s, &request.code)?;
            let group = s.group_mut(&id).map_err(|_| IqError::not_found())?;
            let outcome = if group.participant(self.phone()).is_some() {
                Join::AlreadyMember
            } else if group.approval_required {
                if group.join_requests.iter().all(|r| r.phone != self.phone()) {
                    group.join_requests.push(JoinRequest {
                        phone: self.phone().to_owned(),
                        time: now_secs(),
                    });
                }
                Join::NeedsApproval
            } else {
                group.participants.push(Participant {
                    phone: self.phone().to_owned(),
                    role: Role::Member,
                });
                Join::Joined
            };
            Ok::<_, IqError>((group.jid(), outcome))
        })?;
        match outcome {
            Join::NeedsApproval => Ok(self.header.result(vec![
                Node::new("membership_approval_request").attr("jid", group),
            ])),
            Join::AlreadyMember => Ok(JoinGroupWithCode::response(self.header, &group)),
            Join::Joined => {
                let me = [self.phone().to_owned()];
                let change = membership(
                    self.hub,
                    &group.user,
                    MembershipChange::Add,
                    Some("invite".to_owned()),
                    &me,
                );
                self.notify(&group, change, &[]);
                Ok(JoinGroupWithCode::response(self.header, &group))
            }
        }
    }

    fn leave(&self) -> Result<Node, IqError> {
        let request: LeaveGroups = parse(self.iq)?;
        if request.groups.is_empty() {
            return Err(IqError::bad_request());
        }
        let (known, left) = self.hub.write(|s| {
            let mut known = 0;
            let mut left = Vec::new();
            for jid in &request.groups {
                let Ok(group) = s.group_mut(&jid.user) else {
                    continue;
                };
                known += 1;
                let before = group.participants.len();
                group.participants.retain(|p| p.phone != self.phone());
                if group.participants.len() != before {
                    left.push(group.jid());
                }
            }
            (known, left)
        });
        if known == 0 {
            return Err(IqError::not_found());
        }
        let me = [self.phone().to_owned()];
        for group in left {
            let change = membership(self.hub, &group.user, MembershipChange::Remove, None, &me);
            self.notify(&group, change, &me);
        }
        Ok(LeaveGroups::response(self.header, &()))
    }
}

impl Ctx<'_> {
    fn join_requests(&self) -> Result<Node, IqError> {
        let request: GetJoinRequests = parse(self.iq)?;
        let requests = self.hub.write(|s| {
            let pending = admin_group_mut(s, &request.group, self.phone())?
                .join_requests
                .clone();
            let lid_mode = s
                .group(&request.group.user)
                .map(|g| !g.pn_addressing)
                .unwrap_or(true);
            Ok::<_, IqError>(
                pending
                    .iter()
                    .filter_map(|r| {
                        let (lid, pn) = user_jids(s, &r.phone)?;
                        let (jid, phone_number) = if lid_mode {
                            (lid, Some(pn))
                        } else {
                            (pn, None)
                        };
                        Some(openwa_protocol::stanza::group::JoinRequest {
                            jid,
                            phone_number,
                            request_time: Some(r.time),
                            request_method: Some("invite_link".to_owned()),
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        })?;
        Ok(GetJoinRequests::response(self.header, &requests))
    }

    fn answer_join_requests(&self) -> Result<Node, IqError> {
        let request: AnswerJoinRequests = parse(self.iq)?;
        let (results, approved) = self.hub.write(|s| {
            let targets: Vec<(Jid, Option<String>)> = request
                .participants
                .iter()
                .map(|jid| (jid.clone(), phone_of(s, jid)))
                .collect();
            let group = admin_group_mut(s, &request.group, self.phone())?;
            let mut results = Vec::new();
            let mut approved = Vec::new();
            for (jid, phone) in targets {
                let pending = phone.filter(|p| group.join_requests.iter().any(|r| &r.phone == p));
                let error = match pending {
                    None => Some(404),
                    Some(phone) => {
                        group.join_requests.retain(|r| r.phone != phone);
                        if request.approve && group.participant(&phone).is_none() {
                            group.participants.push(Participant {
                                phone: phone.clone(),
                                role: Role::Member,
                            });
                            approved.push(phone);
                        }
                        None
                    }
                };
                results.push(ParticipantResult {
                    error,
                    ..ParticipantResult::ok(jid)
                });
            }
            Ok::<_, IqError>((results, approved))
        })?;
        if !approved.is_empty() {
            let change = membership(
                self.hub,
                &request.group.user,
                MembershipChange::Add,
                None,
                &approved,
            );
            self.notify(&request.group, change, &[]);
        }
        Ok(request.response_for(self.header, &results))
    }
}

/// How a join by invite code ended.
enum Join {
    Joined,
    AlreadyMember,
    NeedsApproval,
}

/// Applies add/remove/promote/demote of `target` by `actor` to `group`; the per-participant
/// error code, `None` when done.
fn apply_action(
    group: &mut Group,
    action: &ParticipantAction,
    actor: &str,
    target: &str,
) -> Option<u16> {
    let actor_is_super = group
        .participant(actor)
        .is_some_and(|p| p.role == Role::SuperAdmin);
    match action {
        ParticipantAction::Add => {
            if group.participant(target).is_some() {
                return Some(409);
            }
            group.participants.push(Participant {
                phone: target.to_owned(),
                role: Role::Member,
            });
            None
        }
        ParticipantAction::Remove => {
            let Some(role) = group.participant(target).map(|p| p.role) else {
                return Some(404);
            };
            if role == Role::SuperAdmin && !actor_is_super {
                return Some(403);
            }
            group.participants.retain(|p| p.phone != target);
            None
        }
        ParticipantAction::Promote => {
            let Some(participant) = group.participant_mut(target) else {
                return Some(404);
            };
            if participant.role == Role::Member {
                participant.role = Role::Admin;
            }
            None
        }
        ParticipantAction::Demote => {
            let Some(participant) = group.participant_mut(target) else {
                return Some(404);
            };
            if participant.role == Role::SuperAdmin {
                return Some(403);
            }
            participant.role = Role::Member;
            None
        }
        ParticipantAction::Other(_) => Some(400),
    }
}
