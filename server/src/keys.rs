//! API keys: `owa_k1_<64 hex>`, stored as their SHA-256 only, with OpenWA's roles.

use std::path::Path;

use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::db::{Db, DbError, Row2};
use crate::scope::Scope;
use crate::util::{iso, iso_opt, new_id, now_ms, random_hex};

/// A key's permission level (`viewer < operator < admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Reads.
    Viewer,
    /// Reads and acts (send, start, QR…).
    Operator,
    /// Everything, including key management.
    Admin,
}

impl Role {
    /// OpenWA's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Admin => "admin",
        }
    }

    /// The role named `name`.
    pub fn parse(name: &str) -> Option<Role> {
        match name {
            "viewer" => Some(Role::Viewer),
            "operator" => Some(Role::Operator),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The SHA-256 of a key, as hex (what the table holds).
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

const COLUMNS: &str = "id, name, key_prefix, role, is_active, created_at, last_used_at, \
                       usage_count, allowed_sessions, allowed_ips, expires_at";

fn list(value: &crate::db::Value) -> Vec<String> {
    serde_json::from_str(&value.text()).unwrap_or_default()
}

/// A stored key as OpenWA shows it (never the key itself).
fn to_json(row: &Row2) -> Json {
    json!({
        "id": row[0].text(),
        "name": row[1].text(),
        "keyPrefix": row[2].text(),
        "role": row[3].text(),
        "allowedIps": list(&row[9]),
        "allowedSessions": list(&row[8]),
        "allowedChats": [],
        "isActive": row[4].int() != 0,
        "expiresAt": iso_opt(match row[10] { crate::db::Value::Int(i) => Some(i), _ => None }),
        "createdAt": iso(row[5].int()),
        "lastUsedAt": iso_opt(match row[6] { crate::db::Value::Int(i) => Some(i), _ => None }),
        "usageCount": row[7].int(),
    })
}

/// Creates a key; answers its JSON (with `apiKey`, the only time it is shown).
pub async fn create(
    db: &Db,
    name: &str,
    role: Role,
    scope: &Scope,
    expires_at: Option<i64>,
) -> Result<(Json, String), DbError> {
    let key = format!("owa_k1_{}", random_hex(32));
    let id = new_id();
    db.exec(
        "INSERT INTO server_api_keys (id, name, key_hash, key_prefix, role, is_active, \
         created_at, last_used_at, usage_count, allowed_sessions, allowed_ips, expires_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, NULL, 0, $7, $8, CAST($9 AS BIGINT))",
        vec![
            id.clone().into(),
            name.into(),
            hash(&key).into(),
            key[..8].into(),
            role.as_str().into(),
            now_ms().into(),
            json!(scope.sessions).to_string().into(),
            json!(scope.ips).to_string().into(),
            expires_at.map_or(crate::db::Value::Null, Into::into),
        ],
    )
    .await?;
    let mut shown = get(db, &id).await?.unwrap_or(Json::Null);
    shown["apiKey"] = key.clone().into();
    Ok((shown, key))
}

/// One key by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Json>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM server_api_keys WHERE id = $1");
    Ok(db
        .query_one(&sql, vec![id.into()])
        .await?
        .map(|r| to_json(&r)))
}

/// Every key, oldest first.
pub async fn list_all(db: &Db) -> Result<Vec<Json>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM server_api_keys ORDER BY created_at, id");
    Ok(db.query(&sql, vec![]).await?.iter().map(to_json).collect())
}

/// Whether `id` is the last active admin key.
pub async fn is_last_admin(db: &Db, id: &str) -> Result<bool, DbError> {
    let rows = db
        .query(
            "SELECT id FROM server_api_keys WHERE role = 'admin' AND is_active = 1",
            vec![],
        )
        .await?;
    Ok(rows.len() == 1 && rows[0][0].text() == id)
}

/// Deletes a key; answers whether it existed.
pub async fn delete(db: &Db, id: &str) -> Result<bool, DbError> {
    let n = db
        .exec("DELETE FROM server_api_keys WHERE id = $1", vec![id.into()])
        .await?;
    Ok(n > 0)
}

/// Deactivates a key; answers whether it existed.
pub async fn revoke(db: &Db, id: &str) -> Result<bool, DbError> {
    let n = db
        .exec(
            "UPDATE server_api_keys SET is_active = 0 WHERE id = $1",
            vec![id.into()],
        )
        .await?;
    Ok(n > 0)
}

/// An active key presented in plaintext: its id, role and scope.
pub async fn authenticate(db: &Db, key: &str) -> Result<Option<(String, Role, Scope)>, DbError> {
    let row = db
        .query_one(
            "SELECT id, role, allowed_sessions, allowed_ips FROM server_api_keys \
             WHERE key_hash = $1 AND is_active = 1 AND (expires_at IS NULL OR expires_at > $2)",
            vec![hash(key).into(), now_ms().into()],
        )
        .await?;
    Ok(row.and_then(|r| {
        let role = Role::parse(&r[1].text())?;
        let scope = Scope {
            sessions: list(&r[2]),
            ips: list(&r[3]),
        };
        Some((r[0].text(), role, scope))
    }))
}

/// Counts a use of key `id` (its `lastUsedAt` and `usageCount`).
pub async fn touch(db: &Db, id: &str) -> Result<(), DbError> {
    db.exec(
        "UPDATE server_api_keys SET usage_count = usage_count + 1, last_used_at = $1 \
         WHERE id = $2",
        vec![now_ms().into(), id.into()],
    )
    .await?;
    Ok(())
}

/// With no key stored yet, creates the first admin key and writes it to `data_dir/.api-key`;
/// answers it (to be printed once).
pub async fn bootstrap(db: &Db, data_dir: &Path) -> Result<Option<String>, DbError> {
    let any = db
        .query_one("SELECT id FROM server_api_keys LIMIT 1", vec![])
        .await?;
    if any.is_some() {
        return Ok(None);
    }
    let (_, key) = create(db, "Bootstrap admin", Role::Admin, &Scope::default(), None).await?;
    let path = data_dir.join(".api-key");
    std::fs::write(&path, format!("{key}\n")).map_err(|e| DbError(e.to_string()))?;
    restrict(&path);
    Ok(Some(key))
}

#[cfg(unix)]
fn restrict(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!("cannot restrict {}: {e}", path.display());
    }
}

#[cfg(not(unix))]
fn restrict(_: &Path) {}
