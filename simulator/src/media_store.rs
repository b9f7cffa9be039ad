//! [`MediaStore`]: the media host's uploaded blobs, kept in memory up to a total size.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

use crate::util::lock;

/// Total bytes kept before new uploads are refused.
pub const MAX_STORED: usize = 512 * 1024 * 1024;

/// One stored blob.
#[derive(Debug, Clone)]
struct Blob {
    bytes: Bytes,
}

/// Uploaded blobs by id.
#[derive(Debug, Default)]
pub struct MediaStore {
    inner: Mutex<(HashMap<String, Blob>, usize)>,
    /// Blobs taken off the host, which the phones can re-upload.
    expired: Mutex<HashMap<String, Blob>>,
}

impl MediaStore {
    /// Stores a blob under `id`; false if the store is full.
    pub fn put(&self, id: &str, bytes: Bytes) -> bool {
        let mut inner = lock(&self.inner);
        if inner.1 + bytes.len() > MAX_STORED {
            return false;
        }
        inner.1 += bytes.len();
        if let Some(old) = inner.0.insert(id.to_owned(), Blob { bytes }) {
            inner.1 -= old.bytes.len();
        }
        true
    }

    /// Takes the blob stored under `id` off the host (the media expired); the phones keep
    /// their copy, so a re-upload request can [`restore`](Self::restore) it. Whether there was
    /// one.
    pub fn remove(&self, id: &str) -> bool {
        let mut inner = lock(&self.inner);
        match inner.0.remove(id) {
            Some(old) => {
                inner.1 -= old.bytes.len();
                lock(&self.expired).insert(id.to_owned(), old);
                true
            }
            None => false,
        }
    }

    /// Forgets the blob under `id` everywhere: no re-upload can bring it back.
    pub fn purge(&self, id: &str) -> bool {
        let removed = self.remove(id);
        lock(&self.expired).remove(id).is_some() || removed
    }

    /// Puts an expired blob back on the host (a phone re-uploaded it); whether there was one.
    pub fn restore(&self, id: &str) -> bool {
        let Some(blob) = lock(&self.expired).remove(id) else {
            return false;
        };
        self.put(id, blob.bytes)
    }

    /// How many blobs are stored.
    pub fn len(&self) -> usize {
        lock(&self.inner).0.len()
    }

    /// Whether no blob is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The blob stored under `id`.
    pub fn get(&self, id: &str) -> Option<Bytes> {
        lock(&self.inner).0.get(id).map(|b| b.bytes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_enforces_its_cap_and_replaces() {
        let store = MediaStore::default();
        assert!(store.put("a", Bytes::from_static(b"123")));
        assert!(store.put("a", Bytes::from_static(b"12")));
        assert_eq!(lock(&store.inner).1, 2);
        assert!(!store.put("big", Bytes::from(vec![0u8; MAX_STORED])));
        assert_eq!(store.get("a"), Some(Bytes::from_static(b"12")));
    }
}
