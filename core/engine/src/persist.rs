//! The bridge to `openwa-store`: opening it from the API configuration, store units that log
//! events, and converting credentials to and from their stored form.

use std::future::Future;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::proto::adv::AdvSignedDeviceIdentity;
use openwa_store::{
    Database, DeviceCredentials, ExclusiveLock, InsertOutcome, KeySource, MessageRecord,
    SessionStore, SessionTx, Store, StoreConfig as StoreOpenConfig, StoreError, StoreKey,
    WriteFuture,
};
use prost::Message as _;

use crate::bus::{EVENT_FORMAT_VERSION, Publisher};
use crate::config::{AtRestKey, StoreBackend, StoreConfig};
use crate::credentials::{Credentials, PairedDevice, SignedPreKeyPair};
use crate::error::{Error, ErrorCode};
use crate::event::{Event, EventKind};

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        let code = match &err {
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::Conflict(_) => ErrorCode::AlreadyExists,
            StoreError::InvalidArgument(_) | StoreError::Config(_) => ErrorCode::InvalidArgument,
            _ => ErrorCode::Store,
        };
        let retryable = err.is_retryable();
        Error::new(code, err.to_string()).with_retryable(retryable)
    }
}

/// Key of a session's options in the store's per-session key-value table.
pub(crate) const OPTIONS_KEY: &str = "session_options";

/// Opens the configured store, holding its [`ExclusiveLock`] (a second manager on the same
/// database is refused: `store` error, "database in use"). The memory backend is a fresh
/// database in process memory, sealed under a random key (nothing is at rest, so no key is
/// configured).
pub(crate) async fn open_store(config: &StoreConfig) -> Result<(Store, ExclusiveLock), Error> {
    let database = match &config.backend {
        StoreBackend::Memory => {
            let key = KeySource::Key(StoreKey::generate());
            let lock = ExclusiveLock::acquire(&Database::Memory).await?;
            let store = Store::open(StoreOpenConfig::new(Database::Memory, key)).await?;
            return Ok((store, lock));
        }
        StoreBackend::Sqlite { path } => Database::Sqlite(path.clone()),
        #[cfg(feature = "postgres")]
        StoreBackend::Postgres { url } => Database::Postgres(url.clone()),
        #[cfg(not(feature = "postgres"))]
        StoreBackend::Postgres { .. } => {
            return Err(Error::new(
                ErrorCode::Unsupported,
                "this build of openwa has no PostgreSQL backend (cargo feature `postgres`)",
            ));
        }
    };
    let key = match &config.at_rest_key {
        Some(AtRestKey::Bytes { key }) => {
            let key: [u8; 32] = key
                .as_slice()
                .try_into()
                .map_err(|_| Error::invalid_argument("the at-rest key must be 32 bytes"))?;
            KeySource::Key(StoreKey::from_bytes(key))
        }
        Some(AtRestKey::File { path }) => KeySource::File(path.clone()),
        None => {
            return Err(Error::invalid_argument(
                "a persistent store needs an at-rest key",
            ));
        }
    };
    let lock = ExclusiveLock::acquire(&database).await?;
    let store = Store::open(StoreOpenConfig::new(database, key)).await?;
    Ok((store, lock))
}

/// An event to append inside a store unit, its payload already serialized.
#[derive(Debug, Clone)]
pub(crate) struct PendingEvent {
    kind: EventKind,
    payload: String,
    timestamp_ms: u64,
}

impl PendingEvent {
    /// An event stamped now.
    pub(crate) fn new(kind: EventKind) -> Result<Self, Error> {
        Ok(PendingEvent {
            payload: serde_json::to_string(&kind)?,
            kind,
            timestamp_ms: crate::bus::now_ms(),
        })
    }

    /// Appends it to the log in `tx`, as an event of `tx`'s session; the answer is the event
    /// to publish once `tx` commits.
    pub(crate) async fn append(self, tx: &mut SessionTx<'_>) -> Result<Event, StoreError> {
        let seq = tx
            .append_versioned_event_json(self.kind.name(), EVENT_FORMAT_VERSION, &self.payload)
            .await?;
        Ok(Event {
            session_id: tx.id().to_owned(),
            seq,
            timestamp_ms: self.timestamp_ms,
            kind: self.kind,
        })
    }
}

/// Queues `work` as one unit of the store's group commit ([`SessionStore::write`]) now, and answers a
/// future of its result once durable. `work` answers its result and the events it logged (an
/// `Option<Event>` or a `Vec<Event>`). The event `work` logged, if any, is published through `publisher` right
/// after the commit, in seq order with every other logged event; pass the bus's publisher
/// whenever `work` may log one. `work` may run twice (see [`Store::write`]).
pub(crate) fn write_unit<T, E, F>(
    store: &SessionStore,
    publisher: Option<&Publisher>,
    work: F,
) -> impl Future<Output = Result<T, Error>> + Send + 'static + use<T, E, F>
where
    T: Send + 'static,
    E: Send + 'static,
    for<'e> &'e E: IntoIterator<Item = &'e Event>,
    F: for<'a> Fn(SessionTx<'a>) -> WriteFuture<'a, (T, E)> + Send + 'static,
{
    let publisher = publisher.cloned();
    let unit = store.write(work, move |(_, events): &(T, E)| {
        if let Some(publisher) = &publisher {
            for event in events {
                publisher.publish(event);
            }
        }
    });
    async move {
        let (out, _) = unit.await?;
        Ok(out)
    }
}

