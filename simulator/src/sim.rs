//! The simulator's shared core: state, live connections, faults, media store, persistence, and
//! the operations the admin API and [`crate::SimulatorHandle`] expose.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use openwa_protocol::{Jid, Node};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::conn::registry::{Command, Registry};
use crate::faults::{FaultRequest, Faults, RefuseLogins};
use crate::media_host::MediaStore;
use crate::state::{Group, Role, State, StateError, persist};
use crate::util::{lock, now_secs};

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

/// The shared simulator core.
#[derive(Debug)]
pub struct Sim {
    state: Mutex<State>,
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
}

impl Sim {
    /// A core over `state`, persisting into `state_dir` if given.
    pub fn new(state: State, state_dir: Option<PathBuf>, media_host: String) -> Self {
        Sim {
            state: Mutex::new(state),
            registry: Registry::default(),
            faults: Faults::default(),
            media: MediaStore::default(),
            media_host,
            state_dir,
            dirty: Notify::new(),
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

    /// Creates a group owned by `creator`.
    pub fn create_group(
        &self,
        creator: &str,
        subject: &str,
        participants: &[String],
    ) -> Result<GroupInfo, StateError> {
        self.write(|state| {
            state
                .create_group(creator, subject, participants, now_secs(), &mut OsRng)
                .map(GroupInfo::from)
        })
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

/// `<stream:error code="401"><conflict type="device_removed"/></stream:error>` (protocol.md §7.4).
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
