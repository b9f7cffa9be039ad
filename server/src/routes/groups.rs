//! `/api/sessions/:id/groups…`: OpenWA's group routes over the engine's group API — list, get,
//! create, join (and preview), leave, participants (add/remove with per-participant `results`,
//! promote, demote), subject, description, settings, invite code (get, revoke), join requests
//! (list, approve, reject). Ids answer in OpenWA's forms (`…@c.us`, `…@lid`, `…@g.us`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use openwa::{GroupInfo, GroupSetting, ParticipantAction, ParticipantUpdate};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::{Body, Q};
use crate::openapi::{Problems, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;
use crate::util::{openwa_id, phone_of};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(join))
        .routes(routes!(join_info))
        .routes(routes!(one))
        .routes(routes!(leave))
        .routes(routes!(add_participants, remove_participants))
        .routes(routes!(promote))
        .routes(routes!(demote))
        .routes(routes!(subject))
        .routes(routes!(description))
        .routes(routes!(settings, set_settings))
        .routes(routes!(invite_code))
        .routes(routes!(revoke_invite))
        .routes(routes!(join_requests))
        .routes(routes!(approve_requests))
        .routes(routes!(reject_requests))
}

/// Whether `info` lists `own` (our PN or LID user JID) as an admin.
fn own_role(info: &GroupInfo, own: &[String]) -> bool {
    info.participants.iter().any(|p| {
        p.role.is_admin()
            && [Some(&p.jid), p.phone_number.as_ref(), p.lid.as_ref()]
                .into_iter()
                .flatten()
                .any(|j| own.contains(j))
    })
}

/// Our user JIDs (PN and LID, device-less) from the session info.
fn own_users(session: &openwa::Session) -> Vec<String> {
    let info = session.info();
    [info.jid, info.lid]
        .into_iter()
        .flatten()
        .map(|j| {
            let (user, server) = j.split_once('@').unwrap_or((&j, ""));
            let user = user.split(':').next().unwrap_or(user);
            format!("{user}@{server}")
        })
        .collect()
}

/// OpenWA's group summary.
fn summary(info: &GroupInfo, own: &[String]) -> Value {
    json!({
        "id": info.jid,
        "name": info.subject,
        "participantsCount": info.participants.len(),
        "isAdmin": own_role(info, own),
        "linkedParentJID": Value::Null,
    })
}

/// OpenWA's group details (plus our additions: `addressingMode`, `settings`).
fn details(info: &GroupInfo) -> Value {
    let participants: Vec<Value> = info
        .participants
        .iter()
        .map(|p| {
            let phone = p.phone_number.as_deref().and_then(phone_of);
            json!({
                "id": openwa_id(p.phone_number.as_deref().unwrap_or(&p.jid)),
                "number": phone.unwrap_or_default(),
                "lid": p.lid,
                "isAdmin": p.role.is_admin(),
                "isSuperAdmin": p.role == openwa::ParticipantRole::SuperAdmin,
            })
        })
        .collect();
    json!({
        "id": info.jid,
        "name": info.subject,
        "description": info.description,
        "owner": info.creator.as_deref().map(openwa_id),
        "createdAt": info.creation,
        "participants": participants,
        "isReadOnly": info.settings.locked,
        "isAnnounce": info.settings.announcement,
        "linkedParentJID": Value::Null,
        "addressingMode": info.addressing_mode,
        "settings": settings_json(info),
    })
}

fn settings_json(info: &GroupInfo) -> Value {
    json!({
        "announce": info.settings.announcement,
        "locked": info.settings.locked,
        "ephemeralSeconds": info.settings.ephemeral_secs.unwrap_or(0),
        "joinApproval": info.settings.join_approval,
        "memberAddMode": info.settings.member_add_mode,
    })
}

fn results(updates: &[ParticipantUpdate]) -> Vec<Value> {
    updates
        .iter()
        .map(|u| {
            json!({
                "id": openwa_id(u.phone_number.as_deref().unwrap_or(&u.jid)),
                "success": u.ok,
                "status": u.error.unwrap_or(200),
                "inviteCode": u.invite_code,
            })
        })
        .collect()
}

/// `{success, message, results}`; every participant failing is the operation failing (403,
/// with the results in the problem's detail), as OpenWA answers.
fn participants_answer(updates: &[ParticipantUpdate], done: &str) -> ApiResult<Response> {
    if !updates.is_empty() && updates.iter().all(|u| !u.ok) {
        let detail = updates
            .iter()
            .map(|u| format!("{} ({})", u.jid, u.error.unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "permission_denied",
            format!("failed for every participant: {detail}"),
        ));
    }
    Ok(
        Json(json!({ "success": true, "message": done, "results": results(updates) }))
            .into_response(),
    )
}

