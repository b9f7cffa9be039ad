//! The sessions table: which sessions exist, for list/restore at start.

use crate::backend::{RowExt, on_conn};
use crate::tx::StoreTx;
use crate::{SessionRecord, StoreError, now_millis};

fn decode(row: &impl RowExt) -> Result<SessionRecord, StoreError> {
    Ok(SessionRecord {
        id: row.text("id")?,
        state: row.text("state")?,
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

const COLUMNS: &str = "SELECT id, state, created_at, updated_at FROM sessions";

impl StoreTx {
    /// Creates a session; [`StoreError::Conflict`] if the id exists.
    pub async fn create_session(
        &mut self,
        id: &str,
        state: &str,
    ) -> Result<SessionRecord, StoreError> {
        let now = now_millis();
        on_conn!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO sessions (id, state, created_at, updated_at) VALUES ($1, $2, $3, $3)",
            )
            .bind(id)
            .bind(state)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(|e| match StoreError::from(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("session {id:?} already exists"))
                }
                other => other,
            })?;
        });
        Ok(SessionRecord {
            id: id.to_owned(),
            state: state.to_owned(),
            created_at: now,
            updated_at: now,
        })
    }

    /// The session with this id, if any.
    pub async fn get_session(&mut self, id: &str) -> Result<Option<SessionRecord>, StoreError> {
        let sql = format!("{COLUMNS} WHERE id = $1");
        on_conn!(self.conn(), |c| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *c).await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// Every session, oldest first.
    pub async fn list_sessions(&mut self) -> Result<Vec<SessionRecord>, StoreError> {
        let sql = format!("{COLUMNS} ORDER BY created_at, id");
        on_conn!(self.conn(), |c| {
            let rows = sqlx::query(&sql).fetch_all(&mut *c).await?;
            rows.iter().map(decode).collect()
        })
    }

    /// Sets a session's state label; [`StoreError::NotFound`] if it does not exist.
    pub async fn set_session_state(&mut self, id: &str, state: &str) -> Result<(), StoreError> {
        let now = now_millis();
        let affected = on_conn!(self.conn(), |c| {
            sqlx::query("UPDATE sessions SET state = $1, updated_at = $2 WHERE id = $3")
                .bind(state)
                .bind(now)
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        if affected == 0 {
            return Err(StoreError::NotFound(format!("session {id:?}")));
        }
        Ok(())
    }

    /// Deletes a session and, by cascade, all its data except its events. Returns whether it
    /// existed.
    pub async fn delete_session(&mut self, id: &str) -> Result<bool, StoreError> {
        let affected = on_conn!(self.conn(), |c| {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(affected > 0)
    }
}
