//! Prekey maintenance (docs/PROTOCOL.md, Prekeys): after every login the engine asks the server how many
//! one-time prekeys it still holds and uploads the initial batch when it holds none (a new
//! device, or one whose keys the server dropped; Baileys does the same) or a refill when it
//! holds fewer than [`MIN_PREKEY_COUNT`]; otherwise it compares the server's key digest with
//! the local keys and re-uploads on a mismatch. The signed prekey is rotated when it is older
//! than [`SIGNED_PREKEY_ROTATION`]; the previous one stays stored so a `pkmsg` built on it
//! still decrypts. Every key is persisted before it is uploaded.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use openwa_protocol::Node;
use openwa_protocol::signal::{PreKeyRecord, PreKeyStore, SignedPreKeyRecord, SignedPreKeyStore};
use openwa_protocol::stanza::{
    GetKeyDigest, IqSpec, KeyDigest, PreKey, PreKeyCount, RotateSignedPreKey, SignedPreKey,
    UploadPreKeys,
};
use openwa_protocol::stanza::{Notification, NotificationBody};
use sha1::{Digest, Sha1};

use crate::connection::router::{Feature, Handled, HandlerFuture, Route};
use crate::context::SessionContext;
use crate::credentials::SignedPreKeyPair;
use crate::error::{Error, ErrorCode};

/// One-time prekeys uploaded when the server holds none (Baileys' `INITIAL_PREKEY_COUNT`;
/// whatsmeow uploads the same number on first login).
pub(crate) const INITIAL_PREKEY_COUNT: u32 = 812;
/// Below this many one-time prekeys on the server, the engine uploads more (both clients: 5).
pub(crate) const MIN_PREKEY_COUNT: u64 = 5;
/// How many prekeys a refill uploads (whatsmeow's `WantedPreKeyCount`).
pub(crate) const REFILL_PREKEY_COUNT: u32 = 50;
/// How often the key digest is compared after a login: at most once a day per session, so a
/// restart of many sessions does not ask the server for every digest at once.
pub(crate) const DIGEST_CHECK_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// Where the time of the last digest check is kept (per-session key-value table).
const DIGEST_CHECKED_KEY: &str = "prekeys.digest_checked_at";
/// Age after which the signed prekey is replaced.
pub(crate) const SIGNED_PREKEY_ROTATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// Prekey upkeep as a feature: checked after every login, refilled when the server says it is
/// low (`<notification type="encrypt">` with a count).
#[derive(Debug)]
pub(crate) struct PreKeys;

impl Feature for PreKeys {
    fn routes(&self) -> &'static [Route] {
        static ROUTES: &[Route] = &[Route::typed("notification", "encrypt")];
        ROUTES
    }

    fn handle<'a>(
        &'a self,
        ctx: &'a Arc<SessionContext>,
        node: &'a Node,
    ) -> HandlerFuture<'a, Handled> {
        if let Ok(Notification {
            body: NotificationBody::EncryptCount(count),
            ..
        }) = Notification::from_node(node)
        {
            let task = Arc::clone(ctx);
            ctx.spawn(async move {
                if let Err(err) = on_low_count(&task, count).await {
                    tracing::warn!(session = %task.id, %err, "prekey refill failed");
                }
            });
        }
        Box::pin(async { Handled::Done })
    }

    fn on_connected(&self, ctx: &Arc<SessionContext>) {
        let task = Arc::clone(ctx);
        ctx.spawn(async move {
            match maintain(&task).await {
                Ok(done) => tracing::debug!(session = %task.id, ?done, "prekeys checked"),
                Err(err) => tracing::warn!(session = %task.id, %err, "prekey maintenance failed"),
            }
        });
    }
}

/// What [`maintain`] did (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Maintenance {
    /// The server's count before any upload.
    pub server_count: u64,
    /// How many prekeys were uploaded.
    pub uploaded: u32,
    /// Whether the digest did not match the local keys.
    pub digest_mismatch: bool,
    /// Whether the signed prekey was rotated.
    pub rotated: bool,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The post-login routine: count, upload/refill, digest check, signed-prekey rotation.
pub(crate) async fn maintain(shared: &SessionContext) -> Result<Maintenance, Error> {
    let mut done = Maintenance::default();
    let response = shared.iq(PreKeyCount.request()).await?;
    done.server_count = PreKeyCount::parse_response(&response).map_err(protocol_error)?;
    if done.server_count == 0 {
        done.uploaded = upload(shared, INITIAL_PREKEY_COUNT).await?;
        // The server now holds exactly what we sent: the next digest check can wait a day.
        digest_checked(shared, now_secs()).await?;
    } else if done.server_count < MIN_PREKEY_COUNT {
        done.uploaded = upload(shared, REFILL_PREKEY_COUNT).await?;
    } else if digest_due(shared, now_secs()).await? {
        if !digest_matches(shared).await? {
            done.digest_mismatch = true;
            done.uploaded = upload(shared, REFILL_PREKEY_COUNT).await?;
        }
        digest_checked(shared, now_secs()).await?;
    }
    done.rotated = rotate_if_due(shared, now_secs()).await?;
    Ok(done)
}