fn done(message: &str) -> Response {
    Json(json!({ "success": true, "message": message })).into_response()
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    name: String,
    participants: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Participants {
    participants: Vec<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Subject {
    subject: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Description {
    description: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Join {
    invite_code: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CodeQuery {
    code: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    announce: Option<bool>,
    locked: Option<bool>,
    ephemeral_seconds: Option<u32>,
    join_approval: Option<bool>,
}

/// Participant ids in any accepted form; at least one.
fn participants(list: &[String]) -> ApiResult<Vec<String>> {
    if list.is_empty() {
        return Err(ApiError::bad_request("participants must not be empty"));
    }
    list.iter()
        .map(|p| openwa::normalize_chat_id(p).map_err(ApiError::from))
        .collect()
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups",
    operation_id = "groups_list",
    tag = "Groups",
    summary = "Groups the session is in",
    params(SessionPath),
    responses((status = 200, description = "The groups", body = [Object]), Problems)
)]
async fn list(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let own = own_users(&session);
    let groups = session.joined_groups().await?;
    let list: Vec<Value> = groups.iter().map(|g| summary(g, &own)).collect();
    Ok(Json(list).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups/{group}",
    operation_id = "groups_one",
    tag = "Groups",
    summary = "A group's metadata",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "The group", body = Object), Problems)
)]
async fn one(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    match session.group_info(&group).await {
        Ok(info) => Ok(Json(details(&info)).into_response()),
        // OpenWA answers a group the account cannot see as not found.
        Err(err) if err.code == openwa::ErrorCode::PermissionDenied => {
            Err(ApiError::not_found(format!("group {group} not found")))
        }
        Err(err) => Err(err.into()),
    }
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups",
    operation_id = "groups_create",
    tag = "Groups",
    summary = "Create a group",
    params(SessionPath),
    request_body = CreateGroup,
    responses((status = 201, description = "The new group", body = Object), Problems)
)]
async fn create(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<CreateGroup>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let members = participants(&body.participants)?;
    let info = session.create_group(&body.name, members).await?;
    let own = own_users(&session);
    Ok((StatusCode::CREATED, Json(summary(&info, &own))).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/join",
    operation_id = "groups_join",
    tag = "Groups",
    summary = "Join a group by invite code",
    params(SessionPath),
    request_body = Join,
    responses((status = 200, description = "`{success, groupId}`", body = Object), Problems)
)]
async fn join(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Join>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let joined = session.join_group(&body.invite_code).await?;
    Ok(Json(json!({
        "success": true,
        "groupId": joined.jid,
        "pendingApproval": joined.pending_approval,
    }))
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups/join-info",
    operation_id = "groups_join_info",
    tag = "Groups",
    summary = "Preview a group by invite code",
    params(SessionPath, CodeQuery),
    responses((status = 200, description = "The group", body = Object), Problems)
)]
async fn join_info(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Q(query): Q<CodeQuery>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let Some(code) = query.code else {
        return Err(ApiError::bad_request("code is required"));
    };
    let info = session.group_invite_info(&code).await?;
    Ok(Json(details(&info)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/leave",
    operation_id = "groups_leave",
    tag = "Groups",
    summary = "Leave a group",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "`{success, message}`", body = Object), Problems)
)]
async fn leave(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.leave_group(&group).await?;
    Ok(done("Left the group"))
}

async fn update(
    state: &AppState,
    id: &str,
    group: &str,
    action: ParticipantAction,
    body: &Participants,
    message: &str,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(state, id).await?;
    let members = participants(&body.participants)?;
    let updates = session
        .update_group_participants(group, action, members)
        .await?;
    participants_answer(&updates, message)
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/participants",
    operation_id = "groups_add_participants",
    tag = "Groups",
    summary = "Add participants",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn add_participants(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    let message = "Participants added";
    update(&state, &id, &group, ParticipantAction::Add, &body, message).await
}

#[utoipa::path(
    delete,
    path = "/api/sessions/{id}/groups/{group}/participants",
    operation_id = "groups_remove_participants",
    tag = "Groups",
    summary = "Remove participants",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn remove_participants(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    let message = "Participants removed";
    update(
        &state,
        &id,
        &group,
        ParticipantAction::Remove,
        &body,
        message,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/participants/promote",
    operation_id = "groups_promote",
    tag = "Groups",
    summary = "Make participants admins",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn promote(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    let message = "Participants promoted to admin";
    update(
        &state,
        &id,
        &group,
        ParticipantAction::Promote,
        &body,
        message,
    )
    .await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/participants/demote",
    operation_id = "groups_demote",
    tag = "Groups",
    summary = "Make admins plain participants",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn demote(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    let message = "Participants demoted from admin";
    update(
        &state,
        &id,
        &group,
        ParticipantAction::Demote,
        &body,
        message,
    )
    .await
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/groups/{group}/subject",
    operation_id = "groups_subject",
    tag = "Groups",
    summary = "Change the subject",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Subject,
    responses((status = 200, description = "`{success, message}`", body = Object), Problems)
)]
async fn subject(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Subject>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session.set_group_subject(&group, &body.subject).await?;
    Ok(done("Group subject updated"))
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/groups/{group}/description",
    operation_id = "groups_description",
    tag = "Groups",
    summary = "Change the description",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Description,
    responses((status = 200, description = "`{success, message}`", body = Object), Problems)
)]
async fn description(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Description>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    session
        .set_group_description(&group, Some(body.description))
        .await?;
    Ok(done("Group description updated"))
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups/{group}/settings",
    operation_id = "groups_settings",
    tag = "Groups",
    summary = "The group's settings",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "The settings", body = Object), Problems)
)]
async fn settings(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let info = session.group_info(&group).await?;
    Ok(Json(settings_json(&info)).into_response())
}

