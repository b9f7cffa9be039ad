//! The simulator's shared core: state, live connections, faults, media store, persistence, and
//! the operations the admin API and [`crate::SimulatorHandle`] expose.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use openwa_protocol::{Jid, Node};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use openwa_protocol::crypto::KeyPair;
use openwa_protocol::noise::{CertValidity, build_cert_chain};
use openwa_protocol::pairing::QrCode;
use openwa_protocol::pairing::code::PrimaryCodePairing;
use openwa_protocol::stanza::{Ack, IncomingMessage};
use openwa_protocol::stanza::{LinkCodePrimaryHello, OutgoingMessage, Receipt};

use crate::conn::registry::{Command, PairRequest, PairedDevice, Registry};
use crate::faults::{FaultRequest, Faults, RefuseLogins};
use crate::media_host::MediaStore;
use crate::pairing::{CodePairing, PairOutcome, Pairings, Registering};
use crate::state::PendingStanza;
use crate::state::{Group, Role, State, StateError, persist};
use crate::util::{lock, now_secs};
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};

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

/// A logged-in device, as the connection code knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRef {
    /// Phone number.
    pub phone: String,
    /// Device id.
    pub device: u16,
    /// The account's LID user.
    pub lid: String,
    /// Push name from the login payload.
    pub push_name: Option<String>,
}

impl DeviceRef {
    /// The device's PN JID.
    pub fn pn_jid(&self) -> Jid {
        Jid::with_device(&self.phone, DEFAULT_USER_SERVER, self.device)
    }

    /// The device's LID JID.
    pub fn lid_jid(&self) -> Jid {
        Jid::with_device(&self.lid, HIDDEN_USER_SERVER, self.device)
    }

    /// The device's JID in the namespace of `like` (LID if `like` is a LID, else PN).
    pub fn jid_like(&self, like: &Jid) -> Jid {
        if like.server == HIDDEN_USER_SERVER {
            self.lid_jid()
        } else {
            self.pn_jid()
        }
    }
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
/// Most stanzas queued per device; the oldest are dropped beyond it.
pub const MAX_QUEUED: usize = 10_000;

/// The shared simulator core.
#[derive(Debug)]
pub struct Sim {
    state: Mutex<State>,
    pairings: Mutex<Pairings>,
    /// The Noise static key (leaf certificate key).
    pub noise_static: KeyPair,
    /// The serialized certificate chain sent in every ServerHello.
    pub cert_chain: Vec<u8>,
    /// Live connections.
    pub registry: Registry,
    /// Fault switches.
    pub faults: Faults,
    /// Uploaded media blobs.
    pub media: MediaStore,
    /// `host:port` of the media host (for `media_conn`).
    pub media_host: String,
    state_dir: Option<PathBuf>,
    dirty: Notify,
    flushing: Mutex<()>,
    /// Phones welcome the companions they link ([`crate::SimulatorConfig::share_app_state_key`]).
    pub share_app_state_key: std::sync::atomic::AtomicBool,
    /// Who is online and who listens (live only).
    pub presence: crate::presence::Presences,
}

impl Sim {
    /// A core over `state`, persisting into `state_dir` if given.
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
        Sim {
            state: Mutex::new(state),
            pairings: Mutex::new(Pairings::default()),
            noise_static,
            cert_chain,
            registry: Registry::default(),
            faults: Faults::default(),
            media: MediaStore::default(),
            media_host,
            state_dir,
            dirty: Notify::new(),
            share_app_state_key: std::sync::atomic::AtomicBool::new(false),
            flushing: Mutex::new(()),
            presence: Default::default(),
        }
    }

    /// Runs `f` on the state under its lock, without marking it changed.
    pub fn read<T>(&self, f: impl FnOnce(&State) -> T) -> T {
        f(&lock(&self.state))
    }

