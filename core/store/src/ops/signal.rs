//! Signal protocol state: identities, one-time and signed prekeys, sessions and sender keys.
//! Records are opaque bytes serialized by the Signal module; the private ones are encrypted.

use crate::backend::args;
use crate::crypto::Slot;
use crate::tx::{StoreTx, limit, to_u32};
use crate::{IdentityRecord, StoreError, StoredPreKey, TrustLevel, now_millis};

/// Largest prekey id: ids are 24-bit on the wire and 0 is never used.
pub const MAX_PREKEY_ID: u32 = 0x00FF_FFFF;

const PREKEYS: &str = "signal_prekeys";
const SIGNED_PREKEYS: &str = "signal_signed_prekeys";
const SESSIONS: &str = "signal_sessions";
const SENDER_KEYS: &str = "signal_sender_keys";

/// AAD key of a sender key: group and sender, length-prefixed so they cannot be re-split.
fn sender_key_slot_key(group_id: &str, sender: &str) -> String {
    format!("{}:{group_id}{sender}", group_id.len())
}

impl StoreTx {
    // ---- identities -------------------------------------------------------------------------

    /// Stores a remote identity key with its trust flag (insert or replace).
    pub async fn put_identity(
        &mut self,
        session_id: &str,
        address: &str,
        identity: &IdentityRecord,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        self.execute(
            "INSERT INTO signal_identities (session_id, address, identity_key, trust, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, address) DO UPDATE SET \
             identity_key = excluded.identity_key, trust = excluded.trust, \
             updated_at = excluded.updated_at",
            args![
                session_id,
                address,
                identity.identity_key.as_slice(),
                identity.trust.code(),
                now
            ],
        )
        .await?;
        Ok(())
    }

