//! The simulated network's state and the operations on it. Everything here is synchronous and
//! lives behind one mutex in [`crate::Sim`]; it is persisted as JSON by [`persist`].

pub mod model;
pub mod persist;
pub mod stored_node;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use openwa_protocol::Jid;
use openwa_protocol::crypto::KeyPair;
use openwa_protocol::crypto::keys::with_type;
use rand_core::CryptoRngCore;
use serde::{Deserialize, Serialize};

pub use model::{
    Account, Description, Device, Group, JoinRequest, Newsletter, NewsletterPost, Participant,
    PendingStanza, PhoneKeys, PreKey, Role, SignedPreKey, StoredKeyPair, device_key,
};

/// How many one-time prekeys the simulated phone keeps published.
pub const PHONE_PREKEYS: u32 = 30;
/// First LID handed out; the n-th account gets `FIRST_LID + n`.
pub const FIRST_LID: u64 = 100_000_000_000_000;
/// Version of the persisted format.
pub const STATE_VERSION: u32 = 1;

/// Why a state operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The phone number is not 5–20 digits.
    #[error("invalid phone number {0:?}: expected 5 to 20 digits")]
    InvalidPhone(String),
    /// The account already exists.
    #[error("account {0} already exists")]
    AccountExists(String),
    /// No such account.
    #[error("no account {0}")]
    NoSuchAccount(String),
    /// No such device.
    #[error("account {phone} has no device {device}")]
    NoSuchDevice {
        /// Phone number.
        phone: String,
        /// Device id.
        device: u16,
    },
    /// Device 0 is the simulated phone itself.
    #[error("device 0 is the phone and cannot be removed")]
    CannotRemovePhone,
    /// No such group.
    #[error("no group {0}")]
    NoSuchGroup(String),
    /// The account has no free device id left.
    #[error("account {0} has too many devices")]
    TooManyDevices(String),
}

/// The simulator's own long-term keys: the Noise certificate chain and the Noise static key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerKeys {
    /// Root of trust; clients are given its public key.
    pub root: StoredKeyPair,
    /// Intermediate certificate key (signed by the root).
    pub intermediate: StoredKeyPair,
    /// Noise static key (the leaf certificate's key).
    pub noise_static: StoredKeyPair,
}

impl ServerKeys {
    /// Fresh random keys.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        ServerKeys {
            root: StoredKeyPair::from(&KeyPair::generate(rng)),
            intermediate: StoredKeyPair::from(&KeyPair::generate(rng)),
            noise_static: StoredKeyPair::from(&KeyPair::generate(rng)),
        }
    }
}

/// The whole simulated network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Format version.
    pub version: u32,
    /// The simulator's keys.
    pub server_keys: ServerKeys,
    /// Accounts by phone number.
    pub accounts: BTreeMap<String, Account>,
    /// Groups by id (user part of the group JID).
    pub groups: BTreeMap<String, Group>,
    /// Unacknowledged stanzas per device (`PHONE:DEVICE`), oldest first.
    pub pending: BTreeMap<String, VecDeque<PendingStanza>>,
    /// Accounts created so far (drives LID allocation).
    pub accounts_created: u64,
    /// Groups created so far (drives group ids).
    pub groups_created: u64,
    /// Counter for server-generated stanza ids.
    pub stanza_counter: u64,
    /// Newsletters by id (user part of the newsletter JID).
    #[serde(default)]
    pub newsletters: BTreeMap<String, Newsletter>,
    /// Newsletters created so far (drives newsletter ids).
    #[serde(default)]
    pub newsletters_created: u64,
    /// Who keeps each account's device list (phone → phones that asked for its devices or
    /// exchanged messages with it): the accounts told when it links or unlinks a device.
    #[serde(default)]
    pub watchers: BTreeMap<String, BTreeSet<String>>,
    /// Phone of each LID user (derived from `accounts`, rebuilt on load).
    #[serde(skip)]
    lid_index: HashMap<String, String>,
}

fn valid_phone(phone: &str) -> bool {
    (5..=20).contains(&phone.len()) && phone.bytes().all(|b| b.is_ascii_digit())
}

/// A signed prekey pair and its public record.
fn signed_prekey(
    identity: &KeyPair,
    id: u32,
    rng: &mut impl CryptoRngCore,
) -> (KeyPair, SignedPreKey) {
    let pair = KeyPair::generate(rng);
    let signature = identity.sign(&with_type(&pair.public), rng);
    let record = SignedPreKey {
        id,
        public: pair.public,
        signature,
    };
    (pair, record)
}

