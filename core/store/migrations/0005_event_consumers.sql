-- Durable consumers of the event log: each named consumer's position (the last seq it has
-- processed), over every event or one session's (session_id). No foreign key: like the events,
-- a consumer outlives its session. Nothing secret, so nothing encrypted.
CREATE TABLE event_consumers (
    name TEXT PRIMARY KEY,
    session_id TEXT,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
