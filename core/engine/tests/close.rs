//! A closed manager: every kind of event stream delivers what was published before the close
//! (the sessions' last `disconnected` included) and then ends, even one already waiting; every
//! call on the manager or one of its sessions fails with `cancelled`, not retryable; closing
//! again does nothing. On every backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{ConnectionState, Error, ErrorCode, EventKind, EventStream, SendOptions};
use openwa_testkit::{TestStore, WAIT, link_by_qr, sim_options, simulator};

const ENGINE: &str = "15550005001";

/// Every event left in `stream`, failing if it does not end in time.
async fn drain(stream: &EventStream) -> Vec<EventKind> {
    tokio::time::timeout(WAIT, async {
        let mut kinds = Vec::new();
        while let Some(event) = stream.next().await {
            kinds.push(event.kind);
        }
        kinds
    })
    .await
    .expect("the stream did not end after close()")
}

fn refused<T: std::fmt::Debug>(result: Result<T, Error>) {
    let err = result.expect_err("a closed manager answered");
    assert_eq!(err.code, ErrorCode::Cancelled, "{err:?}");
    assert!(!err.retryable, "{err:?}");
}

async fn a_closed_manager_ends_streams_and_refuses_calls(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ENGINE, "Engine").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("closing", None).await.unwrap();
    link_by_qr(&sim, &session, ENGINE).await;

    let all = manager.events();
    let mine = session.events();
    let replayed = manager.events_from(0);
    let resumed = session.events_from(0);
    let consumer = manager.consumer("app", Some("closing")).await.unwrap();
    // One stream is already waiting when the close happens.
    let waiting = {
        let stream = session.events();
        tokio::spawn(async move { drain(&stream).await })
    };

    manager.close().await.unwrap();
    manager.close().await.unwrap();

    for stream in [&all, &mine] {
        let kinds = drain(stream).await;
        assert!(
            kinds.iter().any(|k| matches!(
                k,
                EventKind::ConnectionState {
                    state: ConnectionState::Disconnected,
                    ..
                }
            )),
            "the last state change is delivered before the end: {kinds:?}"
        );
    }
    for stream in [&replayed, &resumed, &consumer] {
        drain(stream).await;
    }
    assert!(waiting.await.unwrap().iter().any(|k| matches!(
        k,
        EventKind::ConnectionState {
            state: ConnectionState::Disconnected,
            ..
        }
    )));
    assert!(session.events().next().await.is_none());
    assert!(manager.events_from(0).next().await.is_none());

    refused(manager.create_session("another", None).await);
    refused(manager.get("closing").await);
    refused(manager.list().await);
    refused(manager.delete("closing").await);
    refused(manager.events_since(0, 10).await);
    refused(manager.consumer("app", None).await);
    refused(consumer.ack(1).await);
    refused(session.connect().await);
    refused(session.disconnect().await);
    refused(session.logout().await);
    refused(session.events_since(0, 10).await);
    refused(
        session
            .send_text(ENGINE, "after close", SendOptions::default())
            .await,
    );
    refused(session.mark_read(ENGINE, vec!["X".to_owned()]).await);
    refused(session.messages(ENGINE, None, 10).await);
    refused(
        session
            .wait_for_state(ConnectionState::Connected, 100)
            .await,
    );
    assert_eq!(session.state(), ConnectionState::Disconnected);
}

openwa_store::on_every_backend!(all: [a_closed_manager_ends_streams_and_refuses_calls]);
