//! App-state sync end to end, on every backend: a phone with contacts, labels, archived,
//! pinned, muted and unread-marked chats and starred messages links a fresh session, which
//! lists them; a change made on the phone arrives as an event; a change made through the
//! session reaches the phone and a second linked device; a tampered patch and a wrong LT-hash
//! are refused and the collection is synced again from scratch, reporting only what changed;
//! a chat deleted here or on the phone is gone on every device, a cleared one keeps only itself;
//! patches the server answers a page at a time all arrive.
//! And with an unmodified Baileys 7
//! as the account's other companion: our patches reach it, its patch reaches us. And a session
//! that lacks the key asks the phone for it.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use openwa::{ChatSetting, EventKind, Session};
use openwa_simulator::SimulatorHandle;
use openwa_testkit::baileys::{
    BAILEYS7, pair_by_qr_with_env, reports_app_state as reports, require_node_modules,
    temp_auth_dir,
};
use openwa_testkit::{
    TestStore, WAIT, http, link_by_qr, next_matching, phone_sends, sim_options, simulator,
};
use serde_json::{Value, json};

const ALICE: &str = "15550008001";
const BOB: &str = "15550008002";
const CAROL: &str = "15550008003";

fn jid(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

async fn change(sim: &SimulatorHandle, body: Value) {
    let path = format!("/admin/accounts/{ALICE}/app-state");
    let made = http(&sim.info.admin_url, "POST", &path, Some(body)).await;
    assert_eq!(made.status, 201, "{:?}", made.json());
}

async fn phone_view(sim: &SimulatorHandle) -> Value {
    let path = format!("/admin/accounts/{ALICE}/app-state");
    http(&sim.info.admin_url, "GET", &path, None).await.json()
}

/// The value of the phone's entry whose index is `index`.
async fn phone_entry(sim: &SimulatorHandle, collection: &str, index: &[&str]) -> Option<Value> {
    let view = phone_view(sim).await;
    view[collection]["entries"]
        .as_array()?
        .iter()
        .find(|e| e["index"] == json!(index))
        .map(|e| e["value"].clone())
}

/// Polls `check` until it holds (panics after [`WAIT`]).
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let waited = tokio::time::timeout(WAIT, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

async fn starred(session: &Session) -> Vec<String> {
    session
        .list_starred(100, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.message_id)
        .collect()
}

async fn app_state_syncs_both_ways(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    // The phone's app state before the link.
    for body in [
        json!({"action": "contact", "jid": BOB, "full_name": "Bob Builder", "first_name": "Bob"}),
        json!({"action": "label", "id": "1", "name": "Clients", "color": 2}),
        json!({"action": "label_chat", "label": "1", "chat": BOB, "labeled": true}),
        json!({"action": "archive", "chat": BOB, "archived": true}),
        json!({"action": "mute", "chat": BOB, "until": -1}),
        json!({"action": "mark_unread", "chat": BOB, "unread": true}),
        json!({"action": "pin", "chat": CAROL, "pinned": true}),
        json!({"action": "star", "chat": BOB, "id": "M1", "starred": true}),
    ] {
        change(&sim, body).await;
    }

    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    eventually("the phone's app state", || async {
        !starred(&session).await.is_empty()
            && session.get_chat(CAROL).await.is_ok_and(|c| c.pinned)
            && session
                .get_contact(BOB)
                .await
                .is_ok_and(|c| c.name.is_some())
            && !session.list_labels().await.unwrap().is_empty()
            && session
                .get_chat(BOB)
                .await
                .is_ok_and(|c| !c.labels.is_empty())
    })
    .await;
    let bob = session.get_chat(BOB).await.unwrap();
    assert!(bob.archived && bob.marked_unread, "{bob:?}");
    assert_eq!(bob.muted_until, Some(u64::MAX));
    assert_eq!(bob.labels, ["1"]);
    let contact = session.get_contact(BOB).await.unwrap();
    assert_eq!(contact.name.as_deref(), Some("Bob Builder"));
    let labels = session.list_labels().await.unwrap();
    assert_eq!(
        (
            labels[0].id.as_str(),
            labels[0].name.as_str(),
            labels[0].color
        ),
        ("1", "Clients", 2)
    );
    assert_eq!(starred(&session).await, ["M1"]);

    // A change on the phone arrives as an event.
    change(
        &sim,
        json!({"action": "archive", "chat": BOB, "archived": false}),
    )
    .await;
    let kind = next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ChatUpdated {
                setting: ChatSetting::Archived { archived: false },
                ..
            }
        )
    })
    .await;
    assert!(matches!(kind, EventKind::ChatUpdated { chat, .. } if chat == jid(BOB)));
    assert!(!session.get_chat(BOB).await.unwrap().archived);

    // Our changes reach the phone, and are ours once accepted.
    session.pin_chat(BOB, true).await.unwrap();
    assert!(session.get_chat(BOB).await.unwrap().pinned);
    let pin = phone_entry(&sim, "regular_low", &["pin_v1", &jid(BOB)]).await;
    assert_eq!(pin.unwrap()["pinned"], true);
    let label = session.create_label("VIP", 3).await.unwrap();
    assert_eq!(label.id, "2");
    session.label_chat("2", BOB).await.unwrap();
    session.star_message(BOB, "M2", true).await.unwrap();
    session.set_contact_name(BOB, "Robert", None).await.unwrap();
    session.mute_chat(BOB, None).await.unwrap();
    session.mark_chat_unread(BOB, false).await.unwrap();
    let bob = session.get_chat(BOB).await.unwrap();
    assert_eq!(bob.labels, ["1", "2"]);
    assert_eq!(bob.muted_until, None);
    assert!(!bob.marked_unread);
    assert_eq!(starred(&session).await, ["M2", "M1"]);
    let edit = phone_entry(&sim, "regular", &["label_edit", "2"])
        .await
        .unwrap();
    assert_eq!(edit["label"]["name"], "VIP");
    let name = phone_entry(&sim, "critical_unblock_low", &["contact", &jid(BOB)]).await;
    assert_eq!(name.unwrap()["contact"]["full_name"], "Robert");
    let star = phone_entry(&sim, "regular_high", &["star", &jid(BOB), "M2", "0", "0"]).await;
    assert_eq!(star.unwrap()["starred"], true);
    session.delete_label("2").await.unwrap();
    assert_eq!(session.list_labels().await.unwrap().len(), 1);

    // A second device of ours gets everything, and our next change as an event.
    let second = manager.create_session("alice-2", None).await.unwrap();
    let second_events = second.events();
    link_by_qr(&sim, &second, ALICE).await;
    eventually("the second device's app state", || async {
        second.get_chat(BOB).await.is_ok_and(|c| c.pinned)
            && second
                .get_contact(BOB)
                .await
                .is_ok_and(|c| c.name.as_deref() == Some("Robert"))
    })
    .await;
    session.pin_chat(BOB, false).await.unwrap();
    next_matching(&second_events, |k| {
        matches!(
            k,
            EventKind::ChatUpdated {
                setting: ChatSetting::Pinned { pinned: false },
                ..
            }
        )
    })
    .await;
    assert!(!second.get_chat(BOB).await.unwrap().pinned);

    // A tampered patch and a wrong LT-hash are refused; a full resync still gets the change,
    // and reports only it: what the resync brought back unchanged is not reported again.
    for (fault, id) in [("bad_mac", "M3"), ("bad_lt_hash", "M4")] {
        while events.try_next().is_some() {}
        while second_events.try_next().is_some() {}
        let path = format!("/admin/accounts/{ALICE}/app-state/fault");
        let armed = http(
            &sim.info.admin_url,
            "POST",
            &path,
            Some(json!({"fault": fault})),
        )
        .await;
        assert_eq!(armed.status, 200);
        change(
            &sim,
            json!({"action": "star", "chat": BOB, "id": id, "starred": true}),
        )
        .await;
        // The corrupted patch was served (the fault is spent): the device that got it
        // refused it and synced the collection again from version 0.
        eventually("the corrupted patch served", || async {
            sim.sim()
                .read(|s| s.account(ALICE).unwrap().app_state.fault.is_none())
        })
        .await;
        eventually("the resynced star", || async {
            starred(&session).await.contains(&id.to_owned())
                && starred(&second).await.contains(&id.to_owned())
        })
        .await;
        for stream in [&events, &second_events] {
            let mut reported = Vec::new();
            while let Some(event) = stream.try_next() {
                if matches!(
                    event.kind,
                    EventKind::ChatUpdated { .. }
                        | EventKind::MessageStarred { .. }
                        | EventKind::LabelUpdated { .. }
                        | EventKind::LabelAssociation { .. }
                        | EventKind::ContactUpdated { .. }
                ) {
                    reported.push(event.kind);
                }
            }
            assert!(
                matches!(&reported[..], [EventKind::MessageStarred { message_id, .. }] if message_id == id),
                "{fault}: {reported:?}"
            );
        }
    }
    assert_eq!(starred(&session).await.len(), 4);

    // Deleting a chat: ours reaches the phone and our other device, and takes the chat, its
    // messages and stars; one deleted on the phone goes here too.
    phone_sends(&sim, BOB, ALICE, "before the deletion").await;
    eventually("Bob's message", || async {
        session
            .messages(BOB, None, 10)
            .await
            .is_ok_and(|p| !p.messages.is_empty())
    })
    .await;
    session.delete_chat(BOB).await.unwrap();
    assert!(session.get_chat(BOB).await.is_err());
    assert!(
        session
            .messages(BOB, None, 10)
            .await
            .unwrap()
            .messages
            .is_empty()
    );
    assert!(starred(&session).await.is_empty());
    let deleted = phone_entry(&sim, "regular_high", &["deleteChat", &jid(BOB), "1"]).await;
    assert_eq!(deleted.unwrap()["delete_chat"], true);
    for stream in [&events, &second_events] {
        let kind = next_matching(stream, |k| matches!(k, EventKind::ChatDeleted { .. })).await;
        assert!(matches!(kind, EventKind::ChatDeleted { chat } if chat == jid(BOB)));
    }
    assert!(second.get_chat(BOB).await.is_err());
    assert!(session.get_chat(CAROL).await.is_ok());
    change(&sim, json!({"action": "delete_chat", "chat": CAROL})).await;
    let kind = next_matching(&events, |k| matches!(k, EventKind::ChatDeleted { .. })).await;
    assert!(matches!(kind, EventKind::ChatDeleted { chat } if chat == jid(CAROL)));
    assert!(session.get_chat(CAROL).await.is_err());

    // Clearing a chat keeps it (and, when asked, its stars) but not its messages.
    phone_sends(&sim, BOB, ALICE, "before the clearing").await;
    eventually("Bob's next message", || async {
        session.get_chat(BOB).await.is_ok()
            && session
                .messages(BOB, None, 10)
                .await
                .is_ok_and(|p| !p.messages.is_empty())
    })
    .await;
    session.star_message(BOB, "S1", true).await.unwrap();
    session.clear_chat(BOB, true).await.unwrap();
    assert!(session.get_chat(BOB).await.is_ok());
    assert!(
        session
            .messages(BOB, None, 10)
            .await
            .unwrap()
            .messages
            .is_empty()
    );
    assert_eq!(starred(&session).await, ["S1"]);
    let cleared = phone_entry(&sim, "regular_high", &["clearChat", &jid(BOB), "0", "0"]).await;
    assert_eq!(cleared.unwrap()["clear_chat"], true);
    for stream in [&events, &second_events] {
        let kind = next_matching(stream, |k| matches!(k, EventKind::ChatCleared { .. })).await;
        assert!(matches!(kind, EventKind::ChatCleared { chat } if chat == jid(BOB)));
    }
    eventually("the cleared chat on our other device", || async {
        second
            .messages(BOB, None, 10)
            .await
            .is_ok_and(|p| p.messages.is_empty())
    })
    .await;
    change(&sim, json!({"action": "clear_chat", "chat": BOB})).await;
    next_matching(&events, |k| matches!(k, EventKind::ChatCleared { .. })).await;
    assert!(starred(&session).await.is_empty());
    assert!(session.get_chat(BOB).await.is_ok());
    manager.close().await.unwrap();
}

