//! Group sender-key holders: which devices got our current sender key of a group (see the
//! `group_sender_key_holders` migration). Written in the unit that stores the outgoing group
//! message, cleared when a member leaves so the next send starts a fresh key.

use crate::backend::args;
use crate::tx::StoreTx;
use crate::{StoreError, now_millis};

impl StoreTx {
    /// The devices (JID strings) recorded as holding our current sender key of `group_id`,
    /// sorted.
    pub async fn sender_key_holders(
        &mut self,
        session_id: &str,
        group_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        self.fetch_all(
            "SELECT device FROM group_sender_key_holders \
             WHERE session_id = $1 AND group_id = $2 ORDER BY device",
            args![session_id, group_id],
        )
        .await?
        .iter()
        .map(|row| row.text("device"))
        .collect()
    }

    /// Records that `devices` hold our current sender key of `group_id` (already recorded ones
    /// are kept). An unknown session is a foreign-key failure.
    pub async fn add_sender_key_holders(
        &mut self,
        session_id: &str,
        group_id: &str,
        devices: &[String],
    ) -> Result<(), StoreError> {
        let now = now_millis();
        for device in devices {
            self.execute(
                "INSERT INTO group_sender_key_holders (session_id, group_id, device, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, group_id, device) DO NOTHING",
                args![session_id, group_id, device.as_str(), now],
            )
            .await?;
        }
        Ok(())
    }

    /// Forgets every holder of our sender key of `group_id` (the key must be replaced before
    /// the next send). Returns how many rows went.
    pub async fn clear_sender_key_holders(
        &mut self,
        session_id: &str,
        group_id: &str,
    ) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM group_sender_key_holders WHERE session_id = $1 AND group_id = $2",
            args![session_id, group_id],
        )
        .await
    }
}