    /// The stored identity of a remote address.
    pub async fn get_identity(
        &mut self,
        session_id: &str,
        address: &str,
    ) -> Result<Option<IdentityRecord>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT identity_key, trust FROM signal_identities \
                 WHERE session_id = $1 AND address = $2",
                args![session_id, address],
            )
            .await?;
        let Some(r) = row else { return Ok(None) };
        let code = r.int("trust")?;
        let trust = TrustLevel::from_code(code).ok_or_else(|| {
            StoreError::corrupt("signal_identities", format!("trust code {code}"))
        })?;
        Ok(Some(IdentityRecord {
            identity_key: r.bytes("identity_key")?,
            trust,
        }))
    }

    /// Deletes a remote identity. Returns whether it existed.
    pub async fn delete_identity(
        &mut self,
        session_id: &str,
        address: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM signal_identities WHERE session_id = $1 AND address = $2",
                args![session_id, address],
            )
            .await?;
        Ok(n > 0)
    }

    // ---- one-time prekeys -------------------------------------------------------------------

    /// Reserves `count` fresh prekey ids for the session (1..=0xFFFFFF, wrapping), advancing its
    /// counter. The ids are returned in order.
    pub async fn allocate_prekey_ids(
        &mut self,
        session_id: &str,
        count: u32,
    ) -> Result<Vec<u32>, StoreError> {
        if count == 0 || count > MAX_PREKEY_ID {
            return Err(StoreError::InvalidArgument(format!(
                "prekey id count {count} out of range"
            )));
        }
        // The counter holds how many ids were ever handed out; id = counter % MAX + 1.
        let end = self
            .bump_counter(session_id, "prekey_ids", i64::from(count))
            .await?;
        let start = end - i64::from(count);
        let max = i64::from(MAX_PREKEY_ID);
        (start..end)
            .map(|n| to_u32(PREKEYS, n.rem_euclid(max) + 1))
            .collect()
    }

    /// Stores one-time prekeys (insert or replace), not yet uploaded.
    pub async fn put_prekeys(
        &mut self,
        session_id: &str,
        prekeys: &[(u32, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let now = now_millis();
        for (id, record) in prekeys {
            let key = id.to_string();
            let sealed = self.cipher.seal(
                Slot {
                    table: PREKEYS,
                    session: session_id,
                    key: &key,
                },
                record,
            )?;
            self.execute(
                "INSERT INTO signal_prekeys (session_id, key_id, record, uploaded, created_at) \
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT (session_id, key_id) DO UPDATE SET \
                 record = excluded.record, uploaded = 0, created_at = excluded.created_at",
                args![session_id, i64::from(*id), sealed.as_slice(), now],
            )
            .await?;
        }
        Ok(())
    }

    /// A one-time prekey's record, decrypted.
    pub async fn get_prekey(
        &mut self,
        session_id: &str,
        id: u32,
    ) -> Result<Option<StoredPreKey>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT record, uploaded FROM signal_prekeys WHERE session_id = $1 AND key_id = $2",
                args![session_id, i64::from(id)],
            )
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let (sealed, uploaded) = (row.bytes("record")?, row.int("uploaded")?);
        let key = id.to_string();
        let record = self.cipher.open(
            Slot {
                table: PREKEYS,
                session: session_id,
                key: &key,
            },
            &sealed,
        )?;
        Ok(Some(StoredPreKey {
            id,
            record,
            uploaded: uploaded != 0,
        }))
    }

    /// Removes a one-time prekey (after a peer used it). Returns whether it existed.
    pub async fn remove_prekey(&mut self, session_id: &str, id: u32) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM signal_prekeys WHERE session_id = $1 AND key_id = $2",
                args![session_id, i64::from(id)],
            )
            .await?;
        Ok(n > 0)
    }

    /// Marks prekeys as uploaded to the server.
    pub async fn mark_prekeys_uploaded(
        &mut self,
        session_id: &str,
        ids: &[u32],
    ) -> Result<(), StoreError> {
        for id in ids {
            self.execute(
                "UPDATE signal_prekeys SET uploaded = 1 WHERE session_id = $1 AND key_id = $2",
                args![session_id, i64::from(*id)],
            )
            .await?;
        }
        Ok(())
    }

    /// Marks prekeys uploaded and records their public keys, `(id, public)`, in clear (they are
    /// public), so the server's key digest can be checked without opening the records. Ids not
    /// held are ignored.
    pub async fn mark_prekeys_uploaded_with_publics(
        &mut self,
        session_id: &str,
        prekeys: &[(u32, Vec<u8>)],
    ) -> Result<(), StoreError> {
        for (id, public) in prekeys {
            self.execute(
                "UPDATE signal_prekeys SET uploaded = 1, public_key = $1 \
                 WHERE session_id = $2 AND key_id = $3",
                args![public.as_slice(), session_id, i64::from(*id)],
            )
            .await?;
        }
        Ok(())
    }

    /// Every uploaded prekey still held with its recorded public key (`None` when it was never
    /// recorded), lowest id first: what the server's key digest is checked against.
    pub async fn uploaded_prekey_publics(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<(u32, Option<Vec<u8>>)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT key_id, public_key FROM signal_prekeys \
                 WHERE session_id = $1 AND uploaded = 1 ORDER BY key_id",
                args![session_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    to_u32(PREKEYS, row.int("key_id")?)?,
                    row.opt_bytes("public_key")?,
                ))
            })
            .collect()
    }

    /// Ids of up to `max` prekeys not uploaded yet, lowest id first.
    pub async fn unuploaded_prekey_ids(
        &mut self,
        session_id: &str,
        max: u32,
    ) -> Result<Vec<u32>, StoreError> {
        self.prekey_ids(session_id, false, limit(max)?).await
    }

    /// Ids of every uploaded prekey still held, lowest id first (what the server may list in
    /// its key digest).
    pub async fn uploaded_prekey_ids(&mut self, session_id: &str) -> Result<Vec<u32>, StoreError> {
        self.prekey_ids(session_id, true, i64::MAX).await
    }

    async fn prekey_ids(
        &mut self,
        session_id: &str,
        uploaded: bool,
        max: i64,
    ) -> Result<Vec<u32>, StoreError> {
        let ids: Vec<i64> = self
            .fetch_all(
                "SELECT key_id FROM signal_prekeys WHERE session_id = $1 AND uploaded = $2 \
                 ORDER BY key_id LIMIT $3",
                args![session_id, i64::from(uploaded), max],
            )
            .await?
            .iter()
            .map(|row| row.int("key_id"))
            .collect::<Result<Vec<_>, _>>()?;
        ids.into_iter().map(|id| to_u32(PREKEYS, id)).collect()
    }

    /// How many prekeys the session holds, and how many of them are uploaded.
    pub async fn prekey_counts(&mut self, session_id: &str) -> Result<(u64, u64), StoreError> {
        let r = self
            .fetch_one(
                "SELECT COUNT(*) AS total, COUNT(CASE WHEN uploaded = 1 THEN 1 END) AS up \
                 FROM signal_prekeys WHERE session_id = $1",
                args![session_id],
            )
            .await?;
        let (total, uploaded) = (r.int("total")?, r.int("up")?);
        Ok((
            u64::try_from(total).unwrap_or(0),
            u64::try_from(uploaded).unwrap_or(0),
        ))
    }

    // ---- signed prekeys ---------------------------------------------------------------------

    /// Stores a signed prekey record (insert or replace), encrypted.
    pub async fn put_signed_prekey(
        &mut self,
        session_id: &str,
        id: u32,
        record: &[u8],
    ) -> Result<(), StoreError> {
        let key = id.to_string();
        let sealed = self.cipher.seal(
            Slot {
                table: SIGNED_PREKEYS,
                session: session_id,
                key: &key,
            },
            record,
        )?;
        let now = now_millis();
        self.execute(
            "INSERT INTO signal_signed_prekeys (session_id, key_id, record, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, key_id) DO UPDATE SET \
             record = excluded.record, created_at = excluded.created_at",
            args![session_id, i64::from(id), sealed.as_slice(), now],
        )
        .await?;
        Ok(())
    }

    /// A signed prekey record, decrypted.
    pub async fn get_signed_prekey(
        &mut self,
        session_id: &str,
        id: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .fetch_optional(
                "SELECT record FROM signal_signed_prekeys WHERE session_id = $1 AND key_id = $2",
                args![session_id, i64::from(id)],
            )
            .await?
            .map(|row| row.bytes("record"))
            .transpose()?;
        let key = id.to_string();
        sealed
            .map(|s| {
                self.cipher.open(
                    Slot {
                        table: SIGNED_PREKEYS,
                        session: session_id,
                        key: &key,
                    },
                    &s,
                )
            })
            .transpose()
    }

    /// Every signed prekey of the session, `(id, record)`, by id.
    pub async fn list_signed_prekeys(
        &mut self,
        session_id: &str,
    ) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
        let rows = self
            .fetch_all(
                "SELECT key_id, record FROM signal_signed_prekeys WHERE session_id = $1 \
                 ORDER BY key_id",
                args![session_id],
            )
            .await?;
        rows.iter()
            .map(|row| {
                let (id, sealed) = (row.int("key_id")?, row.bytes("record")?);
                let key = id.to_string();
                let record = self.cipher.open(
                    Slot {
                        table: SIGNED_PREKEYS,
                        session: session_id,
                        key: &key,
                    },
                    &sealed,
                )?;
                Ok((to_u32(SIGNED_PREKEYS, id)?, record))
            })
            .collect()
    }

    /// Removes a signed prekey. Returns whether it existed.
    pub async fn remove_signed_prekey(
        &mut self,
        session_id: &str,
        id: u32,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM signal_signed_prekeys WHERE session_id = $1 AND key_id = $2",
                args![session_id, i64::from(id)],
            )
            .await?;
        Ok(n > 0)
    }

    // ---- sessions ---------------------------------------------------------------------------

    /// Stores the Signal session record of a remote address (insert or replace), encrypted.
    pub async fn put_signal_session(
        &mut self,
        session_id: &str,
        address: &str,
        record: &[u8],
    ) -> Result<(), StoreError> {
        let sealed = self.cipher.seal(
            Slot {
                table: SESSIONS,
                session: session_id,
                key: address,
            },
            record,
        )?;
        let now = now_millis();
        self.execute(
            "INSERT INTO signal_sessions (session_id, address, record, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (session_id, address) DO UPDATE SET \
             record = excluded.record, updated_at = excluded.updated_at",
            args![session_id, address, sealed.as_slice(), now],
        )
        .await?;
        Ok(())
    }

    /// The Signal session record of a remote address, decrypted.
    pub async fn get_signal_session(
        &mut self,
        session_id: &str,
        address: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .fetch_optional(
                "SELECT record FROM signal_sessions WHERE session_id = $1 AND address = $2",
                args![session_id, address],
            )
            .await?
            .map(|row| row.bytes("record"))
            .transpose()?;
        sealed
            .map(|s| {
                self.cipher.open(
                    Slot {
                        table: SESSIONS,
                        session: session_id,
                        key: address,
                    },
                    &s,
                )
            })
            .transpose()
    }

    /// Addresses that have a Signal session, sorted; only those starting with `prefix` (use the
    /// user part plus `.` or `:` to list one user's devices, `""` for all).
    pub async fn list_signal_session_addresses(
        &mut self,
        session_id: &str,
        prefix: &str,
    ) -> Result<Vec<String>, StoreError> {
        let all: Vec<String> = self
            .fetch_all(
                "SELECT address FROM signal_sessions WHERE session_id = $1 ORDER BY address",
                args![session_id],
            )
            .await?
            .iter()
            .map(|row| row.text("address"))
            .collect::<Result<Vec<_>, _>>()?;
        // Filtered here: LIKE escaping and collation differ between the two dialects.
        Ok(all.into_iter().filter(|a| a.starts_with(prefix)).collect())
    }

    /// Deletes the Signal session of a remote address. Returns whether it existed.
    pub async fn delete_signal_session(
        &mut self,
        session_id: &str,
        address: &str,
    ) -> Result<bool, StoreError> {
        let n = self
            .execute(
                "DELETE FROM signal_sessions WHERE session_id = $1 AND address = $2",
                args![session_id, address],
            )
            .await?;
        Ok(n > 0)
    }

    // ---- sender keys ------------------------------------------------------------------------

    /// Stores the sender-key record of `sender` in `group_id` (insert or replace), encrypted.
    pub async fn put_sender_key(
        &mut self,
        session_id: &str,
        group_id: &str,
        sender: &str,
        record: &[u8],
    ) -> Result<(), StoreError> {
        let key = sender_key_slot_key(group_id, sender);
        let sealed = self.cipher.seal(
            Slot {
                table: SENDER_KEYS,
                session: session_id,
                key: &key,
            },
            record,
        )?;
        let now = now_millis();
        self.execute(
            "INSERT INTO signal_sender_keys (session_id, group_id, sender, record, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id, group_id, sender) DO UPDATE \
             SET record = excluded.record, updated_at = excluded.updated_at",
            args![session_id, group_id, sender, sealed.as_slice(), now],
        )
        .await?;
        Ok(())
    }

    /// The sender-key record of `sender` in `group_id`, decrypted.
    pub async fn get_sender_key(
        &mut self,
        session_id: &str,
        group_id: &str,
        sender: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sealed: Option<Vec<u8>> = self
            .fetch_optional(
                "SELECT record FROM signal_sender_keys \
                 WHERE session_id = $1 AND group_id = $2 AND sender = $3",
                args![session_id, group_id, sender],
            )
            .await?
            .map(|row| row.bytes("record"))
            .transpose()?;
        let key = sender_key_slot_key(group_id, sender);
        sealed
            .map(|s| {
                self.cipher.open(
                    Slot {
                        table: SENDER_KEYS,
                        session: session_id,
                        key: &key,
                    },
                    &s,
                )
            })
            .transpose()
    }

    /// Deletes sender keys of a group: one sender's, or every sender's when `sender` is `None`.
    /// Returns how many were deleted.
    pub async fn delete_sender_keys(
        &mut self,
        session_id: &str,
        group_id: &str,
        sender: Option<&str>,
    ) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM signal_sender_keys WHERE session_id = $1 AND group_id = $2 \
             AND ($3 IS NULL OR sender = $3)",
            args![session_id, group_id, sender],
        )
        .await
    }

    // ---- per-session counters ---------------------------------------------------------------

    /// Adds `by` to a per-session counter (created at 0) and returns the new value.
    pub(crate) async fn bump_counter(
        &mut self,
        session_id: &str,
        name: &str,
        by: i64,
    ) -> Result<i64, StoreError> {
        self.fetch_one(
            "INSERT INTO session_counters (session_id, name, value) VALUES ($1, $2, $3) \
             ON CONFLICT (session_id, name) DO UPDATE \
             SET value = session_counters.value + excluded.value RETURNING value",
            args![session_id, name, by],
        )
        .await?
        .int("value")
    }
}