    /// Runs `f` on the state under its lock and schedules a save.
    pub fn write<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let result = f(&mut lock(&self.state));
        self.dirty.notify_one();
        result
    }

    /// Saves the state now (no-op without a state directory).
    pub fn flush(&self) -> Result<(), persist::PersistError> {
        let Some(dir) = &self.state_dir else {
            return Ok(());
        };
        // One writer at a time: the save loop and shutdown share the temporary file.
        let _writing = lock(&self.flushing);
        let bytes = self.read(persist::serialize);
        persist::write(dir, &bytes)
    }

    /// Saves shortly after every change until the future is dropped.
    pub async fn persist_loop(self: std::sync::Arc<Self>) {
        if self.state_dir.is_none() {
            return;
        }
        loop {
            self.dirty.notified().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let sim = self.clone();
            let result = tokio::task::spawn_blocking(move || sim.flush()).await;
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "saving state failed"),
                Err(e) => tracing::error!(error = %e, "state saving task failed"),
            }
        }
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
        let actor = crate::groups::notify::Actor {
            phone: creator.to_owned(),
            push_name: self.read(|s| s.accounts.get(creator).map(|a| a.name.clone())),
        };
        let created = crate::groups::create_group(
            self,
            &actor,
            subject,
            participants,
            crate::groups::CreateOptions::default(),
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
    /// A fresh server stanza id.
    pub fn next_stanza_id(&self) -> String {
        self.write(State::next_stanza_id)
    }

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

    /// Puts a stanza in a device's queue and, if the device is online and active, sends it.
    /// Device 0 is the simulated phone, which receives it at once.
    pub fn deliver(&self, phone: &str, device: u16, node: Node) {
        if device == 0 {
            self.phone_receive(phone, &node);
            return;
        }
        let id = node.attr_str("id").unwrap_or_default();
        let pending = PendingStanza {
            id,
            class: node.tag.to_string(),
            node: (&node).into(),
        };
        let live = self.write(|state| {
            state.enqueue(phone, device, pending);
            if let Some(queue) = state
                .pending
                .get_mut(&crate::state::device_key(phone, device))
            {
                while queue.len() > MAX_QUEUED {
                    queue.pop_front();
                    tracing::warn!(%phone, device, "offline queue full; dropped the oldest stanza");
                }
            }
            self.registry.active_device(phone, device)
        });
        if let Some(conn) = live {
            conn.send(Command::Send(node));
        }
    }

    /// Marks a connection active and returns the stanzas queued for its device, atomically with
    /// respect to [`Sim::deliver`] (nothing is sent twice or lost in between).
    pub fn activate(&self, conn: u64, me: &DeviceRef) -> Vec<Node> {
        self.read(|state| {
            self.registry.set_active(conn, true);
            state
                .pending_for(&me.phone, me.device)
                .iter()
                .map(|p| p.node.to_node())
                .collect()
        })
    }

    /// The client acknowledged a stanza.
    pub fn client_ack(&self, me: &DeviceRef, id: &str, class: Option<&str>) {
        self.write(|s| s.acknowledge(&me.phone, me.device, id, class));
    }

    /// Fans a client's `<message>` out (docs/PROTOCOL.md, Message stanzas); returns the server ack for the sender.
    pub fn route_message(&self, me: &DeviceRef, node: &Node) -> Node {
        if node
            .attr_jid("to")
            .is_some_and(|to| to.server == openwa_protocol::jid::NEWSLETTER_SERVER)
        {
            return crate::newsletters::posts::route(self, me, node);
        }
        let id = node.attr_str("id").unwrap_or_default();
        let message = match OutgoingMessage::from_node(node) {
            Ok(message) => message,
            Err(e) => {
                tracing::info!(phone = %me.phone, device = me.device, error = %e, "invalid message stanza");
                let mut ack = Ack::new(id, openwa_protocol::stanza::AckClass::Message);
                ack.error = Some(479);
                return ack.to_node();
            }
        };
        let t = now_secs();
        let mut ack = Ack::message_accepted(message.id.clone(), message.to.clone(), t);
        if message.to.is_group() {
            ack.phash = crate::groups::route_group_message(self, me, &message, t);
        } else {
            self.route_direct(me, &message, t);
        }
        ack.to_node()
    }

    fn route_direct(&self, me: &DeviceRef, message: &OutgoingMessage, t: u64) {
        let chat = message.to.to_non_ad();
        // Both sides of a chat keep each other's device lists from now on.
        self.write(|s| {
            if let Some(peer) = s.account_for_jid(&chat).map(|a| a.phone.clone()) {
                s.add_watcher(&peer, &me.phone);
                s.add_watcher(&me.phone, &peer);
            }
        });
        let from = me.jid_like(&chat);
        let notify = me
            .push_name
            .clone()
            .or_else(|| self.read(|s| s.accounts.get(&me.phone).map(|a| a.name.clone())));
        let mut targets: Vec<(openwa_protocol::stanza::Enc, Jid)> = message
            .participants
            .iter()
            .map(|p| (p.enc.clone(), p.jid.clone()))
            .collect();
        // A retry resend: no <participants>, one direct <enc>, `to` = the requesting device.
        if targets.is_empty()
            && let Some(enc) = message.direct.first()
        {
            targets.push((enc.clone(), message.to.clone()));
        }
        for (enc, target) in targets {
            let Some(phone) = self.read(|s| {
                s.account_for_jid(&target)
                    .filter(|a| a.devices.contains_key(&target.device))
                    .map(|a| a.phone.clone())
            }) else {
                tracing::debug!(%target, "message for an unknown device dropped");
                continue;
            };
            if phone == me.phone && target.device == me.device {
                continue;
            }
            let mut incoming =
                IncomingMessage::new(message.id.clone(), from.clone(), t, message.kind.clone());
            if from.server == HIDDEN_USER_SERVER {
                incoming.sender_pn = Some(me.pn_jid());
            } else {
                incoming.sender_lid = Some(me.lid_jid());
            }
            if phone == me.phone {
                incoming.recipient = message.recipient.clone().or_else(|| Some(chat.clone()));
            }
            incoming.notify = notify.clone();
            incoming.category = message.category.clone();
            incoming.edit = message.edit.clone();
            incoming.encs = vec![enc];
            incoming.device_identity = message.device_identity.clone();
            self.deliver(&phone, target.device, incoming.to_node());
        }
    }

    /// Forwards a client's `<receipt>` to the original sender (docs/PROTOCOL.md, Receipts); a receipt also
    /// acknowledges the messages it names. Returns nothing to send back.
    ///
    /// In 1:1 chats the forwarded receipt comes `from` the receiver's user JID without device:
    /// Baileys keys the status update (`messages.update`) by that `from`, so a device JID there
    /// would name a chat that does not exist. A receipt addressed to a user rather than one of
    /// its devices (Baileys sends it to the chat) reaches the phone and every companion. An
    /// `inactive` receipt (a client that is not marked available acknowledges delivery with it)
    /// goes to the sender as a plain delivery receipt: the message was delivered, and Baileys
    /// shows no status for the `inactive` type.
    pub fn route_receipt(&self, me: &DeviceRef, node: &Node) -> Option<Node> {
        let receipt = match Receipt::from_node(node) {
            Ok(receipt) => receipt,
            Err(e) => {
                tracing::debug!(error = %e, "invalid receipt ignored");
                return None;
            }
        };
        for id in receipt.ids() {
            self.client_ack(me, id, Some("message"));
        }
        let to = receipt.peer.jid().clone();
        let mut forwarded = node.clone();
        forwarded.remove_attr("to");
        if receipt.kind.as_str() == "inactive" {
            forwarded.remove_attr("type");
        }
        let target = if to.is_group() {
            let sender = receipt.participant.clone()?;
            forwarded.set_attr("from", to.to_non_ad());
            forwarded.set_attr("participant", me.jid_like(&sender));
            sender
        } else {
            forwarded.set_attr("from", me.jid_like(&to).to_non_ad());
            // A retry receipt must name the device that failed to decrypt: the sender
            // re-encrypts for that device only (and builds its session from the keys inside).
            if receipt.kind.as_str() == "retry" {
                forwarded.set_attr("participant", me.jid_like(&to));
            }
            to
        };
        if forwarded.get_attr("t").is_none() {
            forwarded.set_attr("t", now_secs().to_string());
        }
        let (phone, companions) = self.read(|s| {
            s.account_for_jid(&target).map(|a| {
                let companions: Vec<u16> = a.devices.keys().copied().filter(|d| *d != 0).collect();
                (a.phone.clone(), companions)
            })
        })?;
        if target.device != 0 {
            self.deliver(&phone, target.device, forwarded);
            // The phone keeps the statuses of what its companions sent too.
            crate::phone::receipts::record_status(self, &phone, &receipt, me);
            return None;
        }
        self.phone_receipt(&phone, &receipt, me);
        for device in companions {
            if phone != me.phone || device != me.device {
                self.deliver(&phone, device, forwarded.clone());
            }
        }
        None
    }

    /// Forwards a `<chatstate>` to the target's online devices (not queued).
    pub fn route_chatstate(&self, me: &DeviceRef, node: &Node) {
        let Some(to) = node.attr_jid("to") else {
            return;
        };
        let Some(phone) = self.read(|s| s.account_for_jid(&to).map(|a| a.phone.clone())) else {
            return;
        };
        let mut forwarded = node.clone();
        forwarded.remove_attr("to");
        forwarded.set_attr("from", me.jid_like(&to).to_non_ad());
        for device in self.registry.online_devices(&phone) {
            if let Some(conn) = self.registry.active_device(&phone, device) {
                conn.send(Command::Send(forwarded.clone()));
            }
        }
    }

    /// Tells the companions that keep `phone`'s device list (its own, and those of the accounts
    /// that asked for it or chat with it) that it changed (docs/PROTOCOL.md, Device notifications).
    pub fn device_list_changed(&self, phone: &str) {
        let (targets, lid) = self.read(|s| {
            let watchers = s.watchers.get(phone);
            let targets: Vec<(String, u16)> = std::iter::once(phone)
                .chain(watchers.into_iter().flatten().map(String::as_str))
                .filter_map(|p| s.accounts.get(p))
                .flat_map(|a| {
                    a.devices
                        .keys()
                        .filter(|d| **d != 0)
                        .map(|d| (a.phone.clone(), *d))
                })
                .collect();
            (targets, s.accounts.get(phone).map(|a| a.lid.clone()))
        });
        for (target, device) in targets {
            let node = Node::new("notification")
                .attr("from", Jid::pn(phone))
                .attr_opt("lid", lid.as_ref().map(|l| Jid::lid(l.clone())))
                .attr("id", self.next_stanza_id())
                .attr("type", "devices")
                .attr("t", now_secs().to_string())
                .child(Node::new("update").attr("hash", "openwa-sim"));
            self.deliver(&target, device, node);
        }
    }

    /// The simulated phone receives a stanza (see [`crate::phone::receive`]).
    fn phone_receive(&self, phone: &str, node: &Node) {
        crate::phone::receive::receive(self, phone, node);
    }

    /// A receipt for a message the simulated phone sent (see [`crate::phone::receipts`]).
    fn phone_receipt(&self, phone: &str, receipt: &Receipt, from: &DeviceRef) {
        crate::phone::receipts::on_receipt(self, phone, receipt, from);
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

/// `<stream:error code="401"><conflict type="device_removed"/></stream:error>` (docs/PROTOCOL.md, Logout and stream errors).
pub fn device_removed() -> Node {
    Node::new("stream:error")
        .attr("code", "401")
        .child(Node::new("conflict").attr("type", "device_removed"))
}

fn account_info(account: &crate::state::Account) -> AccountInfo {
    AccountInfo {
        phone: account.phone.clone(),
        name: account.name.clone(),
        jid: account.pn_jid().to_string(),
        lid: account.lid_jid().to_string(),
    }
}