/// Our patches, read by an unmodified Baileys 7 linked to the same account (it checks every MAC
/// and the LT-hash with its own code), and Baileys' patch read by us.
async fn app_state_with_baileys(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    // Baileys applies chat settings to chats it knows: Bob's comes with history sync.
    phone_sends(&sim, BOB, ALICE, "from bob").await;
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let media_host = sim.info.media_url.trim_start_matches("https://").to_owned();
    let env = [
        ("NODE_EXTRA_CA_CERTS", sim.info.tls_cert_path.as_str()),
        ("BAILEYS_HISTORY", "1"),
        ("BAILEYS_APP_STATE", "1"),
        ("BAILEYS_MEDIA_HOST", media_host.as_str()),
    ];
    let auth = temp_auth_dir("eappstate");
    let (mut baileys, _) = pair_by_qr_with_env(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        ALICE,
        &auth,
        &env,
    )
    .await;
    baileys.wait_event("history").await;
    let bob = jid(BOB);
    session.pin_chat(BOB, true).await.unwrap();
    baileys
        .wait_for("our pin", |e| {
            reports(e, "chats.update", |c| {
                c["id"] == bob.as_str() && c["pinned"].as_u64().is_some_and(|p| p > 0)
            })
        })
        .await;
    let label = session.create_label("Clients", 5).await.unwrap();
    baileys
        .wait_for("our label", |e| {
            reports(e, "labels.edit", |l| {
                l["id"] == label.id.as_str() && l["name"] == "Clients"
            })
        })
        .await;
    session.star_message(BOB, "S1", true).await.unwrap();
    baileys
        .wait_for("our star", |e| {
            reports(e, "star", |s| s["id"] == "S1" && s["starred"] == true)
        })
        .await;
    session.set_contact_name(BOB, "Robert", None).await.unwrap();
    baileys
        .wait_for("our contact name", |e| {
            reports(e, "contacts.upsert", |c| {
                c["id"] == bob.as_str() && c["name"] == "Robert"
            })
        })
        .await;
    // Baileys mutes the chat: its patch reaches us and verifies.
    let until_ms: u64 = 4_102_444_800_000;
    baileys
        .send(json!({"cmd": "chat_modify", "chat": bob, "mod": {"mute": until_ms}}))
        .await;
    baileys.wait_event("modified").await;
    let kind = next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ChatUpdated {
                setting: ChatSetting::Muted { until: Some(_) },
                ..
            }
        )
    })
    .await;
    assert!(matches!(
        kind,
        EventKind::ChatUpdated { setting: ChatSetting::Muted { until: Some(t) }, .. } if t == until_ms / 1000
    ));
    assert_eq!(
        session.get_chat(BOB).await.unwrap().muted_until,
        Some(until_ms / 1000)
    );
    baileys.quit().await;
    manager.close().await.unwrap();
}

