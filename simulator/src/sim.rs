//! The simulator's composition root: [`Sim`] registers every feature's handlers in the
//! [`Router`], builds the [`Hub`] they share, and holds what only connections and the admin
//! API use (pairings, the Noise identity, faults), with the admin operations on top.

use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{CertValidity, build_cert_chain};
use openwa_protocol::pairing::QrCode;
use openwa_protocol::pairing::code::PrimaryCodePairing;
use openwa_protocol::stanza::LinkCodePrimaryHello;
use openwa_protocol::{Jid, Node};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};

use crate::conn::registry::{Command, PairRequest, PairedDevice};
use crate::faults::{FaultRequest, Faults, RefuseLogins};
use crate::hub::{Hub, device_removed};
use crate::pairing::{CodePairing, PairOutcome, Pairings, Registering};
use crate::presence::Presences;
use crate::router::Router;
use crate::state::{Account, Group, Role, State, StateError};
use crate::util::{lock, now_secs};
use crate::{groups, iq, messages, newsletters, phone};

/// An account as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Phone number.
    pub phone: String,
    /// Push name.
    pub name: String,
    /// `PHONE@s.whatsapp.net`.
    pub jid: String,
    /// `LID@lid`.
    pub lid: String,
}

/// A device as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Device id (0 = the simulated phone).
    pub device: u16,
    /// PN device JID.
    pub jid: String,
    /// LID device JID.
    pub lid: String,
    /// ADV key index (0 for the phone).
    pub key_index: u32,
    /// Platform.
    pub platform: String,
    /// Unix time of linking.
    pub linked_at: u64,
    /// Whether a connection is logged in as this device now (the phone is always online).
    pub online: bool,
    /// One-time prekeys left on the server.
    pub prekeys: usize,
}

/// A group as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// `ID@g.us`.
    pub jid: String,
    /// Subject.
    pub subject: String,
    /// `lid` or `pn`: how the group names its members on the wire.
    pub addressing_mode: String,
    /// Members: phone and role.
    pub participants: Vec<GroupMember>,
}

/// One member in [`GroupInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// Phone number.
    pub phone: String,
    /// `member`, `admin` or `super_admin`.
    pub role: Role,
}

impl From<&Group> for GroupInfo {
    fn from(group: &Group) -> Self {
        GroupInfo {
            jid: group.jid().to_string(),
            subject: group.subject.clone(),
            addressing_mode: groups::view::mode(group).as_str().to_owned(),
            participants: group
                .participants
                .iter()
                .map(|p| GroupMember {
                    phone: p.phone.clone(),
                    role: p.role,
                })
                .collect(),
        }
    }
}

/// What `GET /admin/health` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Always "ok" when the server answers.
    pub status: String,
    /// Number of accounts.
    pub accounts: usize,
    /// Open connections (any stage).
    pub connections: usize,
    /// Connections logged in as a device.
    pub logged_in: usize,
    /// Stanzas queued for offline or not-yet-acknowledging devices.
    pub pending_stanzas: usize,
}

/// The outcome of `POST /admin/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultOutcome {
    /// Connections the fault was applied to (for connection faults).
    pub affected: usize,
    /// The persistent faults now active.
    pub active: crate::faults::ActiveFaults,
}

/// Why a link request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The QR string or code is malformed.
    #[error("{0}")]
    BadInput(String),
    /// No account, or no connection waiting with that ref / for that phone.
    #[error("{0}")]
    NotFound(String),
    /// The companion or the pairing failed.
    #[error("pairing failed: {0}")]
    Failed(String),
    /// The companion did not answer in time.
    #[error("the companion did not complete pairing within {0} s")]
    Timeout(u64),
}

/// How long the admin link endpoints wait for the companion.
pub const LINK_TIMEOUT: Duration = Duration::from_secs(30);

/// The simulator core: the [`Hub`] the features share (reached through `Deref`), plus what
/// only connections and the admin API use — pairings, the Noise identity, faults, presence.
#[derive(Debug)]
pub struct Sim {
    hub: Arc<Hub>,
    pairings: Mutex<Pairings>,
    /// The Noise static key (leaf certificate key).
    pub noise_static: KeyPair,
    /// The serialized certificate chain sent in every ServerHello.
    pub cert_chain: Vec<u8>,
    /// Fault switches.
    pub faults: Faults,
    /// Who is online and who listens (live only).
    pub presence: Arc<Presences>,
}

impl Deref for Sim {
    type Target = Hub;

    fn deref(&self) -> &Hub {
        &self.hub
    }
}

