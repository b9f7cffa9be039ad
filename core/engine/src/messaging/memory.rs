//! What the messaging layer keeps in memory: device lists (always, in front of the store), and
//! when the session has no database the status and plaintext of recent sent messages
//! (bounded), so status events still only move forward and retry receipts can be answered.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use crate::event::MessageStatus;

/// How many sent messages are remembered (oldest forgotten first).
pub(crate) const MAX_SENT: usize = 1_000;

/// Whether a message in status `old` may move to `new`: forward only, `failed` only from
/// `pending` (the store's rule, for messages kept in memory).
pub(crate) fn may_advance(old: MessageStatus, new: MessageStatus) -> bool {
    match new {
        MessageStatus::Failed => old == MessageStatus::Pending,
        MessageStatus::Pending => false,
        _ => new > old,
    }
}

#[derive(Debug, Default)]
struct Inner {
    devices: HashMap<String, Vec<u16>>,
    sent: HashMap<(String, String), (MessageStatus, Vec<u8>)>,
    order: VecDeque<(String, String)>,
}

/// The in-memory messaging state of one session.
#[derive(Debug, Default)]
pub(crate) struct MemoryState {
    inner: Mutex<Inner>,
}

impl MemoryState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// The cached device list of `user`.
    pub(crate) fn devices(&self, user: &str) -> Option<Vec<u16>> {
        self.lock().devices.get(user).cloned()
    }

    /// Caches the device list of `user`.
    pub(crate) fn put_devices(&self, user: &str, devices: Vec<u16>) {
        self.lock().devices.insert(user.to_owned(), devices);
    }

    /// Drops the cached device list of `user`.
    pub(crate) fn forget_devices(&self, user: &str) {
        self.lock().devices.remove(user);
    }

    /// Remembers a sent message (status `pending`) and its plaintext.
    pub(crate) fn put_sent(&self, chat: &str, id: &str, plaintext: Vec<u8>) {
        let mut inner = self.lock();
        let key = (chat.to_owned(), id.to_owned());
        if inner
            .sent
            .insert(key.clone(), (MessageStatus::Pending, plaintext))
            .is_none()
        {
            inner.order.push_back(key);
        }
        while inner.order.len() > MAX_SENT {
            if let Some(old) = inner.order.pop_front() {
                inner.sent.remove(&old);
            }
        }
    }

    /// Moves a remembered message's status forward; returns whether it changed.
    pub(crate) fn advance(&self, chat: &str, id: &str, status: MessageStatus) -> bool {
        let mut inner = self.lock();
        match inner.sent.get_mut(&(chat.to_owned(), id.to_owned())) {
            Some((current, _)) if may_advance(*current, status) => {
                *current = status;
                true
            }
            _ => false,
        }
    }

    /// The plaintext of a remembered message.
    pub(crate) fn outgoing(&self, chat: &str, id: &str) -> Option<Vec<u8>> {
        self.lock()
            .sent
            .get(&(chat.to_owned(), id.to_owned()))
            .map(|(_, plaintext)| plaintext.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageStatus::*;

    #[test]
    fn statuses_only_move_forward() {
        assert!(may_advance(Pending, Sent));
        assert!(may_advance(Pending, Failed));
        assert!(may_advance(Failed, Sent));
        assert!(may_advance(Sent, Delivered));
        assert!(may_advance(Pending, Read));
        assert!(may_advance(Read, Played));
        assert!(!may_advance(Read, Delivered));
        assert!(!may_advance(Delivered, Delivered));
        assert!(!may_advance(Sent, Failed));
        assert!(!may_advance(Sent, Pending));
    }

    #[test]
    fn remembered_messages_are_bounded_and_advance() {
        let state = MemoryState::default();
        state.put_sent("c", "first", vec![1]);
        assert!(state.advance("c", "first", Delivered));
        assert!(!state.advance("c", "first", Sent));
        assert!(!state.advance("c", "unknown", Sent));
        assert_eq!(state.outgoing("c", "first"), Some(vec![1]));
        for i in 0..MAX_SENT {
            state.put_sent("c", &i.to_string(), Vec::new());
        }
        assert_eq!(state.outgoing("c", "first"), None);
        assert!(state.outgoing("c", "0").is_some());
    }
}
