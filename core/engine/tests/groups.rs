//! Groups end to end against the in-process simulator and its simulated phones (SQLite and
//! PostgreSQL): the engine creates a group, sends to it with sender keys (the phones decrypt),
//! receives a phone's group message, distributes its key to an added member, replaces it when
//! a member is removed (the removed member's phone keeps only the old key), answers a phone's
//! group retry receipt, manages the group (each change checked in the simulator's state and
//! seen as an event), joins by link through join approval, sends in PN-addressed groups,
//! exchanges group messages with an unmodified Baileys 7 member, and refuses bad input with
//! typed errors.
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers outside #[test] functions

use std::sync::Arc;
use std::time::Duration;

use openwa::{
    ErrorCode, EventKind, EventStream, GroupChange, GroupSetting, MemberAddMode, MembershipChange,
    MessageStatus, ParticipantAction, ParticipantRole, SendOptions, Session,
};
use openwa_protocol::signal::SenderKeyRecord;
use openwa_simulator::SimulatorHandle;
use openwa_testkit::{
    BAILEYS7, TestStore, http, link_by_qr, next_matching, pair_by_qr, phone_sends,
    require_node_modules, sim_options, simulator, temp_auth_dir,
};
use serde_json::{Value, json};

const ALICE: &str = "15550000301";
const BOB: &str = "15550000302";
const CAROL: &str = "15550000303";
const DAVE: &str = "15550000304";
const EVE: &str = "15550000305";