/// "Persist, then ack" for an incoming message, as the body of a store unit: inserts `message`
/// and, when it is new, notes it on its chat (one more unread unless we sent it) and appends
/// `event`. Answers whether it was new, and the event to publish.
pub(crate) async fn store_incoming(
    tx: &mut SessionTx<'_>,
    message: &MessageRecord,
    event: PendingEvent,
) -> Result<(bool, Option<Event>), StoreError> {
    match store_message(tx, message).await? {
        InsertOutcome::Inserted => Ok((true, Some(event.append(tx).await?))),
        InsertOutcome::Duplicate => Ok((false, None)),
    }
}

/// Inserts `message` and, when it is new, notes it on its chat: the chat's newest message, and
/// one more unread when someone else sent it.
pub(crate) async fn store_message(
    tx: &mut SessionTx<'_>,
    message: &MessageRecord,
) -> Result<InsertOutcome, StoreError> {
    let outcome = tx.insert_message(message).await?;
    if outcome == InsertOutcome::Inserted && message.msg_type != "protocol" {
        tx.note_chat_message(
            &message.chat,
            &message.id,
            message.timestamp,
            !message.from_me,
        )
        .await?;
    }
    Ok(outcome)
}

fn stored_pair(key: &KeyPair) -> openwa_store::KeyPair {
    openwa_store::KeyPair {
        public: key.public,
        private: key.private,
    }
}

/// Credentials in the store's form.
pub(crate) fn to_device(creds: &Credentials, push_name: Option<&str>) -> DeviceCredentials {
    let paired = creds.paired.as_ref();
    DeviceCredentials {
        registration_id: creds.registration_id,
        noise_key: stored_pair(&creds.noise_key),
        identity_key: stored_pair(&creds.identity_key),
        signed_prekey: openwa_store::SignedPreKey {
            id: creds.signed_prekey.id,
            key_pair: stored_pair(&creds.signed_prekey.key),
            signature: creds.signed_prekey.signature,
        },
        adv_secret: creds.adv_secret,
        account: paired.map(|p| p.account.clone()),
        pn_jid: paired.map(|p| p.jid.to_string()),
        lid_jid: paired.and_then(|p| p.lid.as_ref().map(ToString::to_string)),
        push_name: push_name.map(str::to_owned),
        platform: paired.and_then(|p| p.platform.clone()),
    }
}

/// Credentials from the store's form. Key pairs are rebuilt from their private halves, so a
/// corrupted public key cannot survive a round trip.
pub(crate) fn from_device(device: DeviceCredentials) -> Result<Credentials, Error> {
    let corrupt = |what: &str| Error::new(ErrorCode::Store, format!("stored device: bad {what}"));
    let paired = match (device.pn_jid, device.account) {
        (Some(jid), Some(account)) => {
            let jid = jid.parse().map_err(|_| corrupt("jid"))?;
            let lid = device
                .lid_jid
                .map(|l| l.parse())
                .transpose()
                .map_err(|_| corrupt("lid"))?;
            let signed = AdvSignedDeviceIdentity::decode(account.as_slice())
                .map_err(|_| corrupt("account"))?;
            let account_signature_key = signed
                .account_signature_key
                .as_deref()
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .unwrap_or([0; 32]);
            Some(PairedDevice {
                jid,
                lid,
                account,
                account_signature_key,
                platform: device.platform,
                business_name: None,
            })
        }
        _ => None,
    };
    Ok(Credentials {
        noise_key: KeyPair::from_private(device.noise_key.private),
        identity_key: KeyPair::from_private(device.identity_key.private),
        signed_prekey: SignedPreKeyPair {
            id: device.signed_prekey.id,
            key: KeyPair::from_private(device.signed_prekey.key_pair.private),
            signature: device.signed_prekey.signature,
        },
        registration_id: device.registration_id,
        adv_secret: device.adv_secret,
        paired,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_round_trip_through_the_stored_form() {
        let mut creds = Credentials::generate(&mut rand::rngs::OsRng);
        assert_eq!(from_device(to_device(&creds, None)).unwrap(), creds);
        let account = AdvSignedDeviceIdentity {
            account_signature_key: Some(vec![4; 32]),
            ..Default::default()
        };
        creds.paired = Some(PairedDevice {
            jid: "15551234567:7@s.whatsapp.net".parse().unwrap(),
            lid: Some("987654321:7@lid".parse().unwrap()),
            account: account.encode_to_vec(),
            account_signature_key: [4; 32],
            platform: Some("android".into()),
            business_name: None,
        });
        let stored = to_device(&creds, Some("Alice"));
        assert_eq!(
            stored.pn_jid.as_deref(),
            Some("15551234567:7@s.whatsapp.net")
        );
        assert_eq!(stored.push_name.as_deref(), Some("Alice"));
        assert_eq!(from_device(stored).unwrap(), creds);
    }

    #[test]
    fn store_errors_map_to_codes() {
        let err: Error = StoreError::WrongKey.into();
        assert_eq!(err.code, ErrorCode::Store);
        assert!(!err.retryable);
        let err: Error = StoreError::NotFound("x".into()).into();
        assert_eq!(err.code, ErrorCode::NotFound);
    }
}