#[utoipa::path(
    put,
    path = "/api/sessions/{id}/groups/{group}/settings",
    operation_id = "groups_set_settings",
    tag = "Groups",
    summary = "Change settings",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Settings,
    responses((status = 200, description = "The settings", body = Object), Problems)
)]
async fn set_settings(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Settings>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let mut changes = Vec::new();
    changes.extend(body.announce.map(GroupSetting::Announcement));
    changes.extend(body.locked.map(GroupSetting::Locked));
    changes.extend(body.join_approval.map(GroupSetting::JoinApproval));
    changes.extend(
        body.ephemeral_seconds
            .map(|s| GroupSetting::Ephemeral((s > 0).then_some(s))),
    );
    if changes.is_empty() {
        return Err(ApiError::bad_request(
            "give at least one of announce, locked, ephemeralSeconds, joinApproval",
        ));
    }
    for change in changes {
        session.set_group_setting(&group, change).await?;
    }
    let info = session.group_info(&group).await?;
    Ok(Json(settings_json(&info)).into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups/{group}/invite-code",
    operation_id = "groups_invite_code",
    tag = "Groups",
    summary = "The invite code and link",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "`{inviteCode, inviteLink}`", body = Object), Problems)
)]
async fn invite_code(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let code = session.group_invite_code(&group).await?;
    Ok(Json(json!({
        "inviteCode": code,
        "inviteLink": format!("https://chat.whatsapp.com/{code}"),
    }))
    .into_response())
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/invite-code/revoke",
    operation_id = "groups_revoke_invite",
    tag = "Groups",
    summary = "Revoke the invite code (a new one is made)",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "`{inviteCode, inviteLink}`", body = Object), Problems)
)]
async fn revoke_invite(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let code = session.revoke_group_invite(&group).await?;
    Ok(Json(json!({
        "inviteCode": code,
        "inviteLink": format!("https://chat.whatsapp.com/{code}"),
        "message": "Invite code revoked and new one generated",
    }))
    .into_response())
}

#[utoipa::path(
    get,
    path = "/api/sessions/{id}/groups/{group}/membership-requests",
    operation_id = "groups_join_requests",
    tag = "Groups",
    summary = "Pending join requests",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    responses((status = 200, description = "The requests", body = [Object]), Problems)
)]
async fn join_requests(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let requests = session.group_join_requests(&group).await?;
    let list: Vec<Value> = requests
        .iter()
        .map(|r| {
            json!({
                "id": openwa_id(r.phone_number.as_deref().unwrap_or(&r.jid)),
                "jid": r.jid,
                "requestedAt": r.requested_at,
            })
        })
        .collect();
    Ok(Json(list).into_response())
}

async fn answer_requests(
    state: &AppState,
    id: &str,
    group: &str,
    approve: bool,
    body: &Participants,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(state, id).await?;
    let members = participants(&body.participants)?;
    let updates = session
        .answer_group_join_requests(group, approve, members)
        .await?;
    let message = if approve {
        "Join requests approved"
    } else {
        "Join requests rejected"
    };
    participants_answer(&updates, message)
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/membership-requests/approve",
    operation_id = "groups_approve_requests",
    tag = "Groups",
    summary = "Approve join requests",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn approve_requests(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    answer_requests(&state, &id, &group, true, &body).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/groups/{group}/membership-requests/reject",
    operation_id = "groups_reject_requests",
    tag = "Groups",
    summary = "Reject join requests",
    params(SessionPath, ("group" = String, Path, description = "The group id (…@g.us)")),
    request_body = Participants,
    responses((status = 200, description = "Per-participant results", body = Object), Problems)
)]
async fn reject_requests(
    State(state): State<AppState>,
    Path((id, group)): Path<(String, String)>,
    Body(body): Body<Participants>,
) -> ApiResult<Response> {
    answer_requests(&state, &id, &group, false, &body).await
}
