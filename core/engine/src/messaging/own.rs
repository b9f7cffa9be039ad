//! Our own ids on a session (device JIDs on both namespaces, the signed device identity), as
//! every send and retry needs them.

use openwa_protocol::Jid;

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// Our own ids, from the credentials.
#[derive(Debug, Clone)]
pub(crate) struct Own {
    /// Device JID on the PN namespace.
    pub device: Jid,
    /// Device JID on the LID namespace, when known.
    pub lid: Option<Jid>,
    /// Serialized ADVSignedDeviceIdentity for `<device-identity>`.
    pub account: Vec<u8>,
}

impl Own {
    /// Our own ids, or `NotPaired`.
    pub(crate) fn of(shared: &SessionContext) -> Result<Own, Error> {
        shared
            .with_credentials(|c| {
                c.paired.as_ref().map(|p| Own {
                    device: p.jid.clone(),
                    lid: p.lid.clone(),
                    account: p.account.clone(),
                })
            })
            .ok_or_else(|| Error::new(ErrorCode::NotPaired, "the session is not paired"))
    }

    /// Our other device-less id: the LID for our PN user, the PN for our LID user.
    pub(crate) fn alt_of(&self, user: &Jid) -> Option<Jid> {
        if user.is_lid() {
            Some(self.device.to_non_ad())
        } else {
            self.lid.as_ref().map(Jid::to_non_ad)
        }
    }

    /// Our device-less user in the namespace of `chat` (LID chats use our LID when known).
    pub(crate) fn user_for(&self, chat: &Jid) -> Jid {
        match &self.lid {
            Some(lid) if chat.is_lid() => lid.to_non_ad(),
            _ => self.device.to_non_ad(),
        }
    }
}