impl Sim {
    /// A core over `state`, persisting into `state_dir` if given, with every feature registered.
    pub fn new(state: State, state_dir: Option<PathBuf>, media_host: String) -> Self {
        let root = state.server_keys.root.to_key_pair();
        let intermediate = state.server_keys.intermediate.to_key_pair();
        let noise_static = state.server_keys.noise_static.to_key_pair();
        let cert_chain = build_cert_chain(
            &root,
            &intermediate,
            &noise_static.public,
            CertValidity::around(now_secs(), 10 * 365 * 24 * 3600),
            &mut OsRng,
        );
        let presence = Arc::new(Presences::default());
        let mut router = Router::default();
        messages::register(&mut router);
        presence.register(&mut router);
        iq::register(&mut router);
        groups::iq::register(&mut router);
        newsletters::mex::register(&mut router);
        newsletters::posts::register(&mut router);
        phone::handler::register(&mut router);
        Sim {
            hub: Arc::new(Hub::new(state, state_dir, media_host, router)),
            pairings: Mutex::new(Pairings::default()),
            noise_static,
            cert_chain,
            faults: Faults::default(),
            presence,
        }
    }

    /// The shared services, for tasks that outlive a borrow (media host, save loop).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Creates an account with its simulated phone.
    pub fn create_account(&self, phone: &str, name: &str) -> Result<AccountInfo, StateError> {
        self.write(|state| {
            state
                .create_account(phone, name, now_secs(), &mut OsRng)
                .map(account_info)
        })
    }

    /// All accounts, by phone number.
    pub fn accounts(&self) -> Vec<AccountInfo> {
        self.read(|state| state.accounts.values().map(account_info).collect())
    }

    /// The devices of an account.
    pub fn devices(&self, phone: &str) -> Result<Vec<DeviceInfo>, StateError> {
        let online = self.registry.online_devices(phone);
        self.read(|state| {
            let account = state.account(phone)?;
            Ok(account
                .devices
                .values()
                .map(|d| DeviceInfo {
                    device: d.id,
                    jid: Jid::with_device(&account.phone, "s.whatsapp.net", d.id).to_string(),
                    lid: Jid::with_device(&account.lid, "lid", d.id).to_string(),
                    key_index: d.key_index,
                    platform: d.platform.clone(),
                    linked_at: d.linked_at,
                    online: d.id == 0 || online.contains(&d.id),
                    prekeys: d.prekeys.len(),
                })
                .collect())
        })
    }

    /// Unlinks a companion (the phone removes it): its connection gets 401 `device_removed`.
    pub fn remove_device(&self, phone: &str, device: u16) -> Result<(), StateError> {
        self.write(|state| state.remove_device(phone, device))?;
        if let Some(conn) = self.registry.device(phone, device) {
            conn.send(Command::SendAndClose(device_removed()));
        }
        Ok(())
    }

    /// Creates a group owned by `creator` (as its phone would) and notifies the members.
    pub fn create_group(
        &self,
        creator: &str,
        subject: &str,
        participants: &[String],
    ) -> Result<GroupInfo, StateError> {
        self.create_group_addressed(creator, subject, participants, false)
    }

    /// [`Sim::create_group`] choosing the addressing mode: members named by phone number
    /// (`pn_addressing`) or by LID.
    pub fn create_group_addressed(
        &self,
        creator: &str,
        subject: &str,
        participants: &[String],
        pn_addressing: bool,
    ) -> Result<GroupInfo, StateError> {
        let actor = groups::notify::Actor {
            phone: creator.to_owned(),
            push_name: self.read(|s| s.accounts.get(creator).map(|a| a.name.clone())),
        };
        let created = groups::create_group(
            self,
            &actor,
            subject,
            participants,
            groups::CreateOptions {
                pn_addressing,
                ..groups::CreateOptions::default()
            },
        )?;
        self.read(|s| s.group(&created.jid.user).map(GroupInfo::from))
    }

    /// Applies a fault.
    pub fn apply_fault(&self, fault: FaultRequest) -> FaultOutcome {
        let affected = match fault {
            FaultRequest::DropConnections { phone } => {
                let conns = self.registry.select(phone.as_deref());
                conns.iter().filter(|c| c.send(Command::Drop)).count()
            }
            FaultRequest::StreamError { code, phone } => {
                let conns = self.registry.select(phone.as_deref());
                let node = Node::new("stream:error").attr("code", code.to_string());
                conns
                    .iter()
                    .filter(|c| c.send(Command::SendAndClose(node.clone())))
                    .count()
            }
            FaultRequest::DelayMs { ms } => {
                self.faults.set_delay_ms(ms);
                0
            }
            FaultRequest::RefuseLogins {
                enabled,
                reason,
                count,
            } => {
                self.faults
                    .set_refuse_logins(enabled.then_some(RefuseLogins {
                        reason,
                        remaining: count,
                    }));
                0
            }
        };
        FaultOutcome {
            affected,
            active: self.faults.active(),
        }
    }

    /// Health and counters.
    pub fn health(&self) -> Health {
        let (connections, logged_in) = self.registry.counts();
        self.read(|state| Health {
            status: "ok".to_owned(),
            accounts: state.accounts.len(),
            connections,
            logged_in,
            pending_stanzas: state.pending.values().map(|q| q.len()).sum(),
        })
    }
}

impl Sim {
    /// Records a registering connection.
    pub fn add_registering(&self, registering: Registering) {
        lock(&self.pairings).add(registering);
    }

