//! A small per-session key/value table for miscellaneous state.

use crate::backend::on_conn;
use crate::tx::StoreTx;
use crate::{StoreError, now_millis};

impl StoreTx {
    /// Sets a per-session value (insert or replace). Not encrypted: keep secrets elsewhere.
    pub async fn put_kv(
        &mut self,
        session_id: &str,
        name: &str,
        value: &[u8],
    ) -> Result<(), StoreError> {
        let now = now_millis();
        on_conn!(self.conn(), |c| {
            sqlx::query(
                "INSERT INTO session_kv (session_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (session_id, name) DO UPDATE SET value = excluded.value, \
                 updated_at = excluded.updated_at",
            )
            .bind(session_id)
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&mut *c)
            .await?;
        });
        Ok(())
    }

    /// A per-session value.
    pub async fn get_kv(
        &mut self,
        session_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(on_conn!(self.conn(), |c| {
            sqlx::query_scalar("SELECT value FROM session_kv WHERE session_id = $1 AND name = $2")
                .bind(session_id)
                .bind(name)
                .fetch_optional(&mut *c)
                .await?
        }))
    }

    /// Deletes a per-session value. Returns whether it existed.
    pub async fn delete_kv(&mut self, session_id: &str, name: &str) -> Result<bool, StoreError> {
        let n = on_conn!(self.conn(), |c| {
            sqlx::query("DELETE FROM session_kv WHERE session_id = $1 AND name = $2")
                .bind(session_id)
                .bind(name)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }
}