/// A session linked without a key share asks our phone for the key a patch needs, and gets the
/// change once the phone shares it.
async fn a_missing_key_is_asked_for(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    change(&sim, json!({"action": "pin", "chat": BOB, "pinned": true})).await;
    next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ChatUpdated {
                setting: ChatSetting::Pinned { pinned: true },
                ..
            }
        )
    })
    .await;
    assert!(session.get_chat(BOB).await.unwrap().pinned);
    manager.close().await.unwrap();
}

/// More patches than the server answers at once: the session asks again until it has them all.
async fn patches_come_in_pages(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.sim().app_state_page.store(2, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &session, ALICE).await;
    change(&sim, json!({"action": "label", "id": "1", "name": "L1"})).await;
    eventually("the first label", || async {
        session.list_labels().await.unwrap().len() == 1
    })
    .await;
    session.disconnect().await.unwrap();
    for n in 2..=7 {
        let body = json!({"action": "label", "id": n.to_string(), "name": format!("L{n}")});
        change(&sim, body).await;
    }
    session.connect().await.unwrap();
    eventually("every label, page after page", || async {
        session.list_labels().await.unwrap().len() == 7
    })
    .await;
    manager.close().await.unwrap();
}

/// A chat labelled under its LID and under its phone number is one chat with both labels.
async fn labels_on_both_forms_are_one_chat(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let bob = sim.create_account(BOB, "Bob").unwrap();
    phone_sends(&sim, BOB, ALICE, "before the link").await;
    for body in [
        json!({"action": "label", "id": "1", "name": "By LID"}),
        json!({"action": "label", "id": "2", "name": "By number"}),
        json!({"action": "label_chat", "label": "1", "chat": bob.lid, "labeled": true}),
        json!({"action": "label_chat", "label": "2", "chat": BOB, "labeled": true}),
    ] {
        change(&sim, body).await;
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &session, ALICE).await;
    eventually("both labels on Bob's one chat", || async {
        session
            .get_chat(BOB)
            .await
            .is_ok_and(|c| c.labels == ["1", "2"] && c.lid.as_deref() == Some(bob.lid.as_str()))
    })
    .await;
    let by_lid = session.get_chat(&bob.lid).await.unwrap();
    assert_eq!(by_lid.labels, ["1", "2"]);
    manager.close().await.unwrap();
}

