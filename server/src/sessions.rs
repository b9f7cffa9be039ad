//! Sessions as OpenWA shows them: a server row (uuid id, unique name, config, proxy) per engine
//! session of the same id, and the engine's state under OpenWA's status names.

use std::sync::Arc;

use openwa::{ConnectionState, Session};
use serde::Serialize;

use crate::board::Live;
use crate::db::{Db, DbError, Row2};
use crate::problem::{ApiError, ApiResult};
use crate::state::AppState;
use crate::util::{account_id, iso, phone_of};

/// A server session row.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The id (also the engine session's id).
    pub id: String,
    /// The unique name.
    pub name: String,
    /// The `config` object given at creation (JSON text).
    pub config: String,
    /// The proxy URL.
    pub proxy_url: Option<String>,
    /// Created, Unix ms.
    pub created_at: i64,
    /// Updated, Unix ms.
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, config, proxy_url, created_at, updated_at";

fn from_row(r: &Row2) -> SessionRow {
    SessionRow {
        id: r[0].text(),
        name: r[1].text(),
        config: r[2].text(),
        proxy_url: r[3].opt_text(),
        created_at: r[4].int(),
        updated_at: r[5].int(),
    }
}

/// Stores a new row.
pub async fn insert(db: &Db, row: &SessionRow) -> Result<(), DbError> {
    db.exec(
        "INSERT INTO server_sessions (id, name, config, proxy_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            row.id.clone().into(),
            row.name.clone().into(),
            row.config.clone().into(),
            row.proxy_url.clone().into(),
            row.created_at.into(),
            row.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The row whose id — or else name — is `key`.
pub async fn find(db: &Db, key: &str) -> Result<Option<SessionRow>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM server_sessions WHERE id = $1 OR name = $1");
    let rows = db.query(&sql, vec![key.into()]).await?;
    let by_id = rows.iter().find(|r| r[0].text() == key);
    Ok(by_id.or(rows.first()).map(from_row))
}

/// Rows ordered by creation, filtered by name, paged.
pub async fn list(
    db: &Db,
    name: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<SessionRow>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM server_sessions WHERE ($1 = '' OR name = $1) \
         ORDER BY created_at, id LIMIT $2 OFFSET $3"
    );
    let rows = db
        .query(
            &sql,
            vec![name.unwrap_or("").into(), limit.into(), offset.into()],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Replaces the stored `config` object (JSON text) of `id`.
pub async fn set_config(db: &Db, id: &str, config: &str) -> Result<(), DbError> {
    db.exec(
        "UPDATE server_sessions SET config = $1, updated_at = $2 WHERE id = $3",
        vec![config.into(), crate::util::now_ms().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// Removes the row of `id`.
pub async fn remove(db: &Db, id: &str) -> Result<(), DbError> {
    db.exec("DELETE FROM server_sessions WHERE id = $1", vec![id.into()])
        .await?;
    Ok(())
}

/// The row and engine session named by a path segment (id or name), or 404.
pub async fn resolve(state: &AppState, key: &str) -> ApiResult<(SessionRow, Arc<Session>)> {
    let Some(row) = find(&state.db, key).await? else {
        return Err(ApiError::not_found(format!("session {key:?} not found")));
    };
    let session = state.manager.get(&row.id).await?;
    Ok((row, session))
}

/// OpenWA's status name of an engine state.
pub fn status_name(state: ConnectionState, paired: bool) -> &'static str {
    match state {
        ConnectionState::Disconnected if !paired => "created",
        ConnectionState::Disconnected | ConnectionState::LoggedOut => "disconnected",
        ConnectionState::Connecting if paired => "authenticating",
        ConnectionState::Connecting => "initializing",
        ConnectionState::WaitingForQr => "qr_ready",
        ConnectionState::Pairing => "authenticating",
        ConnectionState::Connected => "ready",
    }
}

/// OpenWA's status of a session: [`status_name`], or `failed` when it stopped for good on an
/// error.
pub fn status(session: &Session, live: &Live) -> &'static str {
    let state = session.state();
    if live.failed && state == ConnectionState::Disconnected {
        "failed"
    } else {
        status_name(state, session.is_paired())
    }
}

/// The session as OpenWA's `SessionResponseDto` (plus `jid` and `lid`; never config or
/// proxy).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    /// The session's id.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// `created`, `initializing`, `qr_ready`, `authenticating`, `ready`, `disconnected` or
    /// `failed`.
    pub status: &'static str,
    /// The linked account's phone number, once linked.
    pub phone: Option<String>,
    /// The account as `…@c.us`.
    pub jid: Option<String>,
    /// The account's LID as `…@lid`.
    pub lid: Option<String>,
    /// Always null (OpenWA's field).
    pub push_name: Option<String>,
    /// When the current connection was made (ISO 8601), while connected.
    pub connected_at: Option<String>,
    /// Always null (OpenWA's field).
    pub last_active: Option<String>,
    /// ISO 8601.
    pub created_at: String,
    /// ISO 8601.
    pub updated_at: String,
    /// Why the session stopped, kept while it is `failed` or `disconnected`.
    pub last_error: Option<String>,
}

/// The [`SessionBody`] of a session.
pub fn to_json(row: &SessionRow, session: &Session, live: &Live) -> SessionBody {
    let info = session.info();
    let status = status(session, live);
    let last_error = matches!(status, "failed" | "disconnected")
        .then(|| live.last_error.clone())
        .flatten();
    let connected_at = live
        .connected_at
        .filter(|_| info.state == ConnectionState::Connected);
    SessionBody {
        id: row.id.clone(),
        name: row.name.clone(),
        status,
        phone: info.jid.as_deref().and_then(phone_of),
        jid: info.jid.as_deref().map(account_id),
        lid: info.lid.as_deref().map(account_id),
        push_name: None,
        connected_at: connected_at.map(iso),
        last_active: None,
        created_at: iso(row.created_at),
        updated_at: iso(row.updated_at),
        last_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names() {
        assert_eq!(status_name(ConnectionState::Disconnected, false), "created");
        assert_eq!(
            status_name(ConnectionState::WaitingForQr, false),
            "qr_ready"
        );
        assert_eq!(status_name(ConnectionState::Connected, true), "ready");
    }
}
