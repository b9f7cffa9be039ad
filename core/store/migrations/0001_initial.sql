-- OpenWA store schema, version 1.
-- One source for both dialects: {blob} becomes the dialect's byte-string type, and {bytewise}
-- makes text keys compare and sort byte-wise in both. Every other
-- type is portable: integers are BIGINT (64-bit in both), strings TEXT. Booleans are 0/1 BIGINTs.
-- Columns holding secrets are AES-256-GCM ciphertexts written by the store (see crypto.rs).

CREATE TABLE store_meta (
    name TEXT PRIMARY KEY,
    value {blob} NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('event_seq', 0);

CREATE TABLE sessions (
    id TEXT {bytewise} PRIMARY KEY,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE device_credentials (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    registration_id BIGINT NOT NULL,
    noise_public {blob} NOT NULL,
    noise_private {blob} NOT NULL,
    identity_public {blob} NOT NULL,
    identity_private {blob} NOT NULL,
    signed_prekey_id BIGINT NOT NULL,
    signed_prekey_public {blob} NOT NULL,
    signed_prekey_private {blob} NOT NULL,
    signed_prekey_signature {blob} NOT NULL,
    adv_secret {blob} NOT NULL,
    account {blob},
    pn_jid TEXT,
    lid_jid TEXT,
    push_name TEXT,
    platform TEXT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE signal_identities (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    identity_key {blob} NOT NULL,
    trust BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, address)
);

CREATE TABLE signal_prekeys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key_id BIGINT NOT NULL,
    record {blob} NOT NULL,
    uploaded BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, key_id)
);
CREATE INDEX signal_prekeys_by_upload ON signal_prekeys (session_id, uploaded, key_id);

CREATE TABLE signal_signed_prekeys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key_id BIGINT NOT NULL,
    record {blob} NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, key_id)
);

CREATE TABLE signal_sessions (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    address TEXT {bytewise} NOT NULL,
    record {blob} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, address)
);

CREATE TABLE signal_sender_keys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    record {blob} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, group_id, sender)
);

CREATE TABLE lid_mappings (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    lid TEXT NOT NULL,
    pn TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, lid)
);
CREATE UNIQUE INDEX lid_mappings_by_pn ON lid_mappings (session_id, pn);

CREATE TABLE device_lists (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    devices TEXT NOT NULL,
    list_hash TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE messages (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    id TEXT {bytewise} NOT NULL,
    sender TEXT NOT NULL,
    from_me BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    msg_type TEXT NOT NULL,
    body TEXT,
    payload {blob},
    status BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat, id)
);
CREATE INDEX messages_history ON messages (session_id, chat, sent_at, id);

CREATE TABLE outgoing_messages (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    id TEXT NOT NULL,
    payload {blob} NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat, id)
);
CREATE INDEX outgoing_messages_by_age ON outgoing_messages (session_id, created_at);

-- No foreign key: events outlive their session (a deletion is itself an event).
CREATE TABLE event_log (
    seq BIGINT PRIMARY KEY,
    session_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX event_log_by_session ON event_log (session_id, seq);

CREATE TABLE session_kv (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value {blob} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, name)
);

CREATE TABLE session_counters (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (session_id, name)
);
