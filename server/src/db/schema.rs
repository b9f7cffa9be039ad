//! The server's migrations: numbered from 1 in list order, each applied once (recorded in
//! `server_migrations`). Add new ones at the end; never edit an applied one.
//! Times are Unix milliseconds; booleans are 0/1; lists and maps are JSON texts.

/// The table recording applied migrations.
pub(super) const MIGRATIONS_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS server_migrations (version BIGINT PRIMARY KEY)";

/// Shared column lists; only the outbox's key differs between backends.
macro_rules! tables {
    ($outbox_id:literal) => {
        [
            "CREATE TABLE IF NOT EXISTS server_sessions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, config TEXT NOT NULL,
                proxy_url TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS server_api_keys (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
                key_prefix TEXT NOT NULL, role TEXT NOT NULL, is_active BIGINT NOT NULL,
                created_at BIGINT NOT NULL, last_used_at BIGINT, usage_count BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS server_webhooks (
                id TEXT PRIMARY KEY, session_id TEXT NOT NULL, url TEXT NOT NULL,
                events TEXT NOT NULL, secret TEXT, headers TEXT NOT NULL, active BIGINT NOT NULL,
                retry_count BIGINT NOT NULL, last_triggered_at BIGINT,
                created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)",
            concat!(
                "CREATE TABLE IF NOT EXISTS server_outbox (id ",
                $outbox_id,
                ", webhook_id TEXT NOT NULL, session_id TEXT NOT NULL, event_seq BIGINT NOT NULL,
                event TEXT NOT NULL, idempotency_key TEXT NOT NULL, delivery_id TEXT NOT NULL,
                body TEXT NOT NULL, status TEXT NOT NULL, attempts BIGINT NOT NULL,
                max_attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, last_error TEXT,
                last_status BIGINT, created_at BIGINT NOT NULL, delivered_at BIGINT,
                UNIQUE (webhook_id, event_seq, event))"
            ),
            "CREATE INDEX IF NOT EXISTS server_outbox_due
                ON server_outbox (status, next_attempt_at)",
            "CREATE TABLE IF NOT EXISTS server_idempotency (
                session_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash TEXT NOT NULL,
                message_id TEXT NOT NULL, timestamp BIGINT NOT NULL, created_at BIGINT NOT NULL,
                PRIMARY KEY (session_id, idem_key))",
        ]
    };
}

/// Migration 2: key scopes (JSON lists; empty = everything).
const KEY_SCOPES: &[&str] = &[
    "ALTER TABLE server_api_keys ADD COLUMN allowed_sessions TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE server_api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '[]'",
];

/// Migration 3: the audit log.
macro_rules! audit {
    ($id:literal) => {
        [concat!(
            "CREATE TABLE IF NOT EXISTS server_audit (id ",
            $id,
            ", at BIGINT NOT NULL, key_id TEXT, method TEXT NOT NULL, path TEXT NOT NULL, \
             status BIGINT NOT NULL, ip TEXT)"
        )]
    };
}

/// Migration 4: webhook content filters (JSON, NULL = none).
const WEBHOOK_FILTERS: &[&str] = &["ALTER TABLE server_webhooks ADD COLUMN filters TEXT"];

/// Migration 5: API key expiry; the idempotency table pruned by age.
const KEY_EXPIRY: &[&str] = &[
    "ALTER TABLE server_api_keys ADD COLUMN expires_at BIGINT",
    "CREATE INDEX IF NOT EXISTS server_idempotency_age ON server_idempotency (created_at)",
];

/// SQLite's migrations.
pub(super) const SQLITE: &[&[&str]] = &[
    &tables!("INTEGER PRIMARY KEY AUTOINCREMENT"),
    KEY_SCOPES,
    &audit!("INTEGER PRIMARY KEY AUTOINCREMENT"),
    WEBHOOK_FILTERS,
    KEY_EXPIRY,
];
/// PostgreSQL's migrations.
pub(super) const POSTGRES: &[&[&str]] = &[
    &tables!("BIGSERIAL PRIMARY KEY"),
    KEY_SCOPES,
    &audit!("BIGSERIAL PRIMARY KEY"),
    WEBHOOK_FILTERS,
    KEY_EXPIRY,
];