/// Handles the server's `encrypt` notification: refills when `count` is under the minimum.
pub(crate) async fn on_low_count(shared: &SessionContext, count: u64) -> Result<u32, Error> {
    if count >= MIN_PREKEY_COUNT {
        return Ok(0);
    }
    upload(shared, REFILL_PREKEY_COUNT).await
}

/// Generates `count` fresh one-time prekeys and persists them (not marked uploaded).
pub(crate) async fn fresh_prekeys(
    shared: &SessionContext,
    count: u32,
) -> Result<Vec<PreKeyRecord>, Error> {
    let ids = shared.store().allocate_prekey_ids(count).await?;
    let mut rng = rand::rngs::OsRng;
    let records: Vec<PreKeyRecord> = ids
        .into_iter()
        .map(|id| PreKeyRecord::generate(id, &mut rng))
        .collect();
    let batch = shared.signal_store().begin().await;
    for record in &records {
        batch.store_pre_key(record).await.map_err(store_failure)?;
    }
    batch.commit().await?;
    Ok(records)
}

/// Persists `count` new prekeys, uploads them with the current signed prekey, then marks them
/// uploaded. Returns how many were uploaded.
async fn upload(shared: &SessionContext, count: u32) -> Result<u32, Error> {
    let records = fresh_prekeys(shared, count).await?;
    let (registration_id, identity, signed) = shared.with_credentials(|c| {
        (
            c.registration_id,
            c.identity_key.public,
            wire_signed(&c.signed_prekey),
        )
    });
    let request = UploadPreKeys {
        registration_id,
        identity,
        prekeys: records
            .iter()
            .map(|r| PreKey {
                id: r.id,
                public: r.key_pair.public,
            })
            .collect(),
        signed,
    };
    shared.iq(request.request()).await?;
    let uploaded: Vec<(u32, Vec<u8>)> = records
        .iter()
        .map(|r| (r.id, r.key_pair.public.to_vec()))
        .collect();
    shared
        .store()
        .mark_prekeys_uploaded_with_publics(&uploaded)
        .await?;
    tracing::debug!(session = %shared.id, count = records.len(), "prekeys uploaded");
    Ok(u32::try_from(records.len()).unwrap_or(u32::MAX))
}

fn wire_signed(signed: &SignedPreKeyPair) -> SignedPreKey {
    SignedPreKey {
        id: signed.id,
        public: signed.key.public,
        signature: signed.signature,
    }
}

/// Whether the last digest check is older than [`DIGEST_CHECK_INTERVAL`] (or never happened).
async fn digest_due(shared: &SessionContext, now: u64) -> Result<bool, Error> {
    let last = shared
        .store()
        .get_kv(DIGEST_CHECKED_KEY)
        .await?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.parse::<u64>().ok());
    Ok(last.is_none_or(|at| now.saturating_sub(at) >= DIGEST_CHECK_INTERVAL.as_secs()))
}

async fn digest_checked(shared: &SessionContext, now: u64) -> Result<(), Error> {
    shared
        .store()
        .put_kv(DIGEST_CHECKED_KEY, now.to_string().as_bytes())
        .await?;
    Ok(())
}

/// Asks the server for its key digest and checks it against the local keys.
async fn digest_matches(shared: &SessionContext) -> Result<bool, Error> {
    let digest = match shared.iq(GetKeyDigest.request()).await {
        Ok(response) => GetKeyDigest::parse_response(&response).map_err(protocol_error)?,
        // No digest on the server: the keys must be uploaded again (Baileys does the same).
        Err(err) if err.code == ErrorCode::NotFound => return Ok(false),
        Err(err) => return Err(err),
    };
    local_digest_matches(shared, &digest).await
}

/// Whether `digest` describes our keys: registration id, identity and signed prekey equal,
/// every listed one-time prekey one we uploaded and still hold, and the SHA-1 over identity,
/// signed prekey and the listed prekeys' public keys equal to the server's. The public keys
/// come in clear from the store (no record is decrypted); one uploaded before they were kept is
/// derived from its record once and recorded.
pub(crate) async fn local_digest_matches(
    shared: &SessionContext,
    digest: &KeyDigest,
) -> Result<bool, Error> {
    let (registration_id, identity, signed) = shared.with_credentials(|c| {
        (
            c.registration_id,
            c.identity_key.public,
            wire_signed(&c.signed_prekey),
        )
    });
    if digest.registration_id != registration_id
        || digest.identity != identity
        || digest.signed != signed
    {
        return Ok(false);
    }
    let Some(publics) = listed_publics(shared, &digest.prekey_ids).await? else {
        return Ok(false);
    };
    let mut hash = Sha1::new();
    hash.update(identity);
    hash.update(signed.public);
    hash.update(signed.signature);
    for public in &publics {
        hash.update(public);
    }
    Ok(hash.finalize().as_slice() == digest.hash.as_slice())
}

