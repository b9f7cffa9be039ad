//! The phone's timeline: every message it received (decrypted) or sent, with receipts.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::content::{Content, MediaRef, ReactionRef};
use super::details::Details;

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
    /// Content kind: `text`, `image`, `document`, `reaction`, … (`ContentKind` labels).
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
    /// Location, contact cards, the message it replies to, mentions, whether it was edited.
    #[serde(flatten)]
    pub details: Details,
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
    /// A new entry (its `seq` is set by [`Timeline::push`]).
    pub fn new(id: &str, chat: &str, sender: &str, content: Content, timestamp: u64) -> Self {
        TimelineEntry {
            seq: 0,
            id: id.to_owned(),
            chat: chat.to_owned(),
            sender: sender.to_owned(),
            from_me: false,
            kind: content.kind.as_str().to_owned(),
            text: content.text,
            media: content.media,
            reaction: content.reaction,
            details: content.details,
            enc: String::new(),
            timestamp,
            receipts: BTreeMap::new(),
        }
    }
}

/// A phone's timeline: entries in `seq` order, capped at [`MAX_TIMELINE`], with an index by
/// message id so receipts and lookups do not scan it. Stored as a plain list of entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "Vec<TimelineEntry>")]
pub struct Timeline {
    entries: VecDeque<TimelineEntry>,
    /// Message id → the seqs of its entries (a sent and a received message may share an id).
    by_id: HashMap<String, Vec<u64>>,
}

impl From<Vec<TimelineEntry>> for Timeline {
    fn from(entries: Vec<TimelineEntry>) -> Self {
        let mut timeline = Timeline::default();
        for entry in entries {
            timeline.index(&entry);
            timeline.entries.push_back(entry);
        }
        timeline
    }
}

impl Serialize for Timeline {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(serializer)
    }
}

impl Timeline {
    /// Appends an entry with the next sequence number, dropping the oldest beyond the cap.
    pub fn push(&mut self, mut entry: TimelineEntry) -> u64 {
        entry.seq = self.entries.back().map_or(1, |m| m.seq + 1);
        let seq = entry.seq;
        self.index(&entry);
        self.entries.push_back(entry);
        while self.entries.len() > MAX_TIMELINE {
            if let Some(old) = self.entries.pop_front() {
                self.unindex(&old);
            }
        }
        seq
    }

    /// Every entry, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &TimelineEntry> {
        self.entries.iter()
    }

    /// The newest entry with message id `id` that satisfies `pred`.
    pub fn find(&self, id: &str, pred: impl Fn(&TimelineEntry) -> bool) -> Option<&TimelineEntry> {
        let position = self.position(id, pred)?;
        self.entries.get(position)
    }

    /// Like [`Timeline::find`], for changing the entry.
    pub fn find_mut(
        &mut self,
        id: &str,
        pred: impl Fn(&TimelineEntry) -> bool,
    ) -> Option<&mut TimelineEntry> {
        let position = self.position(id, pred)?;
        self.entries.get_mut(position)
    }

    /// Removes every entry with message id `id` that satisfies `pred`.
    pub fn remove(&mut self, id: &str, pred: impl Fn(&TimelineEntry) -> bool) {
        while let Some(position) = self.position(id, &pred) {
            if let Some(old) = self.entries.remove(position) {
                self.unindex(&old);
            }
        }
    }

    /// Applies an edit (`Some(new text)`) or a revoke (`None`) of message `id` of `chat`, made by
    /// `author` (device-less JID of its sender); false when there is no such message by them.
    pub fn apply_change(
        &mut self,
        chat: &str,
        id: &str,
        author: &str,
        edit: Option<Option<String>>,
    ) -> bool {
        let by = |m: &TimelineEntry| m.chat == chat && same_user(&m.sender, author);
        let Some(entry) = self.find_mut(id, by) else {
            return false;
        };
        match edit {
            Some(text) => {
                entry.text = text;
                entry.details.edited = true;
            }
            None => {
                entry.kind = "revoked".to_owned();
                entry.text = None;
                entry.media = None;
                entry.reaction = None;
                entry.details = Details::default();
            }
        }
        true
    }

    /// Records a receipt from `device` on the phone's own message `id`; a receipt never
    /// downgrades (a late delivery after a read keeps `read`). False if no such sent message.
    pub fn record_receipt(&mut self, id: &str, device: &str, kind: &str) -> bool {
        let Some(entry) = self.find_mut(id, |m| m.from_me) else {
            return false;
        };
        let current = entry.receipts.get(device).map_or(0, |k| rank(k));
        if rank(kind) > current {
            entry.receipts.insert(device.to_owned(), kind.to_owned());
        }
        true
    }

    fn position(&self, id: &str, pred: impl Fn(&TimelineEntry) -> bool) -> Option<usize> {
        self.by_id.get(id)?.iter().rev().find_map(|seq| {
            let position = self.entries.binary_search_by_key(seq, |m| m.seq).ok()?;
            self.entries.get(position).filter(|m| pred(m))?;
            Some(position)
        })
    }

    fn index(&mut self, entry: &TimelineEntry) {
        self.by_id
            .entry(entry.id.clone())
            .or_default()
            .push(entry.seq);
    }

    fn unindex(&mut self, entry: &TimelineEntry) {
        if let Some(seqs) = self.by_id.get_mut(&entry.id) {
            seqs.retain(|seq| *seq != entry.seq);
            if seqs.is_empty() {
                self.by_id.remove(&entry.id);
            }
        }
    }
}

