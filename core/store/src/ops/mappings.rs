//! Addressing caches: PN↔LID mappings and per-user device lists.

use crate::backend::args;
use crate::tx::{StoreTx, to_u32};
use crate::{DeviceList, StoreError, now_millis};

impl StoreTx {
    /// Records that phone-number user `pn` and LID user `lid` are the same account (user parts,
    /// without device). Any older mapping of either side is replaced: each maps to one other.
    pub async fn put_lid_mapping(
        &mut self,
        session_id: &str,
        lid: &str,
        pn: &str,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        self.execute(
            "DELETE FROM lid_mappings WHERE session_id = $1 AND (lid = $2 OR pn = $3)",
            args![session_id, lid, pn],
        )
        .await?;
        self.execute(
            "INSERT INTO lid_mappings (session_id, lid, pn, updated_at) VALUES ($1, $2, $3, $4)",
            args![session_id, lid, pn, now],
        )
        .await?;
        Ok(())
    }

    /// The LID user of a phone-number user, if known.
    pub async fn lid_for_pn(
        &mut self,
        session_id: &str,
        pn: &str,
    ) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT lid FROM lid_mappings WHERE session_id = $1 AND pn = $2",
            args![session_id, pn],
        )
        .await?
        .map(|row| row.text("lid"))
        .transpose()
    }

    /// The phone-number user of a LID user, if known.
    pub async fn pn_for_lid(
        &mut self,
        session_id: &str,
        lid: &str,
    ) -> Result<Option<String>, StoreError> {
        self.fetch_optional(
            "SELECT pn FROM lid_mappings WHERE session_id = $1 AND lid = $2",
            args![session_id, lid],
        )
        .await?
        .map(|row| row.text("pn"))
        .transpose()
    }

    /// Caches the device list of a user (insert or replace).
    pub async fn put_device_list(
        &mut self,
        session_id: &str,
        user: &str,
        list: &DeviceList,
    ) -> Result<(), StoreError> {
        let devices = serde_json::to_string(&list.devices)
            .map_err(|e| StoreError::InvalidArgument(e.to_string()))?;
        self.execute(
            "INSERT INTO device_lists (session_id, user_id, devices, list_hash, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, user_id) DO UPDATE SET \
             devices = excluded.devices, list_hash = excluded.list_hash, \
             updated_at = excluded.updated_at",
            args![
                session_id,
                user,
                &devices,
                list.hash.as_deref(),
                list.updated_at
            ],
        )
        .await?;
        Ok(())
    }

    /// The cached device list of a user.
    pub async fn get_device_list(
        &mut self,
        session_id: &str,
        user: &str,
    ) -> Result<Option<DeviceList>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT devices, list_hash, updated_at FROM device_lists \
                 WHERE session_id = $1 AND user_id = $2",
                args![session_id, user],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (devices, hash, updated_at) = (
            row.text("devices")?,
            row.opt_text("list_hash")?,
            row.int("updated_at")?,
        );
        let devices: Vec<i64> = serde_json::from_str(&devices)
            .map_err(|e| StoreError::corrupt("device_lists", e.to_string()))?;
        let devices = devices
            .into_iter()
            .map(|d| to_u32("device_lists", d))
            .collect::<Result<_, _>>()?;
        Ok(Some(DeviceList {
            devices,
            hash,
            updated_at,
        }))
    }

    /// Drops a user's cached device list (a `devices` notification). Returns whether it existed.
    pub async fn delete_device_list(
        &mut self,
        session_id: &str,
        user: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM device_lists WHERE session_id = $1 AND user_id = $2",
                args![session_id, user],
            )
            .await?;
        Ok(n > 0)
    }
}