/// The public keys of the listed prekeys, in the listed order; `None` when one of them is not
/// an uploaded prekey we hold.
async fn listed_publics(
    shared: &SessionContext,
    ids: &[u32],
) -> Result<Option<Vec<Vec<u8>>>, Error> {
    let recorded: HashMap<u32, Option<Vec<u8>>> = shared
        .store()
        .uploaded_prekey_publics()
        .await?
        .into_iter()
        .collect();
    let mut publics = Vec::with_capacity(ids.len());
    let mut derived = Vec::new();
    {
        let batch = shared.signal_store().begin().await;
        for id in ids {
            let Some(known) = recorded.get(id).cloned() else {
                return Ok(None);
            };
            let public = match known {
                Some(public) => public,
                None => match batch.load_pre_key(*id).await.map_err(store_failure)? {
                    Some(record) => {
                        let public = record.key_pair.public.to_vec();
                        derived.push((*id, public.clone()));
                        public
                    }
                    None => return Ok(None),
                },
            };
            publics.push(public);
        }
    }
    if !derived.is_empty() {
        shared
            .store()
            .mark_prekeys_uploaded_with_publics(&derived)
            .await?;
    }
    Ok(Some(publics))
}

/// Rotates the signed prekey when it is older than [`SIGNED_PREKEY_ROTATION`] at `now`
/// (seconds). The first time a signed prekey is seen its creation time is recorded as `now`.
pub(crate) async fn rotate_if_due(shared: &SessionContext, now: u64) -> Result<bool, Error> {
    let current = shared.with_credentials(|c| c.signed_prekey.clone());
    let created = match signed_created_at(shared, current.id).await? {
        Some(created) => created,
        None => {
            record_signed(shared, &as_record(&current, now)).await?;
            now
        }
    };
    if now.saturating_sub(created) < SIGNED_PREKEY_ROTATION.as_secs() {
        return Ok(false);
    }
    rotate(shared, now).await?;
    Ok(true)
}

/// Replaces the signed prekey: the new one is stored next to the previous one (which keeps
/// serving in-flight `pkmsg`), the credentials are persisted, then the server is told.
pub(crate) async fn rotate(shared: &SessionContext, now: u64) -> Result<SignedPreKeyRecord, Error> {
    let (identity, current) =
        shared.with_credentials(|c| (c.identity_key.clone(), c.signed_prekey.clone()));
    let next_id = (current.id % 0xFF_FFFF) + 1;
    let record = SignedPreKeyRecord::generate(next_id, &identity, now, &mut rand::rngs::OsRng);
    {
        let batch = shared.signal_store().begin().await;
        if batch
            .load_signed_pre_key(current.id)
            .await
            .map_err(store_failure)?
            .is_none_or(|r| r.timestamp == 0)
        {
            batch
                .store_signed_pre_key(&as_record(&current, now))
                .await
                .map_err(store_failure)?;
        }
        batch
            .store_signed_pre_key(&record)
            .await
            .map_err(store_failure)?;
        batch.commit().await?;
    }
    let pair = SignedPreKeyPair {
        id: record.id,
        key: record.key_pair.clone(),
        signature: record.signature,
    };
    shared.update_credentials(|c| c.signed_prekey = pair.clone());
    shared.persist_credentials().await;
    shared.signal_store().set_signed_pre_key(record.clone());
    let request = RotateSignedPreKey {
        signed: wire_signed(&pair),
    };
    shared.iq(request.request()).await?;
    Ok(record)
}

fn as_record(signed: &SignedPreKeyPair, timestamp: u64) -> SignedPreKeyRecord {
    SignedPreKeyRecord {
        id: signed.id,
        key_pair: signed.key.clone(),
        signature: signed.signature,
        timestamp,
    }
}

async fn signed_created_at(shared: &SessionContext, id: u32) -> Result<Option<u64>, Error> {
    let Some(bytes) = shared.store().get_signed_prekey(id).await? else {
        return Ok(None);
    };
    let record = SignedPreKeyRecord::deserialize(&bytes)?;
    Ok((record.timestamp != 0).then_some(record.timestamp))
}

async fn record_signed(shared: &SessionContext, record: &SignedPreKeyRecord) -> Result<(), Error> {
    let batch = shared.signal_store().begin().await;
    batch
        .store_signed_pre_key(record)
        .await
        .map_err(store_failure)?;
    batch.commit().await
}

fn protocol_error(err: openwa_protocol::stanza::StanzaError) -> Error {
    Error::new(ErrorCode::ServerError, format!("unexpected answer: {err}"))
}

fn store_failure(err: openwa_protocol::signal::StoreError) -> Error {
    Error::internal(format!("signal store: {err}"))
}