/// A contact removed on the phone (a REMOVE mutation) is forgotten here, with an event; its
/// value MAC goes too, so the contact saved again later still verifies.
async fn a_removed_contact_is_forgotten(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let saved = |name: &str| {
        let name = name.to_owned();
        move |k: &EventKind| matches!(k, EventKind::ContactUpdated { full_name, .. } if full_name.as_deref() == Some(name.as_str()))
    };
    change(
        &sim,
        json!({"action": "contact", "jid": BOB, "full_name": "Bob Builder"}),
    )
    .await;
    next_matching(&events, saved("Bob Builder")).await;
    change(&sim, json!({"action": "remove_contact", "jid": BOB})).await;
    let kind = next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ContactUpdated {
                full_name: None,
                ..
            }
        )
    })
    .await;
    let bob = jid(BOB);
    assert!(matches!(kind, EventKind::ContactUpdated { jid: who, .. } if who == bob));
    assert!(
        session
            .get_contact(BOB)
            .await
            .map_or(true, |c| c.name.is_none())
    );
    assert!(
        phone_entry(&sim, "critical_unblock_low", &["contact", &jid(BOB)])
            .await
            .is_none()
    );
    change(
        &sim,
        json!({"action": "contact", "jid": BOB, "full_name": "Robert"}),
    )
    .await;
    next_matching(&events, saved("Robert")).await;
    assert_eq!(
        session.get_contact(BOB).await.unwrap().name.as_deref(),
        Some("Robert")
    );
    manager.close().await.unwrap();
}

