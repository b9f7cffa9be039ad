//! [`DeviceRef`]: a logged-in device as connections, handlers and the phones name it.

use openwa_protocol::Jid;
use openwa_protocol::jid::{DEFAULT_USER_SERVER, HIDDEN_USER_SERVER};

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