/// The entry for message `id` on the simulated phone of `phone`, once it is there.
async fn phone_entry(sim: &SimulatorHandle, phone: &str, id: &str) -> Option<Value> {
    let path = format!("/admin/accounts/{phone}/messages");
    for _ in 0..50 {
        let timeline = http(&sim.info.admin_url, "GET", &path, None).await.json();
        if let Some(entry) = timeline
            .as_array()
            .and_then(|entries| entries.iter().find(|e| e["id"] == id))
        {
            return Some(entry.clone());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// The key id of the newest sender key the phone of `phone` holds from `sender` in `group`.
fn phone_key_id(sim: &SimulatorHandle, phone: &str, group: &str, sender: &str) -> Option<u32> {
    sim.sim().read(|s| {
        let account = s.account(phone).ok()?;
        let (_, record) = account
            .signal
            .sender_keys
            .iter()
            .find(|(name, _)| name.starts_with(group) && name.contains(sender))?;
        let record = SenderKeyRecord::deserialize(&record.0).ok()?;
        record.current_state().map(|s| s.key_id())
    })
}

async fn send(session: &Session, chat: &str, text: &str) -> openwa::Message {
    let sent = session
        .send_text(chat, text, SendOptions::default())
        .await
        .unwrap();
    assert_eq!(sent.status, MessageStatus::Sent);
    sent
}

async fn participants_event(events: &EventStream, want: MembershipChange) -> Vec<String> {
    match next_matching(
        events,
        |k| matches!(k, EventKind::GroupParticipants { change, .. } if *change == want),
    )
    .await
    {
        EventKind::GroupParticipants { participants, .. } => participants
            .into_iter()
            .filter_map(|p| p.phone_number)
            .collect(),
        _ => unreachable!(),
    }
}

async fn updated_event(events: &EventStream, want: &GroupChange) {
    next_matching(
        events,
        |k| matches!(k, EventKind::GroupUpdated { change, .. } if change == want),
    )
    .await;
}

fn pn(phone: &str) -> String {
    format!("{phone}@s.whatsapp.net")
}

async fn group_messages_with_phones(store: Arc<TestStore>) {
    let sim = simulator().await;
    for (phone, name) in [
        (ALICE, "Alice"),
        (BOB, "Bob"),
        (CAROL, "Carol"),
        (DAVE, "Dave"),
    ] {
        sim.create_account(phone, name).unwrap();
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;

    // Create: Alice is the super admin, the group is LID-addressed like WhatsApp's.
    let info = session
        .create_group("Team", vec![format!("+{BOB}"), pn(CAROL)])
        .await
        .unwrap();
    let group = info.jid.clone();
    assert_eq!(info.subject, "Team");
    assert_eq!(info.addressing_mode, openwa::AddressingMode::Lid);
    assert_eq!(info.participants.len(), 3);
    let me = info
        .participants
        .iter()
        .find(|p| p.phone_number.as_deref() == Some(pn(ALICE).as_str()))
        .unwrap();
    assert_eq!(me.role, ParticipantRole::SuperAdmin);
    match next_matching(&events, |k| matches!(k, EventKind::GroupJoined { .. })).await {
        EventKind::GroupJoined { group: joined, .. } => assert_eq!(joined.jid, group),
        _ => unreachable!(),
    }

    // Send: both phones decrypt it (the first send distributes a fresh sender key).
    let first = send(&session, &group, "hello team").await;
    assert_eq!(first.chat, group);
    for phone in [BOB, CAROL] {
        let entry = phone_entry(&sim, phone, &first.id).await.unwrap();
        assert_eq!(entry["text"], "hello team", "{entry}");
        assert_eq!(entry["chat"], group, "{entry}");
        assert_eq!(entry["enc"], "skmsg", "{entry}");
    }
    let raw = store.open_raw().await;
    let holders = raw.sender_key_holders("alice", &group).await.unwrap();
    // Bob's and Carol's phones, and Alice's own phone.
    assert_eq!(holders.len(), 3, "{holders:?}");
    // A second send reuses the key: nobody gets it twice.
    let second = send(&session, &group, "again").await;
    for phone in [BOB, CAROL] {
        assert_eq!(
            phone_entry(&sim, phone, &second.id).await.unwrap()["text"],
            "again"
        );
    }
    assert_eq!(
        raw.sender_key_holders("alice", &group).await.unwrap(),
        holders
    );
    let bob_key = phone_key_id(&sim, BOB, &group, ALICE).unwrap();
    assert_eq!(phone_key_id(&sim, CAROL, &group, ALICE), Some(bob_key));

    // A phone's group message reaches the engine.
    let from_bob = phone_sends(&sim, BOB, &group, "hi from bob").await;
    match next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == from_bob),
    )
    .await
    {
        EventKind::MessageReceived { message } => {
            assert_eq!(message.chat, group);
            assert_eq!(message.text.as_deref(), Some("hi from bob"));
            assert!(!message.from_me);
        }
        _ => unreachable!(),
    }

    // A new member gets the key with the next message.
    let added = session
        .update_group_participants(&group, ParticipantAction::Add, vec![DAVE.into()])
        .await
        .unwrap();
    assert!(added[0].ok, "{added:?}");
    assert_eq!(
        participants_event(&events, MembershipChange::Added).await,
        vec![pn(DAVE)]
    );
    let third = send(&session, &group, "welcome dave").await;
    for phone in [BOB, CAROL, DAVE] {
        let entry = phone_entry(&sim, phone, &third.id).await.unwrap();
        assert_eq!(entry["text"], "welcome dave", "{phone}: {entry}");
    }
    assert_eq!(phone_key_id(&sim, DAVE, &group, ALICE), Some(bob_key));
    assert_eq!(
        raw.sender_key_holders("alice", &group).await.unwrap().len(),
        4
    );

    // A removed member: the key is replaced, the others get the new one, Carol keeps the old.
    let removed = session
        .update_group_participants(&group, ParticipantAction::Remove, vec![pn(CAROL)])
        .await
        .unwrap();
    assert!(removed[0].ok, "{removed:?}");
    assert_eq!(
        participants_event(&events, MembershipChange::Removed).await,
        vec![pn(CAROL)]
    );
    assert!(
        raw.sender_key_holders("alice", &group)
            .await
            .unwrap()
            .is_empty()
    );
    let fourth = send(&session, &group, "carol is gone").await;
    for phone in [BOB, DAVE] {
        let entry = phone_entry(&sim, phone, &fourth.id).await.unwrap();
        assert_eq!(entry["text"], "carol is gone", "{phone}: {entry}");
    }
    let rotated = phone_key_id(&sim, BOB, &group, ALICE).unwrap();
    assert_ne!(rotated, bob_key, "the sender key was not replaced");
    assert_eq!(phone_key_id(&sim, DAVE, &group, ALICE), Some(rotated));
    assert_eq!(phone_key_id(&sim, CAROL, &group, ALICE), Some(bob_key));
    let path = format!("/admin/accounts/{CAROL}/messages");
    let carol = http(&sim.info.admin_url, "GET", &path, None).await.json();
    assert!(
        !carol.to_string().contains(&fourth.id),
        "Carol got a message after her removal: {carol}"
    );
    assert_eq!(
        raw.sender_key_holders("alice", &group).await.unwrap().len(),
        3
    );

    // Bob's phone loses our key: it cannot decrypt the next skmsg, asks for a retry, and the
    // answer (message + key, pairwise) makes it readable.
    sim.sim().write(|s| {
        let account = s.account_mut(BOB).unwrap();
        account
            .signal
            .sender_keys
            .retain(|name, _| !name.contains(ALICE));
    });
    let fifth = send(&session, &group, "once more").await;
    let entry = phone_entry(&sim, BOB, &fifth.id).await.unwrap();
    assert_eq!(entry["text"], "once more", "{entry}");
    assert_ne!(entry["enc"], "skmsg", "{entry}");
    assert_eq!(phone_key_id(&sim, BOB, &group, ALICE), Some(rotated));

    // History has the group's messages.
    let page = session.messages(&group, None, 10).await.unwrap();
    assert!(page.messages.iter().any(|m| m.id == from_bob));
    assert!(page.messages.iter().any(|m| m.id == fifth.id && m.from_me));
    manager.close().await.unwrap();
}

async fn group_management_against_the_simulator(store: Arc<TestStore>) {
    let sim = simulator().await;
    for (phone, name) in [(ALICE, "Alice"), (BOB, "Bob"), (EVE, "Eve")] {
        sim.create_account(phone, name).unwrap();
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let alice = manager.create_session("alice", None).await.unwrap();
    let eve = manager.create_session("eve", None).await.unwrap();
    let events = alice.events();
    link_by_qr(&sim, &alice, ALICE).await;
    link_by_qr(&sim, &eve, EVE).await;
    let info = alice.create_group("Plans", vec![BOB.into()]).await.unwrap();
    let group = info.jid.clone();
    let state = |f: fn(&openwa_simulator::state::Group) -> Value| {
        sim.sim().read(|s| f(s.group(&group).unwrap()))
    };

    alice.set_group_subject(&group, "New plans").await.unwrap();
    updated_event(
        &events,
        &GroupChange::Subject {
            subject: "New plans".into(),
        },
    )
    .await;
    assert_eq!(state(|g| json!(g.subject)), json!("New plans"));

    alice
        .set_group_description(&group, Some("what we do".into()))
        .await
        .unwrap();
    updated_event(
        &events,
        &GroupChange::Description {
            description: Some("what we do".into()),
        },
    )
    .await;
    alice
        .set_group_description(&group, Some("what we really do".into()))
        .await
        .unwrap();
    assert_eq!(
        state(|g| json!(g.description.as_ref().map(|d| d.text.clone()))),
        json!("what we really do")
    );

    let settings = [
        GroupSetting::Announcement(true),
        GroupSetting::Locked(true),
        GroupSetting::JoinApproval(true),
        GroupSetting::MemberAddMode(MemberAddMode::AllMemberAdd),
        GroupSetting::Ephemeral(Some(604_800)),
    ];
    for setting in settings.clone() {
        alice
            .set_group_setting(&group, setting.clone())
            .await
            .unwrap();
        updated_event(&events, &GroupChange::Setting { setting }).await;
    }
    assert_eq!(
        state(|g| json!([
            g.announce,
            g.locked,
            g.approval_required,
            g.all_members_add,
            g.ephemeral
        ])),
        json!([true, true, true, true, 604_800])
    );
    let fresh = alice.group_info(&group).await.unwrap();
    assert!(fresh.settings.announcement && fresh.settings.locked && fresh.settings.join_approval);
    assert_eq!(fresh.settings.member_add_mode, MemberAddMode::AllMemberAdd);
    assert_eq!(fresh.settings.ephemeral_secs, Some(604_800));
    assert_eq!(fresh.description.as_deref(), Some("what we really do"));

    // Promote and demote Bob.
    let promoted = alice
        .update_group_participants(&group, ParticipantAction::Promote, vec![BOB.into()])
        .await
        .unwrap();
    assert!(promoted[0].ok);
    assert_eq!(
        participants_event(&events, MembershipChange::Promoted).await,
        vec![pn(BOB)]
    );
    let bob_role = |info: &openwa::GroupInfo| {
        info.participants
            .iter()
            .find(|p| p.phone_number.as_deref() == Some(pn(BOB).as_str()))
            .map(|p| p.role)
    };
    assert_eq!(
        bob_role(&alice.group_info(&group).await.unwrap()),
        Some(ParticipantRole::Admin)
    );
    alice
        .update_group_participants(&group, ParticipantAction::Demote, vec![BOB.into()])
        .await
        .unwrap();
    assert_eq!(
        participants_event(&events, MembershipChange::Demoted).await,
        vec![pn(BOB)]
    );
    assert_eq!(
        bob_role(&alice.group_info(&group).await.unwrap()),
        Some(ParticipantRole::Member)
    );
    // Per-participant results: already a member.
    let again = alice
        .update_group_participants(&group, ParticipantAction::Add, vec![BOB.into()])
        .await
        .unwrap();
    assert_eq!((again[0].ok, again[0].error), (false, Some(409)));

    // Invite links: get, revoke (the old one is gone), preview, join with approval.
    let code = alice.group_invite_code(&group).await.unwrap();
    let revoked = alice.revoke_group_invite(&group).await.unwrap();
    assert_ne!(code, revoked);
    updated_event(&events, &GroupChange::InviteLinkReset).await;
    assert_eq!(
        eve.group_invite_info(&code).await.unwrap_err().code,
        ErrorCode::NotFound
    );
    let preview = eve
        .group_invite_info(&format!("https://chat.whatsapp.com/{revoked}"))
        .await
        .unwrap();
    assert_eq!(preview.subject, "New plans");
    // Eve is not a member yet: no metadata, no sending.
    assert_eq!(
        eve.group_info(&group).await.unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    let err = eve
        .send_text(&group, "let me in", SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{err}");
    let joined = eve.join_group(&revoked).await.unwrap();
    assert_eq!(
        (joined.jid.as_str(), joined.pending_approval),
        (group.as_str(), true)
    );
    let requests = alice.group_join_requests(&group).await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].phone_number.as_deref(), Some(pn(EVE).as_str()));
    let approved = alice
        .answer_group_join_requests(&group, true, vec![requests[0].jid.clone()])
        .await
        .unwrap();
    assert!(approved[0].ok, "{approved:?}");
    assert_eq!(
        participants_event(&events, MembershipChange::Added).await,
        vec![pn(EVE)]
    );
    assert!(alice.group_join_requests(&group).await.unwrap().is_empty());
    assert!(
        eve.joined_groups()
            .await
            .unwrap()
            .iter()
            .any(|g| g.jid == group)
    );
    // Announcement group: only admins send.
    let err = eve
        .send_text(&group, "hello", SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::PermissionDenied, "{err}");
    // Eve leaves; Alice sees it.
    eve.leave_group(&group).await.unwrap();
    let left = next_matching(&events, |k| {
        matches!(
            k,
            EventKind::GroupParticipants {
                change: MembershipChange::Removed | MembershipChange::Left,
                ..
            }
        )
    })
    .await;
    assert!(format!("{left:?}").contains(EVE), "{left:?}");
    assert!(
        !eve.joined_groups()
            .await
            .unwrap()
            .iter()
            .any(|g| g.jid == group)
    );

    // Bad input: typed errors, nothing sent.
    let code = |e: openwa::Error| e.code;
    assert_eq!(
        code(alice.group_info("bad@g.us").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(alice.group_info(BOB).await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(
            alice
                .group_info("120363099999999999@g.us")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(
            alice
                .create_group("  ", vec![BOB.into()])
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(alice.set_group_subject(&group, "").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(
            alice
                .update_group_participants(&group, ParticipantAction::Add, vec![])
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(alice.join_group("not a code!").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    let err = alice
        .send_text("120363099999999999@g.us", "anyone?", SendOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound, "{err}");
    manager.close().await.unwrap();
}

/// A PN-addressed group (created by a phone through the admin API): the engine sends by
/// phone number and receives the phone's message.
async fn pn_addressed_group(store: Arc<TestStore>) {
    let sim = simulator().await;
    for (phone, name) in [(ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let created = http(
        &sim.info.admin_url,
        "POST",
        &format!("/admin/accounts/{BOB}/groups"),
        Some(json!({"subject": "PN", "participants": [ALICE, CAROL], "addressing_mode": "pn"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let group = created.json()["jid"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["addressing_mode"], "pn");
    next_matching(&events, |k| matches!(k, EventKind::GroupJoined { .. })).await;
    let info = session.group_info(&group).await.unwrap();
    assert_eq!(info.addressing_mode, openwa::AddressingMode::Pn);
    assert!(
        info.participants
            .iter()
            .all(|p| p.jid.ends_with("@s.whatsapp.net"))
    );

    let sent = send(&session, &group, "by number").await;
    assert_eq!(sent.sender, pn(ALICE));
    for phone in [BOB, CAROL] {
        assert_eq!(
            phone_entry(&sim, phone, &sent.id).await.unwrap()["text"],
            "by number"
        );
    }
    let id = phone_sends(&sim, CAROL, &group, "pn reply").await;
    match next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await
    {
        EventKind::MessageReceived { message } => {
            assert_eq!(message.chat, group);
            assert_eq!(message.sender, pn(CAROL));
        }
        _ => unreachable!(),
    }
    manager.close().await.unwrap();
}

/// An unmodified Baileys 7 as a member of the engine's group: it decrypts the engine's group
/// message (sender key distributed pairwise), and the engine receives Baileys' group message.
async fn baileys7_member_of_an_engine_group(store: Arc<TestStore>) {
    require_node_modules();
    let sim = simulator().await;
    for (phone, name) in [(ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")] {
        sim.create_account(phone, name).unwrap();
    }
    let manager = store.open_manager(sim_options(&sim)).await;
    let session = manager.create_session("alice", None).await.unwrap();
    let events = session.events();
    link_by_qr(&sim, &session, ALICE).await;
    let auth = temp_auth_dir("egroup");
    let (mut bob, _) =
        pair_by_qr(&sim.info.ws_url, &sim.info.admin_url, BAILEYS7, BOB, &auth).await;

    let info = session
        .create_group("With Baileys", vec![BOB.into(), CAROL.into()])
        .await
        .unwrap();
    let group = info.jid.clone();
    bob.wait_for("groups.upsert", |e| {
        e["event"] == "group_event" && e["kind"] == "groups.upsert"
    })
    .await;
    let seen = bob.group("groupMetadata", json!([group])).await;
    assert_eq!(seen["subject"], "With Baileys", "{seen}");

    let sent = send(&session, &group, "hello baileys").await;
    let got = bob.wait_message(&sent.id).await;
    assert_eq!(got["text"], "hello baileys", "{got}");
    assert_eq!(got["from"], group.as_str(), "{got}");
    let second = send(&session, &group, "second").await;
    assert_eq!(bob.wait_message(&second.id).await["text"], "second");
    assert_eq!(
        phone_entry(&sim, CAROL, &second.id).await.unwrap()["text"],
        "second"
    );

    let id = bob.send_text(&group, "hi from baileys").await;
    match next_matching(
        &events,
        |k| matches!(k, EventKind::MessageReceived { message } if message.id == id),
    )
    .await
    {
        EventKind::MessageReceived { message } => {
            assert_eq!(message.chat, group);
            assert_eq!(message.text.as_deref(), Some("hi from baileys"));
        }
        _ => unreachable!(),
    }
    bob.quit().await;
    manager.close().await.unwrap();
}

openwa_store::on_every_backend!(persistent: [
    group_messages_with_phones,
    group_management_against_the_simulator,
    pn_addressed_group,
    baileys7_member_of_an_engine_group,
]);