impl State {
    /// An empty network with fresh server keys.
    pub fn new(rng: &mut impl CryptoRngCore) -> Self {
        State {
            version: STATE_VERSION,
            server_keys: ServerKeys::generate(rng),
            accounts: BTreeMap::new(),
            groups: BTreeMap::new(),
            pending: BTreeMap::new(),
            accounts_created: 0,
            groups_created: 0,
            stanza_counter: 0,
            newsletters: BTreeMap::new(),
            newsletters_created: 0,
            watchers: BTreeMap::new(),
            lid_index: HashMap::new(),
        }
    }

    /// A fresh server stanza id.
    pub fn next_stanza_id(&mut self) -> String {
        self.stanza_counter += 1;
        format!("sim-{}", self.stanza_counter)
    }

    /// Creates an account with its simulated phone (device 0) and a LID.
    pub fn create_account(
        &mut self,
        phone: &str,
        name: &str,
        now: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<&Account, StateError> {
        if !valid_phone(phone) {
            return Err(StateError::InvalidPhone(phone.to_owned()));
        }
        if self.accounts.contains_key(phone) {
            return Err(StateError::AccountExists(phone.to_owned()));
        }
        self.accounts_created += 1;
        let lid = (FIRST_LID + self.accounts_created).to_string();
        let identity = KeyPair::generate(rng);
        let (spk_pair, spk) = signed_prekey(&identity, 1, rng);
        let mut phone_keys = PhoneKeys {
            identity: StoredKeyPair::from(&identity),
            signed_prekey: StoredKeyPair::from(&spk_pair),
            prekeys: BTreeMap::new(),
            next_prekey_id: 1,
        };
        let prekeys = (0..PHONE_PREKEYS)
            .map(|_| new_phone_prekey(&mut phone_keys, rng))
            .collect();
        let registration_id = (rng.next_u32() & 0x3fff).max(1);
        let phone_device = Device {
            id: 0,
            key_index: 0,
            noise_key: None,
            identity: identity.public,
            registration_id,
            signed_prekey: spk,
            prekeys,
            platform: "android".to_owned(),
            linked_at: now,
        };
        let account = Account {
            phone: phone.to_owned(),
            name: name.to_owned(),
            lid,
            phone_keys,
            devices: BTreeMap::from([(0, phone_device)]),
            next_device_id: 1,
            next_key_index: 1,
            timeline: Default::default(),
            signal: crate::phone::records::PhoneSignal::default(),
            history: Vec::new(),
            app_state: Default::default(),
        };
        self.lid_index
            .insert(account.lid.clone(), account.phone.clone());
        Ok(self.accounts.entry(phone.to_owned()).or_insert(account))
    }

    /// Rebuilds the derived indexes (after loading a saved state).
    pub fn reindex(&mut self) {
        self.lid_index = self
            .accounts
            .values()
            .map(|a| (a.lid.clone(), a.phone.clone()))
            .collect();
    }

    /// Records that `watcher` keeps `watched`'s device list (it asked for it, or they talk).
    pub fn add_watcher(&mut self, watched: &str, watcher: &str) {
        if watched == watcher || !self.accounts.contains_key(watched) {
            return;
        }
        let watchers = self.watchers.entry(watched.to_owned()).or_default();
        if !watchers.contains(watcher) {
            watchers.insert(watcher.to_owned());
        }
    }

    /// The account with this phone number.
    pub fn account(&self, phone: &str) -> Result<&Account, StateError> {
        self.accounts
            .get(phone)
            .ok_or_else(|| StateError::NoSuchAccount(phone.to_owned()))
    }

    /// The account with this phone number, mutable.
    pub fn account_mut(&mut self, phone: &str) -> Result<&mut Account, StateError> {
        self.accounts
            .get_mut(phone)
            .ok_or_else(|| StateError::NoSuchAccount(phone.to_owned()))
    }

    /// The account a user JID (PN, LID or legacy `c.us`, any device) belongs to.
    pub fn account_for_jid(&self, jid: &Jid) -> Option<&Account> {
        match jid.server.as_str() {
            openwa_protocol::jid::HIDDEN_USER_SERVER => self
                .lid_index
                .get(jid.user.as_str())
                .and_then(|phone| self.accounts.get(phone)),
            openwa_protocol::jid::DEFAULT_USER_SERVER
            | openwa_protocol::jid::LEGACY_USER_SERVER => self.accounts.get(jid.user.as_str()),
            _ => None,
        }
    }

    /// Links a companion device: allocates its device id and key index (≥ 1).
    pub fn add_companion(
        &mut self,
        phone: &str,
        mut device: Device,
        now: u64,
    ) -> Result<Device, StateError> {
        let account = self.account_mut(phone)?;
        let id = (account.next_device_id..u16::MAX)
            .find(|id| *id != 99 && !account.devices.contains_key(id))
            .ok_or_else(|| StateError::TooManyDevices(phone.to_owned()))?;
        device.id = id;
        device.key_index = account.next_key_index;
        device.linked_at = now;
        account.next_device_id = id + 1;
        account.next_key_index += 1;
        account.devices.insert(id, device.clone());
        Ok(device)
    }

    /// Removes a companion and drops its queued stanzas.
    pub fn remove_device(&mut self, phone: &str, device: u16) -> Result<Device, StateError> {
        if device == 0 {
            return Err(StateError::CannotRemovePhone);
        }
        let account = self.account_mut(phone)?;
        let removed = account
            .devices
            .remove(&device)
            .ok_or_else(|| StateError::NoSuchDevice {
                phone: phone.to_owned(),
                device,
            })?;
        self.pending.remove(&device_key(phone, device));
        Ok(removed)
    }

    /// The companion whose Noise static key is `noise_key`, if `phone:device` is registered with it.
    pub fn companion_with_key(&self, phone: &str, device: u16, noise_key: &[u8; 32]) -> bool {
        self.accounts
            .get(phone)
            .and_then(|a| a.devices.get(&device))
            .and_then(|d| d.noise_key.as_ref())
            .is_some_and(|k| k == noise_key)
    }

    /// Queues a stanza for a device (it stays queued until the device acknowledges it).
    pub fn enqueue(&mut self, phone: &str, device: u16, stanza: PendingStanza) {
        self.pending
            .entry(device_key(phone, device))
            .or_default()
            .push_back(stanza);
    }

    /// Removes the first queued stanza matching `id` (and `class`, when given). True if found.
    pub fn acknowledge(&mut self, phone: &str, device: u16, id: &str, class: Option<&str>) -> bool {
        let key = device_key(phone, device);
        let Some(queue) = self.pending.get_mut(&key) else {
            return false;
        };
        let position = queue
            .iter()
            .position(|p| p.id == id && class.is_none_or(|c| c == p.class));
        let found = position.and_then(|i| queue.remove(i)).is_some();
        if queue.is_empty() {
            self.pending.remove(&key);
        }
        found
    }

    /// The stanzas waiting for a device, oldest first.
    pub fn pending_for(&self, phone: &str, device: u16) -> Vec<PendingStanza> {
        self.pending
            .get(&device_key(phone, device))
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Pops one one-time prekey of a device (replenishing the phone's own supply).
    pub fn take_prekey(
        &mut self,
        phone: &str,
        device: u16,
        rng: &mut impl CryptoRngCore,
    ) -> Result<Option<PreKey>, StateError> {
        let account = self.account_mut(phone)?;
        let Account {
            devices,
            phone_keys,
            ..
        } = account;
        let dev = devices
            .get_mut(&device)
            .ok_or_else(|| StateError::NoSuchDevice {
                phone: phone.to_owned(),
                device,
            })?;
        let key = dev.prekeys.pop_front();
        if device == 0 {
            while dev.prekeys.len() < PHONE_PREKEYS as usize {
                let fresh = new_phone_prekey(phone_keys, rng);
                dev.prekeys.push_back(fresh);
            }
        }
        Ok(key)
    }

    /// Creates a group (LID addressing) with `creator` as super admin.
    pub fn create_group(
        &mut self,
        creator: &str,
        subject: &str,
        members: &[String],
        now: u64,
        rng: &mut impl CryptoRngCore,
    ) -> Result<&Group, StateError> {
        self.account(creator)?;
        for member in members {
            self.account(member)?;
        }
        self.groups_created += 1;
        let id = format!("1203630{:011}", self.groups_created);
        let mut participants = vec![Participant {
            phone: creator.to_owned(),
            role: Role::SuperAdmin,
        }];
        for member in members {
            if participants.iter().all(|p| &p.phone != member) {
                participants.push(Participant {
                    phone: member.clone(),
                    role: Role::Member,
                });
            }
        }
        let group = Group {
            id: id.clone(),
            subject: subject.to_owned(),
            subject_owner: creator.to_owned(),
            subject_time: now,
            creator: creator.to_owned(),
            creation: now,
            participants,
            description: None,
            announce: false,
            locked: false,
            ephemeral: 0,
            invite_code: invite_code(rng),
            revoked_invites: Vec::new(),
            all_members_add: false,
            approval_required: false,
            announce_version: 0,
            create_key: None,
            pn_addressing: false,
            join_requests: Vec::new(),
        };
        Ok(self.groups.entry(id).or_insert(group))
    }

    /// The group with this id (user part) or JID string.
    pub fn group(&self, id: &str) -> Result<&Group, StateError> {
        let user = id.split_once('@').map_or(id, |(user, _)| user);
        self.groups
            .get(user)
            .ok_or_else(|| StateError::NoSuchGroup(id.to_owned()))
    }

    /// The group with this id (user part) or JID string, mutable.
    pub fn group_mut(&mut self, id: &str) -> Result<&mut Group, StateError> {
        let user = id.split_once('@').map_or(id, |(user, _)| user);
        self.groups
            .get_mut(user)
            .ok_or_else(|| StateError::NoSuchGroup(id.to_owned()))
    }
}

fn new_phone_prekey(keys: &mut PhoneKeys, rng: &mut impl CryptoRngCore) -> PreKey {
    let pair = KeyPair::generate(rng);
    let id = keys.next_prekey_id;
    keys.next_prekey_id = (keys.next_prekey_id % 0x00ff_ffff) + 1;
    keys.prekeys.insert(id, StoredKeyPair::from(&pair));
    PreKey {
        id,
        public: pair.public,
    }
}

/// A random 22-character invite code.
pub fn invite_code(rng: &mut impl CryptoRngCore) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..22)
        .map(|_| {
            let index = (rng.next_u32() as usize) % ALPHABET.len();
            ALPHABET.get(index).copied().map_or('A', char::from)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use openwa_protocol::crypto::xeddsa;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    fn companion() -> Device {
        let mut rng = rng();
        let identity = KeyPair::generate(&mut rng);
        let (_, spk) = signed_prekey(&identity, 1, &mut rng);
        Device {
            id: 0,
            key_index: 0,
            noise_key: Some([9; 32]),
            identity: identity.public,
            registration_id: 42,
            signed_prekey: spk,
            prekeys: VecDeque::new(),
            platform: "Chrome".into(),
            linked_at: 0,
        }
    }

    #[test]
    fn accounts_get_lids_and_a_signed_phone_device() {
        let mut rng = rng();
        let mut state = State::new(&mut rng);
        let a = state
            .create_account("15550000001", "A", 10, &mut rng)
            .unwrap()
            .clone();
        let b = state
            .create_account("15550000002", "B", 10, &mut rng)
            .unwrap()
            .clone();
        assert_eq!(a.lid, "100000000000001");
        assert_eq!(b.lid, "100000000000002");
        let phone = &a.devices[&0];
        assert_eq!(phone.key_index, 0);
        assert_eq!(phone.prekeys.len(), PHONE_PREKEYS as usize);
        assert!(xeddsa::verify(
            &phone.identity,
            &with_type(&phone.signed_prekey.public),
            &phone.signed_prekey.signature
        ));
        assert_eq!(
            state
                .account_for_jid(&"100000000000002:3@lid".parse().unwrap())
                .map(|a| &a.phone),
            Some(&b.phone)
        );
        assert_eq!(
            state.create_account("15550000001", "again", 10, &mut rng),
            Err(StateError::AccountExists("15550000001".into()))
        );
        assert_eq!(
            state
                .create_account("12ab", "bad", 10, &mut rng)
                .map(|a| a.phone.clone()),
            Err(StateError::InvalidPhone("12ab".into()))
        );
    }

    #[test]
    fn companions_get_increasing_ids_and_key_indexes() {
        let mut rng = rng();
        let mut state = State::new(&mut rng);
        state
            .create_account("15550000001", "A", 10, &mut rng)
            .unwrap();
        let first = state.add_companion("15550000001", companion(), 11).unwrap();
        let second = state.add_companion("15550000001", companion(), 12).unwrap();
        assert_eq!((first.id, first.key_index), (1, 1));
        assert_eq!((second.id, second.key_index), (2, 2));
        assert!(state.companion_with_key("15550000001", 1, &[9; 32]));
        assert!(!state.companion_with_key("15550000001", 1, &[8; 32]));
        assert_eq!(
            state.remove_device("15550000001", 0),
            Err(StateError::CannotRemovePhone)
        );
        state.remove_device("15550000001", 1).unwrap();
        assert!(!state.companion_with_key("15550000001", 1, &[9; 32]));
        // Ids and key indexes are never reused.
        let third = state.add_companion("15550000001", companion(), 13).unwrap();
        assert_eq!((third.id, third.key_index), (3, 3));
    }

    #[test]
    fn prekeys_pop_once_and_the_phone_replenishes() {
        let mut rng = rng();
        let mut state = State::new(&mut rng);
        state
            .create_account("15550000001", "A", 10, &mut rng)
            .unwrap();
        let first = state
            .take_prekey("15550000001", 0, &mut rng)
            .unwrap()
            .unwrap();
        let second = state
            .take_prekey("15550000001", 0, &mut rng)
            .unwrap()
            .unwrap();
        assert_ne!(first.id, second.id);
        let account = state.account("15550000001").unwrap();
        assert_eq!(account.devices[&0].prekeys.len(), PHONE_PREKEYS as usize);
        assert!(account.phone_keys.prekeys.contains_key(&first.id));
        let mut c = companion();
        c.prekeys = VecDeque::from([PreKey {
            id: 5,
            public: [1; 32],
        }]);
        let c = state.add_companion("15550000001", c, 1).unwrap();
        assert_eq!(
            state
                .take_prekey("15550000001", c.id, &mut rng)
                .unwrap()
                .map(|k| k.id),
            Some(5)
        );
        assert_eq!(
            state.take_prekey("15550000001", c.id, &mut rng).unwrap(),
            None
        );
    }

    #[test]
    fn pending_queue_acknowledges_by_id_and_class() {
        let mut rng = rng();
        let mut state = State::new(&mut rng);
        let stanza = |id: &str, class: &str| PendingStanza {
            id: id.into(),
            class: class.into(),
            node: stored_node::StoredNode::from(&openwa_protocol::Node::new(class)),
        };
        state.enqueue("1555", 1, stanza("a", "message"));
        state.enqueue("1555", 1, stanza("a", "receipt"));
        state.enqueue("1555", 1, stanza("b", "message"));
        assert!(!state.acknowledge("1555", 1, "a", Some("notification")));
        assert!(state.acknowledge("1555", 1, "a", Some("receipt")));
        let left: Vec<_> = state
            .pending_for("1555", 1)
            .into_iter()
            .map(|p| (p.id, p.class))
            .collect();
        assert_eq!(
            left,
            vec![
                ("a".into(), "message".into()),
                ("b".into(), "message".into())
            ]
        );
        assert!(state.acknowledge("1555", 1, "a", None));
        assert!(state.acknowledge("1555", 1, "b", None));
        assert!(state.pending.is_empty());
    }

    #[test]
    fn groups_have_a_super_admin_creator_and_known_members() {
        let mut rng = rng();
        let mut state = State::new(&mut rng);
        state
            .create_account("15550000001", "A", 10, &mut rng)
            .unwrap();
        state
            .create_account("15550000002", "B", 10, &mut rng)
            .unwrap();
        let group = state
            .create_group(
                "15550000001",
                "G",
                &["15550000002".into(), "15550000001".into()],
                5,
                &mut rng,
            )
            .unwrap()
            .clone();
        assert_eq!(group.participants.len(), 2);
        assert_eq!(
            group.participant("15550000001").map(|p| p.role),
            Some(Role::SuperAdmin)
        );
        assert_eq!(group.invite_code.len(), 22);
        assert_eq!(
            state.group(&group.jid().to_string()).map(|g| g.id.clone()),
            Ok(group.id.clone())
        );
        assert!(matches!(
            state.create_group("15550000001", "G", &["15559999999".into()], 5, &mut rng),
            Err(StateError::NoSuchAccount(_))
        ));
    }
}
