-- App-state sync. Keys our phone shared (key data sealed), by hex key id.
CREATE TABLE app_state_keys (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key_id TEXT NOT NULL,
    key_data {blob} NOT NULL,
    timestamp BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, key_id)
);
-- Where each collection is: its version and LT-hash (128 bytes).
CREATE TABLE app_state_versions (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    collection TEXT NOT NULL,
    version BIGINT NOT NULL,
    hash {blob} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, collection)
);
-- The value MAC each live index (hex index MAC) has, to take it out of the LT-hash when the
-- index is overwritten or removed.
CREATE TABLE app_state_macs (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    collection TEXT NOT NULL,
    index_mac TEXT NOT NULL,
    value_mac {blob} NOT NULL,
    PRIMARY KEY (session_id, collection, index_mac)
);
-- A chat marked unread by hand (app state), besides its unread count.
ALTER TABLE chats ADD COLUMN marked_unread BIGINT NOT NULL DEFAULT 0;
-- Labels (WhatsApp Business), by the id the account gave them.
CREATE TABLE labels (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    color BIGINT NOT NULL DEFAULT 0,
    deleted BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);
-- Chats and messages on a label; `message_id` is '' for a chat.
CREATE TABLE label_associations (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    chat TEXT NOT NULL,
    message_id TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, label, chat, message_id)
);
CREATE INDEX label_associations_by_chat ON label_associations (session_id, chat);
-- Starred messages.
CREATE TABLE starred_messages (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    message_id TEXT NOT NULL,
    from_me BIGINT NOT NULL,
    participant TEXT,
    starred_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat, message_id)
);
CREATE INDEX starred_by_time ON starred_messages (session_id, starred_at, chat, message_id);
