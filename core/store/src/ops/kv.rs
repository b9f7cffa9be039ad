//! A small per-session key/value table for miscellaneous state.

use crate::backend::args;
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
        self.execute(
            "INSERT INTO session_kv (session_id, name, value, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (session_id, name) DO UPDATE SET value = excluded.value, \
             updated_at = excluded.updated_at",
            args![session_id, name, value, now],
        )
        .await?;
        Ok(())
    }

    /// A per-session value.
    pub async fn get_kv(
        &mut self,
        session_id: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.fetch_optional(
            "SELECT value FROM session_kv WHERE session_id = $1 AND name = $2",
            args![session_id, name],
        )
        .await?
        .map(|row| row.bytes("value"))
        .transpose()
    }

    /// Deletes a per-session value. Returns whether it existed.
    pub async fn delete_kv(&mut self, session_id: &str, name: &str) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM session_kv WHERE session_id = $1 AND name = $2",
                args![session_id, name],
            )
            .await?;
        Ok(n > 0)
    }
}
