//! The phone's timeline: every message it received (decrypted) or sent, with receipts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::content::{Content, MediaRef, ReactionRef};

/// Most entries kept per phone; the oldest are dropped beyond it.
pub const MAX_TIMELINE: usize = 5_000;

/// One message on a phone's timeline (`GET /admin/accounts/{phone}/messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// Position on the timeline (1-based, increasing; `?since=` filters on it).
    pub seq: u64,
    /// Message id.
    pub id: String,
    /// Chat JID (the peer's user JID for 1:1, the group JID for groups).
    pub chat: String,
    /// Sender device JID.
    pub sender: String,
    /// Whether the phone sent it (or one of its companions, seen as a device-sent copy).
    #[serde(default)]
    pub from_me: bool,
    /// Content kind: `text`, `image`, `document`, `reaction`, `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Text, caption or reaction emoji.
    pub text: Option<String>,
    /// Media fields (image, document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaRef>,
    /// The message a reaction is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<ReactionRef>,
    /// How it arrived: `pkmsg`, `msg` or `skmsg` (empty for sent messages).
    #[serde(default)]
    pub enc: String,
    /// Unix time.
    pub timestamp: u64,
    /// Receipts by device JID: `delivery`, `read`, `played` (sent messages), or `read` by the
    /// phone itself (received messages it marked read).
    #[serde(default)]
    pub receipts: BTreeMap<String, String>,
}

impl TimelineEntry {
    /// A new entry (its `seq` is set by [`push`]).
    pub fn new(id: &str, chat: &str, sender: &str, content: Content, timestamp: u64) -> Self {
        TimelineEntry {
            seq: 0,
            id: id.to_owned(),
            chat: chat.to_owned(),
            sender: sender.to_owned(),
            from_me: false,
            kind: content.kind.to_owned(),
            text: content.text,
            media: content.media,
            reaction: content.reaction,
            enc: String::new(),
            timestamp,
            receipts: BTreeMap::new(),
        }
    }
}

/// Appends an entry with the next sequence number, dropping the oldest beyond the cap.
pub fn push(timeline: &mut Vec<TimelineEntry>, mut entry: TimelineEntry) -> u64 {
    entry.seq = timeline.last().map_or(1, |m| m.seq + 1);
    let seq = entry.seq;
    timeline.push(entry);
    if timeline.len() > MAX_TIMELINE {
        let excess = timeline.len() - MAX_TIMELINE;
        timeline.drain(..excess);
    }
    seq
}

fn rank(kind: &str) -> u8 {
    match kind {
        "delivery" => 1,
        "read" => 2,
        "played" => 3,
        _ => 0,
    }
}

/// Records a receipt from `device` on the phone's own message `id`; a receipt never
/// downgrades (a late delivery after a read keeps `read`). False if no such sent message.
pub fn record_receipt(timeline: &mut [TimelineEntry], id: &str, device: &str, kind: &str) -> bool {
    let Some(entry) = timeline.iter_mut().rev().find(|m| m.id == id && m.from_me) else {
        return false;
    };
    let current = entry.receipts.get(device).map_or(0, |k| rank(k));
    if rank(kind) > current {
        entry.receipts.insert(device.to_owned(), kind.to_owned());
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> TimelineEntry {
        let content = Content {
            kind: "text",
            text: Some("x".into()),
            media: None,
            reaction: None,
        };
        let mut e = TimelineEntry::new(id, "c", "s", content, 1);
        e.from_me = true;
        e
    }

    #[test]
    fn receipts_never_downgrade_and_seq_increases() {
        let mut timeline = Vec::new();
        assert_eq!(push(&mut timeline, entry("a")), 1);
        assert_eq!(push(&mut timeline, entry("b")), 2);
        assert!(record_receipt(&mut timeline, "a", "d:1", "read"));
        assert!(record_receipt(&mut timeline, "a", "d:1", "delivery"));
        assert_eq!(timeline[0].receipts["d:1"], "read");
        assert!(!record_receipt(&mut timeline, "zz", "d:1", "read"));
    }
}
