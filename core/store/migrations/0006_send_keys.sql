-- Idempotency keys of sends: the message a caller-chosen key was first used for, so a retried
-- send answers that message instead of sending again. Claimed in the write unit that stores the
-- outgoing message. Not secret: the chat and message id are in clear in messages too.
CREATE TABLE send_keys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    chat TEXT NOT NULL,
    message_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, key)
);
CREATE INDEX send_keys_by_age ON send_keys (created_at);
