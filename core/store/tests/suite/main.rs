//! The store's test suite, run against each backend: memory, SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cases;

use cases::*;
use openwa_store::on_every_backend;

on_every_backend! {
    all: [
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
        message_content_updates,
        message_pagination,
        message_pagination_across_chats,
        event_log_order_and_replay,
        key_value,
        transactions_are_atomic,
        commit_incoming_persists_everything_at_once,
        signal_records_are_encrypted_at_rest,
        tampered_or_swapped_values_are_corrupt,
        concurrent_event_appends_are_gapless,
        group_commit_isolates_failures_and_orders_hooks,
        writes_are_queued_in_call_order,
        session_handle_scopes_calls,
        event_versions_and_session_replay,
        event_consumers,
        send_keys,
        send_queue,
        concurrent_send_key_claims,
        group_sender_key_holders,
        poll_votes,
        reads_during_an_open_transaction,
        chats_contacts_and_pending_history,
        app_state_tables,
        delete_and_clear_chat,
    ],
    // Data that outlives the store (a reopen, a schema edited between two opens): a memory
    // store's data ends when it closes.
    persistent: [
        schema_2_loses_its_outgoing_copy,
        schema_3_events_read_as_version_1,
        wrong_key_is_a_typed_error,
        key_file_is_created_and_reused,
        data_survives_reopen,
        consumer_ack_survives_reopen,
        newer_schema_is_refused,
    ],
    memory: [
        memory_data_ends_with_the_store,
        memory_stores_are_isolated,
    ],
}
