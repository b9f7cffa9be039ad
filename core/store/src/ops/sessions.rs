//! The sessions table: which sessions exist, for list/restore at start.

use crate::backend::{Row, args};
use crate::tx::StoreTx;
use crate::{SessionRecord, StoreError, now_millis};

fn decode(row: &Row) -> Result<SessionRecord, StoreError> {
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
        self.execute(
            "INSERT INTO sessions (id, state, created_at, updated_at) VALUES ($1, $2, $3, $3)",
            args![id, state, now],
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("session {id:?} already exists"))
            }
            other => other,
        })?;
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
        let row = self.fetch_optional(&sql, args![id]).await?;
        row.as_ref().map(decode).transpose()
    }

    /// Every session, oldest first.
    pub async fn list_sessions(&mut self) -> Result<Vec<SessionRecord>, StoreError> {
        let sql = format!("{COLUMNS} ORDER BY created_at, id");
        let rows = self.fetch_all(&sql, args![]).await?;
        rows.iter().map(decode).collect()
    }

    /// Sets a session's state label; [`StoreError::NotFound`] if it does not exist.
    pub async fn set_session_state(&mut self, id: &str, state: &str) -> Result<(), StoreError> {
        let now = now_millis();
        let affected = self
            .execute(
                "UPDATE sessions SET state = $1, updated_at = $2 WHERE id = $3",
                args![state, now, id],
            )
            .await?;
        if affected == 0 {
            return Err(StoreError::NotFound(format!("session {id:?}")));
        }
        Ok(())
    }

    /// Deletes a session and, by cascade, all its data except its events. Returns whether it
    /// existed.
    pub async fn delete_session(&mut self, id: &str) -> Result<bool, StoreError> {
        let affected = self
            .execute("DELETE FROM sessions WHERE id = $1", args![id])
            .await?;
        Ok(affected > 0)
    }
}
