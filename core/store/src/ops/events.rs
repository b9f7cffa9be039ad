//! The global event log: every event of every session, numbered by one strictly increasing `seq`.
//!
//! Sequence numbers come from a counter row that each appending transaction updates; the row lock
//! is held until that transaction commits, so sequence numbers are assigned in commit order and a
//! reader paging with `events_since` never skips an event that commits later with a smaller seq.
//! A group commit updates the row once for its first event, counts the others in memory and
//! writes the last seq back before it commits (one statement per event instead of two).

use crate::backend::{Row, args};
use crate::tx::{SeqCounter, StoreTx, limit, to_u32};
use crate::{EventRecord, StoreError, now_millis};

const COLUMNS: &str = "SELECT seq, session_id, kind, version, payload, created_at FROM event_log";

fn decode(row: &Row) -> Result<EventRecord, StoreError> {
    let seq = row.int("seq")?;
    let payload = row.text("payload")?;
    Ok(EventRecord {
        seq: u64::try_from(seq)
            .map_err(|_| StoreError::corrupt("event_log", format!("seq {seq}")))?,
        session_id: row.text("session_id")?,
        kind: row.text("kind")?,
        version: to_u32("event_log", row.int("version")?)?,
        payload: serde_json::from_str(&payload)
            .map_err(|e| StoreError::corrupt("event_log", e.to_string()))?,
        created_at: row.int("created_at")?,
    })
}

fn cursor(after: u64) -> Result<i64, StoreError> {
    i64::try_from(after).map_err(|_| StoreError::InvalidArgument(format!("cursor {after}")))
}

impl StoreTx {
    /// Appends an event and returns its `seq`. It becomes visible to readers at commit.
    pub async fn append_event(
        &mut self,
        session_id: &str,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<u64, StoreError> {
        self.append_event_json(session_id, kind, &payload.to_string())
            .await
    }

    /// [`StoreTx::append_event`] with the payload already serialized: `payload` must be one JSON
    /// value (it is stored as given and parsed when read back). Callers that build the payload
    /// from their own types serialize it once, outside the writer. The payload's format
    /// version is 1; see [`StoreTx::append_versioned_event_json`].
    pub async fn append_event_json(
        &mut self,
        session_id: &str,
        kind: &str,
        payload: &str,
    ) -> Result<u64, StoreError> {
        self.append_versioned_event_json(session_id, kind, 1, payload)
            .await
    }

    /// [`StoreTx::append_event_json`] with the payload's format `version`, handed back as
    /// [`EventRecord::version`] so readers can decode payloads written by older builds.
    pub async fn append_versioned_event_json(
        &mut self,
        session_id: &str,
        kind: &str,
        version: u32,
        payload: &str,
    ) -> Result<u64, StoreError> {
        let now = now_millis();
        let counted =
            match self.seqs {
                SeqCounter::Held { last, .. } => Some(last.checked_add(1).ok_or_else(|| {
                    StoreError::corrupt("counters", format!("seq {last} overflows"))
                })?),
                SeqCounter::PerAppend | SeqCounter::Unread => None,
            };
        let seq = match counted {
            Some(seq) => seq,
            None => self
                .fetch_one(
                    "UPDATE counters SET value = value + 1 WHERE name = 'event_seq' \
                     RETURNING value",
                    args![],
                )
                .await?
                .int("value")?,
        };
        self.execute(
            "INSERT INTO event_log (seq, session_id, kind, version, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            args![seq, session_id, kind, i64::from(version), payload, now],
        )
        .await?;
        self.seqs = match self.seqs {
            SeqCounter::PerAppend => SeqCounter::PerAppend,
            SeqCounter::Unread => SeqCounter::Held {
                last: seq,
                stored: seq,
            },
            SeqCounter::Held { stored, .. } => SeqCounter::Held { last: seq, stored },
        };
        u64::try_from(seq).map_err(|_| StoreError::corrupt("counters", format!("seq {seq}")))
    }

    /// Writes a group commit's last handed-out seq back to the counter row (see
    /// [`SeqCounter`]); nothing to do when it is already there.
    pub(crate) async fn flush_seqs(&mut self) -> Result<(), StoreError> {
        if let SeqCounter::Held { last, stored } = self.seqs
            && last != stored
        {
            self.execute(
                "UPDATE counters SET value = $1 WHERE name = 'event_seq'",
                args![last],
            )
            .await?;
            self.seqs = SeqCounter::Held { last, stored: last };
        }
        Ok(())
    }

    /// Up to `max` events with `seq > after`, in seq order. Start with `after = 0`; continue with
    /// the last seq received.
    pub async fn events_since(
        &mut self,
        after: u64,
        max: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!("{COLUMNS} WHERE seq > $1 ORDER BY seq LIMIT $2");
        let (after, max) = (cursor(after)?, limit(max)?);
        let rows = self.fetch_all(&sql, args![after, max]).await?;
        rows.iter().map(decode).collect()
    }

    /// Like [`StoreTx::events_since`], for one session's events only (replay of one session;
    /// the events of a deleted session stay readable). `after` is a global seq: start with 0,
    /// continue with the last seq received.
    pub async fn events_since_for_session(
        &mut self,
        session_id: &str,
        after: u64,
        max: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let sql = format!("{COLUMNS} WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3");
        let (after, max) = (cursor(after)?, limit(max)?);
        let rows = self.fetch_all(&sql, args![session_id, after, max]).await?;
        rows.iter().map(decode).collect()
    }

    /// The same as [`StoreTx::events_since_for_session`] (its former name).
    pub async fn session_events_since(
        &mut self,
        session_id: &str,
        after: u64,
        max: u32,
    ) -> Result<Vec<EventRecord>, StoreError> {
        self.events_since_for_session(session_id, after, max).await
    }

    /// The highest seq ever assigned (0 before the first event), even if pruned since.
    pub async fn last_event_seq(&mut self) -> Result<u64, StoreError> {
        let seq = self
            .fetch_one(
                "SELECT value FROM counters WHERE name = 'event_seq'",
                args![],
            )
            .await?
            .int("value")?;
        u64::try_from(seq).map_err(|_| StoreError::corrupt("counters", format!("seq {seq}")))
    }

    /// Deletes events with `seq <= up_to` (retention). Returns how many.
    pub async fn prune_events(&mut self, up_to: u64) -> Result<u64, StoreError> {
        let up_to = cursor(up_to)?;
        self.execute("DELETE FROM event_log WHERE seq <= $1", args![up_to])
            .await
    }
}
