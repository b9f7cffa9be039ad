//! Content beyond text, end to end between two engine sessions through the simulator: a
//! location, contact cards, a reply that mentions, a reaction and its removal, an edit and a
//! revoke; each arrives typed, and edits and revokes change the stored message on both sides.
//! Bad input gets a typed error and sends nothing. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;

use openwa::{
    ContactCard, ErrorCode, EventKind, EventStream, Location, Message, MessageContent, MessageType,
    SendOptions, Session,
};
use openwa_testkit::{
    BAILEYS7, TestStore, http, link_by_qr, next_matching, pair_by_qr_with_env,
    require_node_modules, sim_options, simulator, temp_auth_dir,
};
use serde_json::json;

const ALICE: &str = "15550004001";
const BOB: &str = "15550004002";
const VCARD: &str =
    "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;type=CELL;waid=15550004003:+1 555 0004 003\nEND:VCARD";

async fn received(events: &EventStream, id: &str) -> Message {
    let id = id.to_owned();
    let event = next_matching(
        events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await;
    let EventKind::MessageReceived { message } = event else {
        unreachable!()
    };
    message
}

async fn stored(session: &Session, chat: &str, id: &str) -> Message {
    session.message(chat, id).await.unwrap()
}

async fn content_between_two_sessions(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    let bob = manager.create_session("bob", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    link_by_qr(&sim, &bob, BOB).await;
    let (alice_events, bob_events) = (alice.events(), bob.events());
    let none = SendOptions::default;

    // A location.
    let pin = Location {
        latitude: 52.3731,
        longitude: 4.8922,
        name: Some("Dam Square".into()),
        address: Some("Dam, Amsterdam".into()),
        ..Location::default()
    };
    let sent = alice.send_location(BOB, pin.clone(), none()).await.unwrap();
    assert_eq!(sent.message_type, MessageType::Location);
    let got = received(&bob_events, &sent.id).await;
    assert_eq!(got.content, MessageContent::Location(pin.clone()));
    assert_eq!(stored(&bob, ALICE, &sent.id).await.content, got.content);

    // Bob forwards it back: the same content, marked forwarded.
    let forward = bob
        .forward_message(ALICE, ALICE, &sent.id, none())
        .await
        .unwrap();
    let got = received(&alice_events, &forward.id).await;
    assert_eq!(got.content, MessageContent::Location(pin.clone()));
    assert!(got.forwarded);
    assert_eq!(got.forwarding_score, 1);

    // Two contact cards.
    let cards = vec![
        ContactCard {
            display_name: "Carol".into(),
            vcard: VCARD.into(),
        },
        ContactCard {
            display_name: "Carol again".into(),
            vcard: VCARD.into(),
        },
    ];
    let sent = alice
        .send_contacts(BOB, cards.clone(), none())
        .await
        .unwrap();
    let got = received(&bob_events, &sent.id).await;
    assert_eq!(got.content, MessageContent::Contacts { contacts: cards });

    // Bob replies to the location and mentions Alice.
    let reply = bob
        .send_text(
            ALICE,
            &format!("that's @{ALICE}'s spot"),
            SendOptions {
                quoted: Some(got.id.clone()),
                mentions: vec![ALICE.into()],
                ..SendOptions::default()
            },
        )
        .await
        .unwrap();
    let got_reply = received(&alice_events, &reply.id).await;
    assert_eq!(
        got_reply.text.as_deref(),
        Some(&*format!("that's @{ALICE}'s spot"))
    );
    let quoted = got_reply.quoted.clone().unwrap();
    assert_eq!(quoted.id, sent.id);
    assert_eq!(quoted.message_type, MessageType::Contact);
    assert_eq!(got_reply.mentions, vec![format!("{ALICE}@s.whatsapp.net")]);
    assert_eq!(stored(&alice, BOB, &reply.id).await.quoted, Some(quoted));

    // Alice reacts to the reply, then takes the reaction back.
    let reaction = alice.react(BOB, &reply.id, "👍", none()).await.unwrap();
    let got = received(&bob_events, &reaction.id).await;
    assert_eq!(
        got.content,
        MessageContent::Reaction {
            message_id: reply.id.clone(),
            emoji: "👍".into()
        }
    );
    let removal = alice.react(BOB, &reply.id, "", none()).await.unwrap();
    let got = received(&bob_events, &removal.id).await;
    assert_eq!(
        got.content,
        MessageContent::Reaction {
            message_id: reply.id.clone(),
            emoji: String::new()
        }
    );

    // Alice edits a text: both sides report it and store the new text.
    let typo = alice.send_text(BOB, "helo", none()).await.unwrap();
    received(&bob_events, &typo.id).await;
    alice
        .edit_message(BOB, &typo.id, "hello", none())
        .await
        .unwrap();
    for (session, events, chat) in [(&alice, &alice_events, BOB), (&bob, &bob_events, ALICE)] {
        let id = typo.id.clone();
        let edited = next_matching(
            events,
            |k| matches!(k, EventKind::MessageEdited { message_id, .. } if *message_id == id),
        )
        .await;
        let EventKind::MessageEdited { text, sender, .. } = edited else {
            unreachable!()
        };
        assert_eq!(text.as_deref(), Some("hello"));
        assert_eq!(sender, format!("{ALICE}@s.whatsapp.net"));
        assert_eq!(
            stored(session, chat, &typo.id).await.text.as_deref(),
            Some("hello")
        );
    }

    // Alice deletes it for everyone.
    alice.revoke_message(BOB, &typo.id, none()).await.unwrap();
    for (session, events, chat) in [(&alice, &alice_events, BOB), (&bob, &bob_events, ALICE)] {
        let id = typo.id.clone();
        next_matching(
            events,
            |k| matches!(k, EventKind::MessageRevoked { message_id, .. } if *message_id == id),
        )
        .await;
        let gone = stored(session, chat, &typo.id).await;
        assert_eq!(gone.message_type, MessageType::Revoked);
        assert_eq!(gone.text, None);
    }

    // Bad input: typed errors, nothing sent.
    let before = bob.messages(ALICE, None, 100).await.unwrap().messages.len();
    let bad_location = Location {
        latitude: 95.0,
        ..Location::default()
    };
    let err = alice
        .send_location(BOB, bad_location, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let bad_card = vec![ContactCard {
        display_name: "X".into(),
        vcard: "not a vcard".into(),
    }];
    let err = alice
        .send_contacts(BOB, bad_card, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let unknown = SendOptions {
        quoted: Some("3EB0NOSUCHMESSAGE".into()),
        ..SendOptions::default()
    };
    let err = alice.send_text(BOB, "re", unknown).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = alice
        .react(BOB, "3EB0NOSUCHMESSAGE", "👍", none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = alice
        .edit_message(BOB, &reply.id, "not mine", none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let err = alice
        .revoke_message(BOB, &reply.id, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unsupported);
    let err = alice
        .forward_message(BOB, BOB, &reaction.id, none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let err = alice
        .forward_message(BOB, BOB, "3EB0NOSUCHMESSAGE", none())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let bad_mention = SendOptions {
        mentions: vec!["120363000000000001@g.us".into()],
        ..SendOptions::default()
    };
    let err = alice.send_text(BOB, "hi", bad_mention).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let after = bob.messages(ALICE, None, 100).await.unwrap().messages.len();
    assert_eq!(before, after, "a rejected send reached the peer");
    let alice_history = alice.messages(BOB, None, 100).await.unwrap().messages;
    assert!(
        alice_history
            .iter()
            .all(|m| m.text.as_deref() != Some("re"))
    );

    manager.close().await.unwrap();
}

/// The same content with an unmodified Baileys 7 client on the other side: what the engine
/// sends, Baileys decodes to the same fields; what Baileys sends, the engine reports typed.
async fn content_with_baileys(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    let events = alice.events();
    let auth = temp_auth_dir("econtent");
    let env = [("BAILEYS_RAW_MESSAGES", "1")];
    let (mut bob, _) = pair_by_qr_with_env(
        &sim.info.ws_url,
        &sim.info.admin_url,
        BAILEYS7,
        BOB,
        &auth,
        &env,
    )
    .await;
    let none = SendOptions::default;
    let bob_jid = format!("{BOB}@s.whatsapp.net");
    let alice_jid = format!("{ALICE}@s.whatsapp.net");

    // Engine → Baileys.
    let pin = Location {
        latitude: -33.8568,
        longitude: 151.2153,
        name: Some("Opera House".into()),
        ..Location::default()
    };
    let sent = alice.send_location(BOB, pin, none()).await.unwrap();
    let got = bob.wait_message(&sent.id).await;
    let raw = &got["raw"]["locationMessage"];
    assert_eq!(raw["degreesLatitude"], -33.8568, "{got}");
    assert_eq!(raw["degreesLongitude"], 151.2153, "{got}");
    assert_eq!(raw["name"], "Opera House", "{got}");

    let card = ContactCard {
        display_name: "Carol".into(),
        vcard: VCARD.into(),
    };
    let sent = alice.send_contacts(BOB, vec![card], none()).await.unwrap();
    let got = bob.wait_message(&sent.id).await;
    assert_eq!(
        got["raw"]["contactMessage"]["displayName"], "Carol",
        "{got}"
    );
    assert_eq!(got["raw"]["contactMessage"]["vcard"], VCARD, "{got}");

    let question = alice.send_text(BOB, "lunch?", none()).await.unwrap();
    bob.wait_message(&question.id).await;
    let reply = alice
        .send_text(
            BOB,
            &format!("@{BOB} at noon"),
            SendOptions {
                quoted: Some(question.id.clone()),
                mentions: vec![BOB.into()],
                ..SendOptions::default()
            },
        )
        .await
        .unwrap();
    let got = bob.wait_message(&reply.id).await;
    let context = &got["raw"]["extendedTextMessage"]["contextInfo"];
    assert_eq!(context["stanzaId"], question.id, "{got}");
    assert_eq!(context["participant"], alice_jid, "{got}");
    assert_eq!(context["quotedMessage"]["conversation"], "lunch?", "{got}");
    assert_eq!(context["mentionedJid"], json!([bob_jid]), "{got}");

    let reaction = alice.react(BOB, &reply.id, "🎉", none()).await.unwrap();
    let got = bob.wait_message(&reaction.id).await;
    assert_eq!(got["raw"]["reactionMessage"]["text"], "🎉", "{got}");
    assert_eq!(
        got["raw"]["reactionMessage"]["key"]["id"], reply.id,
        "{got}"
    );

    alice
        .edit_message(BOB, &question.id, "lunch at 1?", none())
        .await
        .unwrap();
    let edit = bob
        .wait_for("the edit", |e| {
            e["id"] == question.id.as_str() && e["event"] == "update"
                || e["raw"]["protocolMessage"]["key"]["id"] == question.id.as_str()
                    && e["raw"]["protocolMessage"]["type"] == "MESSAGE_EDIT"
                || e["raw"]["editedMessage"]["message"]["protocolMessage"]["key"]["id"]
                    == question.id.as_str()
        })
        .await;
    assert!(
        edit.to_string().contains("lunch at 1?"),
        "Baileys did not see the new text: {edit}"
    );
    alice
        .revoke_message(BOB, &question.id, none())
        .await
        .unwrap();
    let revoke = bob
        .wait_for("the revoke", |e| {
            e["raw"]["protocolMessage"]["key"]["id"] == question.id.as_str()
                && e["raw"]["protocolMessage"]["type"] != "MESSAGE_EDIT"
                || e["event"] == "update"
                    && e["id"] == question.id.as_str()
                    && !e["update"]["messageStubType"].is_null()
        })
        .await;
    assert!(!revoke.is_null());

    // Baileys → engine.
    let received_of = |id: String| {
        let events = &events;
        async move { received(events, &id).await }
    };
    bob.send(json!({"cmd": "send", "to": alice_jid,
        "content": {"location": {"degreesLatitude": 48.8584, "degreesLongitude": 2.2945, "name": "Eiffel"}}}))
        .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = received_of(id).await;
    let MessageContent::Location(location) = &got.content else {
        panic!("not a location: {got:?}")
    };
    assert_eq!((location.latitude, location.longitude), (48.8584, 2.2945));
    assert_eq!(location.name.as_deref(), Some("Eiffel"));

    bob.send(json!({"cmd": "send", "to": alice_jid,
        "content": {"contacts": {"displayName": "Carol", "contacts": [{"displayName": "Carol", "vcard": VCARD}]}}}))
        .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = received_of(id).await;
    assert_eq!(
        got.content,
        MessageContent::Contacts {
            contacts: vec![ContactCard {
                display_name: "Carol".into(),
                vcard: VCARD.into()
            }]
        }
    );

    bob.send(
        json!({"cmd": "send", "to": alice_jid, "quoted_id": reply.id,
        "content": {"text": format!("ok @{ALICE}"), "mentions": [alice_jid]}}),
    )
    .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob_reply = received_of(id).await;
    assert_eq!(
        bob_reply.quoted.as_ref().map(|q| q.id.as_str()),
        Some(reply.id.as_str())
    );
    assert_eq!(bob_reply.mentions, vec![alice_jid.clone()]);

    let key = json!({"remoteJid": alice_jid, "fromMe": false, "id": reply.id});
    bob.send(
        json!({"cmd": "send", "to": alice_jid, "content": {"react": {"text": "👍", "key": key}}}),
    )
    .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = received_of(id).await;
    assert_eq!(
        got.content,
        MessageContent::Reaction {
            message_id: reply.id.clone(),
            emoji: "👍".into()
        }
    );

    let own_key = json!({"remoteJid": alice_jid, "fromMe": true, "id": bob_reply.id});
    bob.send(json!({"cmd": "send", "to": alice_jid, "content": {"text": "ok!", "edit": own_key}}))
        .await;
    bob.wait_event("sent").await;
    let id = bob_reply.id.clone();
    let edited = next_matching(
        &events,
        |k| matches!(k, EventKind::MessageEdited { message_id, .. } if *message_id == id),
    )
    .await;
    assert!(matches!(edited, EventKind::MessageEdited { text: Some(t), .. } if t == "ok!"));
    assert_eq!(
        alice
            .message(BOB, &bob_reply.id)
            .await
            .unwrap()
            .text
            .as_deref(),
        Some("ok!")
    );
    bob.send(json!({"cmd": "send", "to": alice_jid, "content": {"delete": own_key}}))
        .await;
    bob.wait_event("sent").await;
    let id = bob_reply.id.clone();
    next_matching(
        &events,
        |k| matches!(k, EventKind::MessageRevoked { message_id, .. } if *message_id == id),
    )
    .await;
    assert_eq!(
        alice
            .message(BOB, &bob_reply.id)
            .await
            .unwrap()
            .message_type,
        MessageType::Revoked
    );

    bob.quit().await;
    manager.close().await.unwrap();
}

/// The same with a simulated phone on the other side, through the admin API: the phone's
/// timeline shows what the engine sent, and the engine reports what the phone sent.
async fn content_with_a_phone(store: Arc<TestStore>) {
    let sim = simulator().await;
    sim.create_account(ALICE, "Alice").unwrap();
    sim.create_account(BOB, "Bob").unwrap();
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    link_by_qr(&sim, &alice, ALICE).await;
    let events = alice.events();
    let none = SendOptions::default;
    let admin = &sim.info.admin_url;
    let on_bob = |id: String| async move {
        let path = format!("/admin/accounts/{BOB}/messages");
        for _ in 0..200 {
            let timeline = http(admin, "GET", &path, None).await.json();
            if let Some(entry) = timeline.as_array().unwrap().iter().find(|e| e["id"] == id) {
                return entry.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{id} never reached Bob's phone");
    };
    let bob_sends = |body: serde_json::Value| async move {
        let path = format!("/admin/accounts/{BOB}/messages");
        let sent = http(admin, "POST", &path, Some(body)).await;
        assert_eq!(sent.status, 201, "{}", sent.json());
        sent.json()["id"].as_str().unwrap().to_owned()
    };

    // Engine → phone.
    let pin = Location {
        latitude: 41.8902,
        longitude: 12.4922,
        name: Some("Colosseum".into()),
        ..Location::default()
    };
    let sent = alice.send_location(BOB, pin, none()).await.unwrap();
    let entry = on_bob(sent.id.clone()).await;
    assert_eq!(entry["type"], "location", "{entry}");
    assert_eq!(entry["location"]["latitude"], 41.8902, "{entry}");
    assert_eq!(entry["location"]["name"], "Colosseum", "{entry}");
    let card = ContactCard {
        display_name: "Carol".into(),
        vcard: VCARD.into(),
    };
    let sent = alice.send_contacts(BOB, vec![card], none()).await.unwrap();
    let entry = on_bob(sent.id.clone()).await;
    assert_eq!(entry["contacts"][0]["vcard"], VCARD, "{entry}");
    let reply = alice
        .send_text(
            BOB,
            "about that",
            SendOptions {
                quoted: Some(sent.id.clone()),
                mentions: vec![BOB.into()],
                ..SendOptions::default()
            },
        )
        .await
        .unwrap();
    let entry = on_bob(reply.id.clone()).await;
    assert_eq!(entry["quoted"], sent.id.as_str(), "{entry}");
    assert_eq!(
        entry["mentions"],
        json!([format!("{BOB}@s.whatsapp.net")]),
        "{entry}"
    );
    alice
        .edit_message(BOB, &reply.id, "about that card", none())
        .await
        .unwrap();
    alice.revoke_message(BOB, &sent.id, none()).await.unwrap();
    for _ in 0..200 {
        let (edited, revoked) = (
            on_bob(reply.id.clone()).await,
            on_bob(sent.id.clone()).await,
        );
        if edited["edited"] == true && revoked["type"] == "revoked" {
            assert_eq!(edited["text"], "about that card", "{edited}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(on_bob(sent.id.clone()).await["type"], "revoked");

    // Phone → engine.
    let id = bob_sends(json!({"to": ALICE,
        "location": {"latitude": 35.6586, "longitude": 139.7454, "name": "Tokyo Tower"}}))
    .await;
    let got = received(&events, &id).await;
    let MessageContent::Location(location) = &got.content else {
        panic!("not a location: {got:?}")
    };
    assert_eq!(
        (location.latitude, location.name.as_deref()),
        (35.6586, Some("Tokyo Tower"))
    );
    let id = bob_sends(json!({"to": ALICE, "contacts": [{"display_name": "Dan", "vcard": VCARD}]}))
        .await;
    let got = received(&events, &id).await;
    assert!(
        matches!(&got.content, MessageContent::Contacts { contacts } if contacts[0].display_name == "Dan")
    );
    let id = bob_sends(json!({"to": ALICE, "text": "this one?", "quoted": reply.id,
        "mentions": [format!("{ALICE}@s.whatsapp.net")]}))
    .await;
    let got = received(&events, &id).await;
    assert_eq!(
        got.quoted.as_ref().map(|q| q.id.as_str()),
        Some(reply.id.as_str())
    );
    assert_eq!(
        got.quoted.as_ref().and_then(|q| q.sender.as_deref()),
        Some(&*format!("{ALICE}@s.whatsapp.net"))
    );
    assert_eq!(got.mentions, vec![format!("{ALICE}@s.whatsapp.net")]);
    bob_sends(json!({"to": ALICE, "edit": {"id": id, "text": "this one!"}})).await;
    let edit_id = id.clone();
    next_matching(
        &events,
        |k| matches!(k, EventKind::MessageEdited { message_id, text: Some(t), .. } if *message_id == edit_id && t == "this one!"),
    )
    .await;
    bob_sends(json!({"to": ALICE, "revoke": {"id": id}})).await;
    let revoke_id = id.clone();
    next_matching(
        &events,
        |k| matches!(k, EventKind::MessageRevoked { message_id, .. } if *message_id == revoke_id),
    )
    .await;
    assert_eq!(
        alice.message(BOB, &id).await.unwrap().message_type,
        MessageType::Revoked
    );

    // The phone refuses what it cannot send: an edit of someone else's message, a reply to
    // nothing.
    let path = format!("/admin/accounts/{BOB}/messages");
    let refused = http(
        admin,
        "POST",
        &path,
        Some(json!({"to": ALICE, "edit": {"id": reply.id, "text": "x"}})),
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.json());
    let refused = http(
        admin,
        "POST",
        &path,
        Some(json!({"to": ALICE, "text": "x", "quoted": "NOPE"})),
    )
    .await;
    assert_eq!(refused.status, 404, "{}", refused.json());

    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(persistent: [
    content_between_two_sessions,
    content_with_baileys,
    content_with_a_phone,
]);