fn rank(kind: &str) -> u8 {
    match kind {
        "delivery" => 1,
        "read" => 2,
        "played" => 3,
        _ => 0,
    }
}

/// Whether two JIDs name the same user (devices aside).
fn same_user(a: &str, b: &str) -> bool {
    let user = |j: &str| {
        let (user, server) = j.split_once('@').unwrap_or((j, ""));
        (
            user.split(':').next().unwrap_or(user).to_owned(),
            server.to_owned(),
        )
    };
    user(a) == user(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> TimelineEntry {
        let content = Content {
            kind: openwa_protocol::content::ContentKind::Text,
            text: Some("x".into()),
            media: None,
            reaction: None,
            details: Details::default(),
        };
        let mut e = TimelineEntry::new(id, "c", "s", content, 1);
        e.from_me = true;
        e
    }

    #[test]
    fn receipts_never_downgrade_and_seq_increases() {
        let mut timeline = Timeline::default();
        assert_eq!(timeline.push(entry("a")), 1);
        assert_eq!(timeline.push(entry("b")), 2);
        assert!(timeline.record_receipt("a", "d:1", "read"));
        assert!(timeline.record_receipt("a", "d:1", "delivery"));
        assert_eq!(
            timeline.find("a", |_| true).unwrap().receipts["d:1"],
            "read"
        );
        assert!(!timeline.record_receipt("zz", "d:1", "read"));
    }

    #[test]
    fn the_index_follows_the_cap_removals_and_a_round_trip() {
        let mut timeline = Timeline::default();
        let mut received = entry("dup");
        received.from_me = false;
        timeline.push(received);
        for i in 0..MAX_TIMELINE {
            timeline.push(entry(&i.to_string()));
        }
        // The first entry fell off: no trace of it in the index.
        assert!(timeline.find("dup", |_| true).is_none());
        assert!(!timeline.by_id.contains_key("dup"));
        assert_eq!(timeline.iter().count(), MAX_TIMELINE);
        let newest = (MAX_TIMELINE - 1).to_string();
        assert_eq!(
            timeline.find(&newest, |m| m.from_me).unwrap().seq,
            MAX_TIMELINE as u64 + 1
        );

        // A sent and a received entry sharing an id are told apart by the predicate.
        let mut received = entry("7");
        received.from_me = false;
        let seq = timeline.push(received);
        assert_eq!(timeline.find("7", |m| !m.from_me).unwrap().seq, seq);
        assert!(timeline.find("7", |m| m.from_me).unwrap().seq < seq);
        timeline.remove("7", |m| m.from_me);
        assert!(timeline.find("7", |m| m.from_me).is_none());
        assert_eq!(timeline.find("7", |_| true).unwrap().seq, seq);

        // Stored as a plain list; loading rebuilds the index.
        let json = serde_json::to_string(&timeline).unwrap();
        assert!(json.starts_with('['));
        let back: Timeline = serde_json::from_str(&json).unwrap();
        assert_eq!(back, timeline);
    }
}
