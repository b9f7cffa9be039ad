//! Device credentials: the keys and account identity of a session's linked device.

use crate::backend::args;
use crate::crypto::Slot;
use crate::tx::{StoreTx, to_array, to_u32};
use crate::{DeviceCredentials, KeyPair, SignedPreKey, StoreError, now_millis};

const TABLE: &str = "device_credentials";

fn slot<'a>(session: &'a str, column: &'a str) -> Slot<'a> {
    Slot {
        table: TABLE,
        session,
        key: column,
    }
}

impl StoreTx {
    /// Stores (inserts or replaces) a session's device credentials. Private keys and the ADV
    /// secret are encrypted.
    pub async fn put_device(
        &mut self,
        session_id: &str,
        device: &DeviceCredentials,
    ) -> Result<(), StoreError> {
        let seal = |column: &str, plain: &[u8]| self.cipher.seal(slot(session_id, column), plain);
        let noise_private = seal("noise_private", &device.noise_key.private)?;
        let identity_private = seal("identity_private", &device.identity_key.private)?;
        let spk_private = seal(
            "signed_prekey_private",
            &device.signed_prekey.key_pair.private,
        )?;
        let adv_secret = seal("adv_secret", &device.adv_secret)?;
        let now = now_millis();
        self.execute(
                "INSERT INTO device_credentials (session_id, registration_id, noise_public, \
                 noise_private, identity_public, identity_private, signed_prekey_id, \
                 signed_prekey_public, signed_prekey_private, signed_prekey_signature, adv_secret, \
                 account, pn_jid, lid_jid, push_name, platform, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 ON CONFLICT (session_id) DO UPDATE SET registration_id = excluded.registration_id, \
                 noise_public = excluded.noise_public, noise_private = excluded.noise_private, \
                 identity_public = excluded.identity_public, \
                 identity_private = excluded.identity_private, \
                 signed_prekey_id = excluded.signed_prekey_id, \
                 signed_prekey_public = excluded.signed_prekey_public, \
                 signed_prekey_private = excluded.signed_prekey_private, \
                 signed_prekey_signature = excluded.signed_prekey_signature, \
                 adv_secret = excluded.adv_secret, account = excluded.account, \
                 pn_jid = excluded.pn_jid, lid_jid = excluded.lid_jid, \
                 push_name = excluded.push_name, platform = excluded.platform, \
                 updated_at = excluded.updated_at",
            args![
                session_id,
                i64::from(device.registration_id),
                device.noise_key.public.as_slice(),
                noise_private.as_slice(),
                device.identity_key.public.as_slice(),
                identity_private.as_slice(),
                i64::from(device.signed_prekey.id),
                device.signed_prekey.key_pair.public.as_slice(),
                spk_private.as_slice(),
                device.signed_prekey.signature.as_slice(),
                adv_secret.as_slice(),
                device.account.as_deref(),
                device.pn_jid.as_deref(),
                device.lid_jid.as_deref(),
                device.push_name.as_deref(),
                device.platform.as_deref(),
                now,
            ],
        )
        .await?;
        Ok(())
    }

    /// A session's device credentials, decrypted; `None` before pairing stored them.
    pub async fn get_device(
        &mut self,
        session_id: &str,
    ) -> Result<Option<DeviceCredentials>, StoreError> {
        let row = self
            .fetch_optional(
                "SELECT * FROM device_credentials WHERE session_id = $1",
                args![session_id],
            )
            .await?;
        let row = match row {
            None => None,
            Some(r) => Some(RawDevice {
                registration_id: r.int("registration_id")?,
                noise_public: r.bytes("noise_public")?,
                noise_private: r.bytes("noise_private")?,
                identity_public: r.bytes("identity_public")?,
                identity_private: r.bytes("identity_private")?,
                signed_prekey_id: r.int("signed_prekey_id")?,
                signed_prekey_public: r.bytes("signed_prekey_public")?,
                signed_prekey_private: r.bytes("signed_prekey_private")?,
                signed_prekey_signature: r.bytes("signed_prekey_signature")?,
                adv_secret: r.bytes("adv_secret")?,
                account: r.opt_bytes("account")?,
                pn_jid: r.opt_text("pn_jid")?,
                lid_jid: r.opt_text("lid_jid")?,
                push_name: r.opt_text("push_name")?,
                platform: r.opt_text("platform")?,
            }),
        };
        let Some(raw) = row else { return Ok(None) };
        let open = |column: &str, stored: &[u8]| {
            self.cipher
                .open_array::<32>(slot(session_id, column), stored)
        };
        Ok(Some(DeviceCredentials {
            registration_id: to_u32(TABLE, raw.registration_id)?,
            noise_key: KeyPair {
                public: to_array(TABLE, &raw.noise_public)?,
                private: open("noise_private", &raw.noise_private)?,
            },
            identity_key: KeyPair {
                public: to_array(TABLE, &raw.identity_public)?,
                private: open("identity_private", &raw.identity_private)?,
            },
            signed_prekey: SignedPreKey {
                id: to_u32(TABLE, raw.signed_prekey_id)?,
                key_pair: KeyPair {
                    public: to_array(TABLE, &raw.signed_prekey_public)?,
                    private: open("signed_prekey_private", &raw.signed_prekey_private)?,
                },
                signature: to_array(TABLE, &raw.signed_prekey_signature)?,
            },
            adv_secret: open("adv_secret", &raw.adv_secret)?,
            account: raw.account,
            pn_jid: raw.pn_jid,
            lid_jid: raw.lid_jid,
            push_name: raw.push_name,
            platform: raw.platform,
        }))
    }

    /// Deletes a session's device credentials (logout). Returns whether they existed.
    pub async fn delete_device(&mut self, session_id: &str) -> Result<bool, StoreError> {
        let affected = self
            .execute(
                "DELETE FROM device_credentials WHERE session_id = $1",
                args![session_id],
            )
            .await?;
        Ok(affected > 0)
    }
}

/// A device_credentials row before decryption.
struct RawDevice {
    registration_id: i64,
    noise_public: Vec<u8>,
    noise_private: Vec<u8>,
    identity_public: Vec<u8>,
    identity_private: Vec<u8>,
    signed_prekey_id: i64,
    signed_prekey_public: Vec<u8>,
    signed_prekey_private: Vec<u8>,
    signed_prekey_signature: Vec<u8>,
    adv_secret: Vec<u8>,
    account: Option<Vec<u8>>,
    pn_jid: Option<String>,
    lid_jid: Option<String>,
    push_name: Option<String>,
    platform: Option<String>,
}
