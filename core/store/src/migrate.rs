//! Schema migrations: one SQL source per version, rendered for the dialect at run time.

use crate::StoreError;
use crate::backend::{Dialect, Handle, args};

/// A schema version: its number, name and portable SQL.
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order. Append only; never edit an applied one.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sql: include_str!("../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "prekey_public",
        sql: include_str!("../migrations/0002_prekey_public.sql"),
    },
    Migration {
        version: 3,
        name: "drop_outgoing_copy",
        sql: include_str!("../migrations/0003_drop_outgoing_copy.sql"),
    },
    Migration {
        version: 4,
        name: "event_version",
        sql: include_str!("../migrations/0004_event_version.sql"),
    },
    Migration {
        version: 5,
        name: "event_consumers",
        sql: include_str!("../migrations/0005_event_consumers.sql"),
    },
    Migration {
        version: 6,
        name: "send_keys",
        sql: include_str!("../migrations/0006_send_keys.sql"),
    },
    Migration {
        version: 7,
        name: "group_sender_key_holders",
        sql: include_str!("../migrations/0007_group_sender_key_holders.sql"),
    },
    Migration {
        version: 8,
        name: "poll_votes",
        sql: include_str!("../migrations/0008_poll_votes.sql"),
    },
    Migration {
        version: 9,
        name: "chats_contacts_history",
        sql: include_str!("../migrations/0009_chats_contacts_history.sql"),
    },
    Migration {
        version: 10,
        name: "app_state",
        sql: include_str!("../migrations/0010_app_state.sql"),
    },
    Migration {
        version: 11,
        name: "send_queue",
        sql: include_str!("../migrations/0011_send_queue.sql"),
    },
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 11;

/// Arbitrary constant key of the PostgreSQL advisory lock serializing concurrent migrators.
const PG_MIGRATION_LOCK: i64 = 0x6f70_656e_7761_0001;

/// Replaces the dialect placeholders of a migration source.
fn render(sql: &str, dialect: Dialect) -> String {
    let blob = match dialect {
        Dialect::Sqlite => "BLOB",
        Dialect::Postgres => "BYTEA",
    };
    let bytewise = match dialect {
        Dialect::Sqlite => "COLLATE BINARY",
        Dialect::Postgres => "COLLATE \"C\"",
    };
    sql.replace("{blob}", blob).replace("{bytewise}", bytewise)
}

/// Brings the schema up to [`SCHEMA_VERSION`] inside the given write transaction.
pub(crate) async fn run(handle: &mut Handle, dialect: Dialect) -> Result<(), StoreError> {
    let create = "CREATE TABLE IF NOT EXISTS openwa_migrations (\
        version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
    if dialect == Dialect::Postgres {
        handle
            .fetch_optional("SELECT pg_advisory_xact_lock($1)", args![PG_MIGRATION_LOCK])
            .await?;
    }
    handle.execute(create, args![]).await?;
    let current = handle
        .fetch_optional(
            "SELECT COALESCE(MAX(version), 0) AS version FROM openwa_migrations",
            args![],
        )
        .await?
        .map(|row| row.int("version"))
        .transpose()?
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Migration(format!(
            "database schema version {current} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        let sql = render(migration.sql, dialect);
        handle.execute_batch(&sql).await.map_err(|e| {
            StoreError::Migration(format!("{} ({}): {e}", migration.version, migration.name))
        })?;
        handle
            .execute(
                "INSERT INTO openwa_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                args![migration.version, migration.name, crate::now_millis()],
            )
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_latest_is_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn render_replaces_every_placeholder() {
        for m in MIGRATIONS {
            let has_blob = m.sql.contains("{blob}");
            let pg = render(m.sql, Dialect::Postgres);
            assert!(!pg.contains('{') && pg.contains("BYTEA") == has_blob && !pg.contains("BLOB"));
            let lite = render(m.sql, Dialect::Sqlite);
            assert!(
                !lite.contains('{') && lite.contains("BLOB") == has_blob && !lite.contains("BYTEA")
            );
        }
    }
}