    /// Records a code pairing started by a registering connection.
    pub fn add_code_pairing(&self, phone: String, pairing: CodePairing) {
        lock(&self.pairings).codes.insert(phone, pairing);
    }

    /// Forgets the pairings of a connection (closed or paired).
    pub fn forget_pairing(&self, conn: u64) {
        lock(&self.pairings).remove_conn(conn);
    }

    /// The confirmed code pairing of a connection: phone, phone-side state and the admin waiter.
    pub fn take_confirmed_code(
        &self,
        conn: u64,
    ) -> Option<(
        String,
        PrimaryCodePairing,
        tokio::sync::oneshot::Sender<PairOutcome>,
    )> {
        let mut pairings = lock(&self.pairings);
        let (phone, pairing) = pairings.code_of_conn(conn)?;
        let phone = phone.clone();
        let (primary, done) = pairing.primary.take()?;
        Some((phone, primary, done))
    }

    /// The phone of `phone` scans `qr`: the waiting companion gets `pair-success`; resolves when
    /// it answered (docs/PROTOCOL.md, Pairing).
    pub async fn link_qr(&self, phone: &str, qr: &str) -> Result<PairedDevice, LinkError> {
        let qr =
            QrCode::parse(qr).map_err(|e| LinkError::BadInput(format!("bad QR string: {e}")))?;
        self.read(|s| s.account(phone).map(|_| ()))
            .map_err(|e| LinkError::NotFound(e.to_string()))?;
        let registering = lock(&self.pairings).by_ref(qr.reference()).cloned();
        let registering = registering.ok_or_else(|| {
            LinkError::NotFound(
                "no companion is waiting with this QR ref (expired or unknown)".into(),
            )
        })?;
        if registering.noise_key != *qr.noise_public()
            || registering.identity != *qr.identity_public()
        {
            return Err(LinkError::BadInput(
                "the QR keys do not match the connection that was given this ref".into(),
            ));
        }
        let (done, outcome) = tokio::sync::oneshot::channel();
        let request = PairRequest {
            phone: phone.to_owned(),
            adv_secret: *qr.adv_secret(),
            done,
        };
        if !registering.conn.send(Command::Pair(request)) {
            return Err(LinkError::NotFound("the companion disconnected".into()));
        }
        await_outcome(outcome).await
    }

    /// The phone of `phone` confirms the pairing code the companion shows (docs/PROTOCOL.md, Pairing code);
    /// resolves when the companion completed pairing.
    pub async fn link_code(&self, phone: &str, code: &str) -> Result<PairedDevice, LinkError> {
        let code = openwa_protocol::pairing::PairCode::parse(code)
            .map_err(|e| LinkError::BadInput(format!("bad pairing code: {e}")))?;
        let identity = self
            .read(|s| {
                s.account(phone)
                    .map(|a| a.phone_keys.identity.to_key_pair())
            })
            .map_err(|e| LinkError::NotFound(e.to_string()))?;
        let (done, outcome) = tokio::sync::oneshot::channel();
        {
            let mut pairings = lock(&self.pairings);
            let pairing = pairings.codes.get_mut(phone).ok_or_else(|| {
                LinkError::NotFound(format!("no companion asked to pair with {phone} by code"))
            })?;
            let (primary, wrapped) = PrimaryCodePairing::respond(
                &code,
                &pairing.wrapped_companion_ephemeral,
                &mut OsRng,
            )
            .map_err(|e| LinkError::BadInput(format!("code does not match: {e}")))?;
            let hello = LinkCodePrimaryHello {
                pairing_ref: pairing.pairing_ref.clone(),
                wrapped_primary_ephemeral_pub: wrapped.to_vec(),
                primary_identity_pub: identity.public.to_vec(),
            };
            let notification = Node::new("notification")
                .attr("from", Jid::server())
                .attr("id", self.next_stanza_id())
                .attr("type", "link_code_companion_reg")
                .attr("t", now_secs().to_string())
                .child(hello.to_node());
            pairing.primary = Some((primary, done));
            if !pairing.conn.send(Command::Send(notification)) {
                return Err(LinkError::NotFound("the companion disconnected".into()));
            }
        }
        await_outcome(outcome).await
    }
}

async fn await_outcome(
    outcome: tokio::sync::oneshot::Receiver<PairOutcome>,
) -> Result<PairedDevice, LinkError> {
    match tokio::time::timeout(LINK_TIMEOUT, outcome).await {
        Ok(Ok(Ok(paired))) => Ok(paired),
        Ok(Ok(Err(reason))) => Err(LinkError::Failed(reason)),
        Ok(Err(_)) => Err(LinkError::Failed("the companion disconnected".into())),
        Err(_) => Err(LinkError::Timeout(LINK_TIMEOUT.as_secs())),
    }
}

fn account_info(account: &Account) -> AccountInfo {
    AccountInfo {
        phone: account.phone.clone(),
        name: account.name.clone(),
        jid: account.pn_jid().to_string(),
        lid: account.lid_jid().to_string(),
    }
}
