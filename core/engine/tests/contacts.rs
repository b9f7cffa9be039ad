//! Which phone numbers are on WhatsApp: one query through the simulator, answers in the order
//! asked, with JIDs and LIDs; bad numbers refused before anything is asked.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::ErrorCode;
use openwa_testkit::{TestStore, link_by_qr, sim_options, simulator};

const ALICE: &str = "15550006001";
const BOB: &str = "15550006002";

async fn numbers_on_whatsapp(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let bob = sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;

    let asked = vec![
        "+1 555 000 6002".to_owned(),
        "15559990000".to_owned(),
        format!("{BOB}@c.us"),
    ];
    let answers = alice.check_numbers(asked.clone()).await.unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers[0].input, asked[0]);
    assert!(answers[0].exists);
    assert_eq!(
        answers[0].jid.as_deref(),
        Some(&*format!("{BOB}@s.whatsapp.net"))
    );
    assert_eq!(answers[0].lid.as_deref(), Some(bob.lid.as_str()));
    assert!(!answers[1].exists);
    assert_eq!(
        (answers[1].jid.as_ref(), answers[1].lid.as_ref()),
        (None, None)
    );
    assert!(answers[2].exists, "{:?}", answers[2]);

    for bad in [
        vec![],
        vec!["not a number".to_owned()],
        vec!["1".repeat(7); 101],
    ] {
        let err = alice.check_numbers(bad).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
    }
    alice.disconnect().await.unwrap();
    let err = alice.check_numbers(vec![BOB.into()]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotConnected);
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(all: [numbers_on_whatsapp]);
