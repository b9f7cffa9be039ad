//! Signal addresses: who a session or a sender key belongs to.

use std::fmt;

use crate::jid::Jid;

/// A Signal protocol address: a user name (derived from a JID) and a device id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProtocolAddress {
    /// The user part, e.g. `15551234567` or `987654321_1` for a LID.
    pub name: String,
    /// The device id (0 is the primary phone).
    pub device: u32,
}

impl ProtocolAddress {
    /// An address from its parts.
    pub fn new(name: impl Into<String>, device: u32) -> Self {
        ProtocolAddress {
            name: name.into(),
            device,
        }
    }

    /// The address WhatsApp uses for a device JID (docs/PROTOCOL.md, JIDs; `Jid::signal_address`).
    pub fn from_jid(jid: &Jid) -> Self {
        ProtocolAddress::new(jid.signal_address_user(), u32::from(jid.device))
    }
}

impl fmt::Display for ProtocolAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.name, self.device)
    }
}

/// Names one sender's sender key in one group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKeyName {
    /// The group id (the group JID as a string, e.g. `120363…@g.us`).
    pub group_id: String,
    /// The sending device.
    pub sender: ProtocolAddress,
}

impl SenderKeyName {
    /// A sender key name from its parts.
    pub fn new(group_id: impl Into<String>, sender: ProtocolAddress) -> Self {
        SenderKeyName {
            group_id: group_id.into(),
            sender,
        }
    }
}

impl fmt::Display for SenderKeyName {
    /// `group::name::device`, the key Baileys stores sender keys under.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}::{}::{}",
            self.group_id, self.sender.name, self.sender.device
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let jid: Jid = "987654321:2@lid".parse().unwrap();
        let address = ProtocolAddress::from_jid(&jid);
        assert_eq!(address.to_string(), "987654321_1.2");
        let name = SenderKeyName::new("123@g.us", address);
        assert_eq!(name.to_string(), "123@g.us::987654321_1::2");
    }
}
