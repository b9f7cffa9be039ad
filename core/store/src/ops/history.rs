//! History-sync notifications acknowledged but not ingested yet (see the `history_pending`
//! table): stored in the commit of the message that carried them, deleted in the commit that
//! stores their content.

use crate::backend::args;
use crate::crypto::Slot;
use crate::tx::StoreTx;
use crate::{PendingHistory, StoreError};

const TABLE: &str = "history_pending";

impl StoreTx {
    /// Stores a pending notification (sealed). One already stored under the id is kept.
    pub async fn put_pending_history(
        &mut self,
        session_id: &str,
        pending: &PendingHistory,
    ) -> Result<(), StoreError> {
        let sealed = self.cipher.seal(
            Slot {
                table: TABLE,
                session: session_id,
                key: &pending.id,
            },
            &pending.notification,
        )?;
        self.execute(
            "INSERT INTO history_pending (session_id, id, sync_type, chunk_order, notification, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, id) DO NOTHING",
            args![
                session_id,
                &pending.id,
                pending.sync_type,
                pending.chunk_order,
                sealed.as_slice(),
                pending.created_at
            ],
        )
        .await?;
        Ok(())
    }

    /// Every pending notification of the session, oldest first.
    pub async fn pending_history(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<PendingHistory>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT id, sync_type, chunk_order, notification, created_at FROM history_pending \
                 WHERE session_id = $1 ORDER BY created_at, id",
                args![session_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let id = row.text("id")?;
                let notification = self.cipher.open(
                    Slot {
                        table: TABLE,
                        session: session_id,
                        key: &id,
                    },
                    &row.bytes("notification")?,
                )?;
                Ok(PendingHistory {
                    sync_type: row.int("sync_type")?,
                    chunk_order: row.int("chunk_order")?,
                    created_at: row.int("created_at")?,
                    notification,
                    id,
                })
            })
            .collect()
    }

    /// Forgets a pending notification (its content is stored). Returns whether it was pending.
    pub async fn delete_pending_history(
        &mut self,
        session_id: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM history_pending WHERE session_id = $1 AND id = $2",
                args![session_id, id],
            )
            .await?;
        Ok(n > 0)
    }
}