/// The phone rotates its sync key: the new key reaches us, the phone's next patch (under it)
/// decodes, and our own next change verifies on the phone.
async fn a_rotated_key_is_used(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    change(&sim, json!({"action": "pin", "chat": BOB, "pinned": true})).await;
    eventually("the pin", || async {
        session.get_chat(BOB).await.is_ok_and(|c| c.pinned)
    })
    .await;
    let path = format!("/admin/accounts/{ALICE}/app-state/key");
    let rotated = http(&sim.info.admin_url, "POST", &path, None).await;
    assert_eq!(rotated.status, 200);
    let key_id = rotated.json()["key_id"].as_str().unwrap().to_owned();
    change(
        &sim,
        json!({"action": "archive", "chat": BOB, "archived": true}),
    )
    .await;
    next_matching(&events, |k| {
        matches!(
            k,
            EventKind::ChatUpdated {
                setting: ChatSetting::Archived { archived: true },
                ..
            }
        )
    })
    .await;
    let under_new_key = || {
        sim.sim().read(|s| {
            s.account(ALICE).unwrap().app_state.collections["regular_low"]
                .records
                .values()
                .filter(|r| hex::encode(&r.key_id.0) == key_id)
                .count()
        })
    };
    assert_eq!(under_new_key(), 1);
    session.pin_chat(BOB, false).await.unwrap();
    assert!(!session.get_chat(BOB).await.unwrap().pinned);
    let pin = phone_entry(&sim, "regular_low", &["pin_v1", &jid(BOB)]).await;
    assert_eq!(pin.unwrap()["pinned"], false);
    manager.close().await.unwrap();
}

/// The push name set on our phone becomes ours, with an event.
async fn our_push_name_follows_the_phone(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    change(&sim, json!({"action": "push_name", "name": "Alice Cooper"})).await;
    let kind = next_matching(&events, |k| matches!(k, EventKind::PushNameChanged { .. })).await;
    assert!(matches!(kind, EventKind::PushNameChanged { name } if name == "Alice Cooper"));
    assert_eq!(session.push_name().as_deref(), Some("Alice Cooper"));
    manager.close().await.unwrap();
}

/// The phone's push name and the settings changed at run time are stored together: whichever
/// changed last, a restart keeps all of them.
async fn push_name_and_run_time_settings_outlive_a_restart(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.sim().share_app_state_key.store(true, Ordering::SeqCst);
    sim.create_account(ALICE, "Alice").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let pacing = openwa::SendPacing {
        min_interval_ms: 250,
        jitter_ms: 0,
        max_per_hour: 40,
    };
    session.set_send_pacing(pacing).await.unwrap();
    change(&sim, json!({"action": "push_name", "name": "Alice Cooper"})).await;
    next_matching(&events, |k| matches!(k, EventKind::PushNameChanged { .. })).await;
    let policy = openwa::ReconnectPolicy {
        base_delay_ms: 2000,
        max_attempts: Some(3),
    };
    session.set_reconnect_policy(policy).await.unwrap();
    manager.close().await.unwrap();
    drop((events, session, manager));
    let (manager, session, _) = store.resume(sim_options(&sim), "alice").await;
    assert_eq!(session.push_name().as_deref(), Some("Alice Cooper"));
    assert_eq!(session.send_pacing(), pacing);
    assert_eq!(session.reconnect_policy(), policy);
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(
    all: [
        a_rotated_key_is_used,
        a_removed_contact_is_forgotten,
        our_push_name_follows_the_phone,
        app_state_syncs_both_ways,
        a_missing_key_is_asked_for,
        patches_come_in_pages,
        labels_on_both_forms_are_one_chat,
    ],
    persistent: [app_state_with_baileys, push_name_and_run_time_settings_outlive_a_restart],
);
