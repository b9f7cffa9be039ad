//! The public types of history sync: the policy of what to keep and the kind of a chunk.

use serde::{Deserialize, Serialize};

/// How much of the account's past a session keeps from history sync (`SessionOptions::history`).
/// Push names and the PN↔LID map are kept under every policy: they are addressing data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum HistoryPolicy {
    /// No chats or messages from history sync (live messages still make chats).
    None,
    /// What the phone sends a new companion unasked: the initial bootstrap (recent chats with
    /// their newest messages) and the recent chunks. The default.
    #[default]
    Recent,
    /// Everything the phone sends, full-history chunks and on-demand answers included.
    Full,
}

/// Which part of the account's history a chunk carries (WhatsApp's `syncType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HistorySyncType {
    /// The first chunks after linking: recent chats with their newest messages.
    InitialBootstrap,
    /// Status updates (stories).
    InitialStatus,
    /// Older history (only asked for with a full-sync policy).
    Full,
    /// More recent messages after the bootstrap.
    Recent,
    /// Contacts' push names.
    PushName,
    /// Data that does not block the app, such as the PN↔LID map.
    NonBlockingData,
    /// An answer to an on-demand history request.
    OnDemand,
    /// A kind this build does not know.
    Unknown,
}

impl HistorySyncType {
    /// The kind of WhatsApp's number.
    pub(crate) fn from_code(code: i32) -> Self {
        match code {
            0 => HistorySyncType::InitialBootstrap,
            1 => HistorySyncType::InitialStatus,
            2 => HistorySyncType::Full,
            3 => HistorySyncType::Recent,
            4 => HistorySyncType::PushName,
            5 => HistorySyncType::NonBlockingData,
            6 => HistorySyncType::OnDemand,
            _ => HistorySyncType::Unknown,
        }
    }

    /// Whether `policy` keeps the chats and messages of chunks of this kind.
    pub(crate) fn keeps_messages(self, policy: HistoryPolicy) -> bool {
        match self {
            HistorySyncType::InitialBootstrap | HistorySyncType::Recent => {
                policy != HistoryPolicy::None
            }
            HistorySyncType::Full | HistorySyncType::OnDemand => policy == HistoryPolicy::Full,
            HistorySyncType::InitialStatus
            | HistorySyncType::PushName
            | HistorySyncType::NonBlockingData
            | HistorySyncType::Unknown => false,
        }
    }

    /// Whether a chunk of this kind is worth downloading under `policy`.
    pub(crate) fn wanted(self, policy: HistoryPolicy) -> bool {
        self.keeps_messages(policy)
            || matches!(
                self,
                HistorySyncType::PushName | HistorySyncType::NonBlockingData
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_choose_chunks() {
        use HistoryPolicy as P;
        use HistorySyncType as T;
        assert!(T::from_code(0).keeps_messages(P::Recent));
        assert!(!T::from_code(0).keeps_messages(P::None));
        assert!(T::from_code(0).wanted(P::Recent) && !T::from_code(0).wanted(P::None));
        assert!(!T::from_code(2).wanted(P::Recent) && T::from_code(2).wanted(P::Full));
        assert!(T::from_code(4).wanted(P::None) && !T::from_code(4).keeps_messages(P::Full));
        assert!(T::from_code(5).wanted(P::None));
        assert_eq!(T::from_code(42), T::Unknown);
        assert!(!T::Unknown.wanted(P::Full));
        assert_eq!(HistoryPolicy::default(), P::Recent);
    }
}
