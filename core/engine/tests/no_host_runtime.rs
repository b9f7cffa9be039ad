//! The engine brings its own runtime: a host with no tokio at all (a plain thread polling with
//! a trivial executor, as a foreign-language binding might) opens a manager on SQLite, creates
//! a session, reads events, replays the log and closes, with no "no reactor running" panic.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use openwa::{AtRestKey, ManagerConfig, SessionManager, StoreBackend, StoreConfig};

/// A minimal executor that is not tokio's: parks the thread until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
        std::thread::park();
    }
}

#[test]
fn a_host_without_tokio_drives_the_manager() {
    let dir = std::env::temp_dir().join(format!("openwa-nohost-{}", std::process::id()));
    let config = ManagerConfig {
        store: StoreConfig {
            backend: StoreBackend::Sqlite {
                path: dir.join("db.sqlite"),
            },
            at_rest_key: Some(AtRestKey::File {
                path: dir.join("db.key"),
            }),
        },
        runtime_threads: 1,
        ..ManagerConfig::default()
    };
    let outcome = std::thread::spawn(move || {
        block_on(async {
            let manager = SessionManager::open(config).await.unwrap();
            let session = manager.create_session("plain", None).await.unwrap();
            assert_eq!(manager.list().await.unwrap().len(), 1);
            let from_start = manager.events_from(0);
            session.connect().await.unwrap();
            // The connection fails (nothing listens at the default URL from here, or it is
            // refused): either way its state changes are logged and replayed.
            let first = from_start.next().await.unwrap();
            assert_eq!(first.session_id, "plain");
            assert!(!manager.events_since(0, 10).await.unwrap().is_empty());
            session.disconnect().await.unwrap();
            manager.close().await.unwrap();
        })
    })
    .join();
    let _ = std::fs::remove_dir_all(&dir);
    outcome.unwrap();
}
