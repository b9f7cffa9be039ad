//! The store's test suite, run once against SQLite and once against PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;
#[path = "../common/mod.rs"]
mod common;

use cases::*;
use openwa_store::on_both_backends;

on_both_backends!(
    sessions_lifecycle,
    session_scoped_writes_need_the_session,
    deleting_a_session_cascades_but_keeps_events,
    device_credentials_round_trip,
    device_secrets_are_encrypted_at_rest,
    identities,
    prekeys_and_id_allocation,
    prekey_ids_wrap_around,
    signed_prekeys,
    signal_sessions,
    sender_keys,
    lid_mappings,
    device_lists,
    messages_insert_dedup_and_status,
    message_pagination,
    message_pagination_across_chats,
    schema_2_loses_its_outgoing_copy,
    event_log_order_and_replay,
    key_value,
    transactions_are_atomic,
    commit_incoming_persists_everything_at_once,
    signal_records_are_encrypted_at_rest,
    wrong_key_is_a_typed_error,
    tampered_or_swapped_values_are_corrupt,
    key_file_is_created_and_reused,
    concurrent_event_appends_are_gapless,
    group_commit_isolates_failures_and_orders_hooks,
    writes_are_queued_in_call_order,
    data_survives_reopen,
    newer_schema_is_refused,
);
