-- Chats: one row per chat the session knows (from history sync or a stored message), keyed by
-- the chat JID messages are stored under. `alt` is the chat's other form (LID for a PN chat,
-- PN for a LID chat) when known. The flag columns are there for app-state sync (archive, pin,
-- mute, marked unread); history sync fills them when the phone tells.
CREATE TABLE chats (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    chat TEXT NOT NULL,
    alt TEXT,
    name TEXT,
    last_message_id TEXT,
    last_message_at BIGINT NOT NULL DEFAULT 0,
    unread_count BIGINT NOT NULL DEFAULT 0,
    archived BIGINT NOT NULL DEFAULT 0,
    pinned BIGINT NOT NULL DEFAULT 0,
    muted_until BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat)
);
CREATE INDEX chats_by_time ON chats (session_id, last_message_at, chat);
-- Contacts: the names the account's contacts go by (push names from messages and history
-- sync; `full_name` is for the address-book names app-state sync brings). Keyed by user JID
-- (PN or LID form; lid_mappings links the two).
CREATE TABLE contacts (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    jid TEXT NOT NULL,
    push_name TEXT,
    full_name TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, jid)
);
-- History-sync notifications acknowledged but not ingested yet: written in the commit of the
-- peer message that carried them, deleted in the commit that stores their blob's content, so a
-- crash in between resumes the download. `notification` (it holds the blob's media key) is
-- sealed.
CREATE TABLE history_pending (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    sync_type BIGINT NOT NULL,
    chunk_order BIGINT NOT NULL,
    notification {blob} NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, id)
);
