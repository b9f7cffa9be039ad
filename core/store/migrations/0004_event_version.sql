-- The format version of each event's payload, so a reader can decode events written by older
-- builds (every event before this column is version 1). A BIGINT like every other integer of the
-- schema. Replay of one session's events uses the existing index event_log_by_session
-- (session_id, seq).
ALTER TABLE event_log ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
