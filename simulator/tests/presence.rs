//! Presence between real protocol clients: a subscription is answered with the contact's current
//! availability, and later changes (available, unavailable with last seen, a dropped connection)
//! reach the subscribed device.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::dev::Dev;
use common::session::{online, pair};
use common::start;
use openwa_protocol::Jid;
use openwa_protocol::stanza::presence::{LastSeen, Presence};

const A: &str = "15550000051";
const B: &str = "15550000052";

async fn next_presence(dev: &mut Dev) -> Presence {
    let node = dev.next(|n| n.tag == "presence").await;
    Presence::from_node(&node).unwrap()
}

#[tokio::test]
async fn subscribers_follow_availability_and_last_seen() {
    let sim = start().await;
    sim.create_account(A, "Ann").unwrap();
    sim.create_account(B, "Bea").unwrap();
    let a = pair(&sim, A).await;
    let b = pair(&sim, B).await;
    let (client, queued) = online(&sim, &b).await;
    let mut bea = Dev::new(client, queued);

    // Bea subscribes to Ann, who is not online: the answer says so, with no last seen yet.
    let subscribe = Presence::Subscribe {
        to: Jid::pn(A),
        tctoken: None,
    };
    bea.client.send(&subscribe.to_node()).await.unwrap();
    assert_eq!(
        next_presence(&mut bea).await,
        Presence::Update {
            from: Jid::pn(A),
            available: false,
            last: None,
        }
    );

    // Ann comes online and says so.
    let (client, queued) = online(&sim, &a).await;
    let mut ann = Dev::new(client, queued);
    let available = Presence::Set {
        available: true,
        name: Some("Ann".into()),
    };
    ann.client.send(&available.to_node()).await.unwrap();
    assert_eq!(
        next_presence(&mut bea).await,
        Presence::Update {
            from: Jid::pn(A),
            available: true,
            last: None,
        }
    );

    // Her connection drops: unavailable, with the time she was last seen.
    drop(ann);
    match next_presence(&mut bea).await {
        Presence::Update {
            from,
            available: false,
            last: Some(LastSeen::At(t)),
        } => {
            assert_eq!(from, Jid::pn(A));
            assert!(t > 1_600_000_000, "{t}");
        }
        other => panic!("expected unavailable with last seen, got {other:?}"),
    }

    // A subscription by LID is answered in LID form.
    let lid = sim.sim().read(|s| Jid::lid(s.accounts[A].lid.clone()));
    let by_lid = Presence::Subscribe {
        to: lid.clone(),
        tctoken: None,
    };
    bea.client.send(&by_lid.to_node()).await.unwrap();
    match next_presence(&mut bea).await {
        Presence::Update {
            from,
            available: false,
            ..
        } => assert_eq!(from, lid),
        other => panic!("{other:?}"),
    }
}
