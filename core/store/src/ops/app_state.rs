//! App-state sync bookkeeping: the sync keys our phone shared (sealed), each collection's
//! version and LT-hash, and the value MAC of every live index (see the `app_state_*` tables).

use crate::backend::args;
use crate::crypto::Slot;
use crate::tx::StoreTx;
use crate::{AppStateKeyRecord, AppStateVersion, StoreError, now_millis};

const KEYS: &str = "app_state_keys";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl StoreTx {
    /// Stores a sync key (its data sealed); one stored under the id is replaced.
    pub async fn put_app_state_key(
        &mut self,
        session_id: &str,
        key: &AppStateKeyRecord,
    ) -> Result<(), StoreError> {
        let id = hex(&key.key_id);
        let sealed = self.cipher.seal(
            Slot {
                table: KEYS,
                session: session_id,
                key: &id,
            },
            &key.key_data,
        )?;
        self.execute(
            "INSERT INTO app_state_keys (session_id, key_id, key_data, timestamp, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, key_id) DO UPDATE SET \
             key_data = excluded.key_data, timestamp = excluded.timestamp",
            args![
                session_id,
                &id,
                sealed.as_slice(),
                key.timestamp,
                now_millis()
            ],
        )
        .await?;
        Ok(())
    }

    /// One sync key by id.
    pub async fn get_app_state_key(
        &mut self,
        session_id: &str,
        key_id: &[u8],
    ) -> Result<Option<AppStateKeyRecord>, StoreError> {
        let id = hex(key_id);
        let row = self
            .fetch_optional(
                "SELECT key_data, timestamp FROM app_state_keys \
                 WHERE session_id = $1 AND key_id = $2",
                args![session_id, &id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let key_data = self.cipher.open(
            Slot {
                table: KEYS,
                session: session_id,
                key: &id,
            },
            &row.bytes("key_data")?,
        )?;
        Ok(Some(AppStateKeyRecord {
            key_id: key_id.to_vec(),
            key_data,
            timestamp: row.int("timestamp")?,
        }))
    }

    /// The newest sync key (the one to write with), if any.
    pub async fn latest_app_state_key(
        &mut self,
        session_id: &str,
    ) -> Result<Option<AppStateKeyRecord>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT key_id FROM app_state_keys WHERE session_id = $1 \
                 ORDER BY timestamp DESC, created_at DESC LIMIT 1",
                args![session_id],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let text = row.text("key_id")?;
        let id = unhex(&text).ok_or_else(|| StoreError::corrupt(KEYS, "key id is not hex"))?;
        self.get_app_state_key(session_id, &id).await
    }

    /// Where a collection is (`None`: never synced).
    pub async fn get_app_state_version(
        &mut self,
        session_id: &str,
        collection: &str,
    ) -> Result<Option<AppStateVersion>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT version, hash FROM app_state_versions \
                 WHERE session_id = $1 AND collection = $2",
                args![session_id, collection],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(AppStateVersion {
            version: u64::try_from(row.int("version")?)
                .map_err(|_| StoreError::corrupt("app_state_versions", "negative version"))?,
            hash: row.bytes("hash")?,
        }))
    }

    /// Records where a collection is.
    pub async fn put_app_state_version(
        &mut self,
        session_id: &str,
        collection: &str,
        version: &AppStateVersion,
    ) -> Result<(), StoreError> {
        let number = i64::try_from(version.version)
            .map_err(|_| StoreError::corrupt("app_state_versions", "version too large"))?;
        self.execute(
            "INSERT INTO app_state_versions (session_id, collection, version, hash, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, collection) DO UPDATE SET \
             version = excluded.version, hash = excluded.hash, updated_at = excluded.updated_at",
            args![
                session_id,
                collection,
                number,
                version.hash.as_slice(),
                now_millis()
            ],
        )
        .await?;
        Ok(())
    }

    /// The value MAC a live index of a collection has.
    pub async fn get_app_state_mac(
        &mut self,
        session_id: &str,
        collection: &str,
        index_mac: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT value_mac FROM app_state_macs \
                 WHERE session_id = $1 AND collection = $2 AND index_mac = $3",
                args![session_id, collection, &hex(index_mac)],
            )
            .await?;
        row.map(|r| r.bytes("value_mac")).transpose()
    }

    /// Every live index of a collection with its value MAC.
    pub async fn app_state_macs(
        &mut self,
        session_id: &str,
        collection: &str,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT index_mac, value_mac FROM app_state_macs \
                 WHERE session_id = $1 AND collection = $2",
                args![session_id, collection],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let index = unhex(&r.text("index_mac")?)
                    .ok_or_else(|| StoreError::corrupt("app_state_macs", "index MAC is not hex"))?;
                Ok((index, r.bytes("value_mac")?))
            })
            .collect()
    }

    /// Sets (`Some`) or removes (`None`) the value MAC of an index.
    pub async fn put_app_state_mac(
        &mut self,
        session_id: &str,
        collection: &str,
        index_mac: &[u8],
        value_mac: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let index = hex(index_mac);
        match value_mac {
            Some(mac) => {
                self.execute(
                    "INSERT INTO app_state_macs (session_id, collection, index_mac, value_mac) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, collection, index_mac) \
                     DO UPDATE SET value_mac = excluded.value_mac",
                    args![session_id, collection, &index, mac],
                )
                .await?;
            }
            None => {
                self.execute(
                    "DELETE FROM app_state_macs \
                     WHERE session_id = $1 AND collection = $2 AND index_mac = $3",
                    args![session_id, collection, &index],
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Forgets a collection's version and MACs (before a full resync from version 0).
    pub async fn reset_app_state(
        &mut self,
        session_id: &str,
        collection: &str,
    ) -> Result<(), StoreError> {
        self.execute(
            "DELETE FROM app_state_macs WHERE session_id = $1 AND collection = $2",
            args![session_id, collection],
        )
        .await?;
        self.execute(
            "DELETE FROM app_state_versions WHERE session_id = $1 AND collection = $2",
            args![session_id, collection],
        )
        .await?;
        Ok(())
    }
}
