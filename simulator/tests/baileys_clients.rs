//! Interop: unmodified Baileys clients (npm `baileys@7.0.0-rc14` and `baileys@6.17.16`, each
//! driven interactively by `tests/interop/baileys-client.mjs`) against the `openwa-sim` binary run
//! as a separate process: pairing by code with a clean 515 restart, and two Baileys clients
//! (7 with 7, and 6 with 7: dictionary v2 with v3) messaging each other through the simulator
//! with delivery receipts.
//! (QR pairing, re-login and a message to a simulated phone: `baileys_interop.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use openwa_simulator::testing::{
    self, BAILEYS6, BAILEYS7, Baileys, STEP, has_status, require_node_modules, temp_auth_dir,
};
use serde_json::{Value, json};
use tokio::time::timeout;

/// The `openwa-sim` binary as a process of its own (killed on drop).
struct SimProcess {
    process: openwa_simulator::process::SimProcess,
    ws_url: String,
    admin_url: String,
}

async fn start_sim() -> SimProcess {
    let binary = Path::new(env!("CARGO_BIN_EXE_openwa-sim"));
    let process = openwa_simulator::process::SimProcess::start(binary, &[])
        .await
        .expect("openwa-sim starts");
    SimProcess {
        ws_url: process.ready.ws_url.clone(),
        admin_url: process.ready.admin_url.clone(),
        process,
    }
}

impl SimProcess {
    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        timeout(STEP, self.process.admin(method, path, body.as_ref()))
            .await
            .expect("admin request in time")
            .expect("admin request")
    }

    async fn create_account(&self, phone: &str) {
        let (status, body) = self
            .admin("POST", "/admin/accounts", Some(json!({"phone": phone})))
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// Pairs a fresh Baileys (package `pkg`) by QR with `phone`; returns the running client and its
/// device JID.
async fn pair_by_qr(sim: &SimProcess, pkg: &str, phone: &str, auth: &Path) -> (Baileys, String) {
    let (client, linked) = testing::pair_by_qr(&sim.ws_url, &sim.admin_url, pkg, phone, auth).await;
    (client, linked["jid"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn baileys7_pairs_by_code() {
    pairs_by_code(BAILEYS7).await;
}

#[tokio::test]
async fn baileys6_pairs_by_code() {
    pairs_by_code(BAILEYS6).await;
}

/// Pairing by code: the phone confirms the code through the admin API, the companion restarts on
/// 515 (not a bare close, 428) and logs in.
async fn pairs_by_code(pkg: &str) {
    require_node_modules();
    let sim = start_sim().await;
    sim.create_account("15550000002").await;
    let auth = temp_auth_dir("code");
    let mut client = Baileys::start(pkg, &sim.ws_url, &auth).await;
    // Baileys asks for a code once its socket is up (it shows a QR first).
    client.wait_event("qr").await;
    client
        .send(json!({"cmd": "pair_code", "phone": "15550000002"}))
        .await;
    let code = client.wait_event("pair_code").await;
    let code = code["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8, "{code}");
    // Baileys returns the code without waiting for the server's answer to its
    // `companion_hello`, so the phone may not know the code yet: retry while it is unknown.
    let deadline = tokio::time::Instant::now() + STEP;
    let linked = loop {
        let (status, linked) = sim
            .admin(
                "POST",
                "/admin/accounts/15550000002/link-code",
                Some(json!({"code": code})),
            )
            .await;
        if status == 404 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert_eq!(status, 200, "{linked}");
        break linked;
    };
    assert_eq!(linked["jid"], "15550000002:1@s.whatsapp.net");
    let restart = client
        .wait_for("close 515", |e| e["event"] == "close")
        .await;
    // 515, not 428: the simulator keeps the socket open after the stream error until Baileys
    // closes it, so the close cannot overtake the error (issue #4).
    assert_eq!(restart["status"], 515, "{restart}");
    let open = client.wait_event("open").await;
    assert_eq!(open["jid"], "15550000002:1@s.whatsapp.net", "{open}");
    client.quit().await;
    let _ = std::fs::remove_dir_all(&auth);
}

#[tokio::test]
async fn baileys7_to_baileys7_text_both_ways_through_the_simulator() {
    text_both_ways(BAILEYS7, BAILEYS7).await;
}

/// Dictionary v2 (Baileys 6) and v3 (Baileys 7) on one simulator.
#[tokio::test]
async fn baileys6_to_baileys7_text_both_ways_through_the_simulator() {
    text_both_ways(BAILEYS6, BAILEYS7).await;
}

/// Alice (package `alice_pkg`) and Bob (`bob_pkg`) exchange texts; each sender's Baileys shows
/// the delivery status of its message (3) and Alice's also the read status (4) once Bob reads it.
///
/// Baileys 6 keeps its events buffered after login until the phone shares an app-state sync key
/// (which the simulated phone does not send yet), so a Baileys 6 Alice is checked through Bob:
/// Bob receives her message, and Bob's message to her gets a delivery status, which her client
/// sends only after decrypting it.
async fn text_both_ways(alice_pkg: &str, bob_pkg: &str) {
    require_node_modules();
    let alice_events = alice_pkg != BAILEYS6;
    let sim = start_sim().await;
    sim.create_account("15550000005").await;
    sim.create_account("15550000006").await;
    let (auth_a, auth_b) = (temp_auth_dir("a"), temp_auth_dir("b"));
    let (mut alice, alice_jid) = pair_by_qr(&sim, alice_pkg, "15550000005", &auth_a).await;
    let (mut bob, bob_jid) = pair_by_qr(&sim, bob_pkg, "15550000006", &auth_b).await;
    assert_eq!(
        (alice_jid.as_str(), bob_jid.as_str()),
        (
            "15550000005:1@s.whatsapp.net",
            "15550000006:1@s.whatsapp.net"
        )
    );

    alice
        .send(json!({"cmd": "send_text", "to": "15550000006@s.whatsapp.net", "text": "hi bob"}))
        .await;
    let sent = alice.wait_event("sent").await;
    let got = bob
        .wait_for("alice's message", |e| {
            e["event"] == "message" && e["id"] == sent["id"]
        })
        .await;
    assert_eq!(got["text"], "hi bob", "{got}");
    assert_eq!(got["from_me"], false, "{got}");
    if alice_events {
        // Bob's client sent a delivery receipt; Alice's Baileys shows it.
        let delivered = alice
            .wait_for("delivery status of alice's message", |e| {
                has_status(e, &sent["id"], 3)
            })
            .await;
        let chat = delivered["chat"].as_str().or(delivered["from"].as_str());
        assert_eq!(chat, Some("15550000006@s.whatsapp.net"), "{delivered}");
        // Bob reads it; Alice sees status 4 (READ).
        bob.send(json!({"cmd": "read", "chat": got["from"], "id": got["id"]}))
            .await;
        alice
            .wait_for("read status of alice's message", |e| {
                has_status(e, &sent["id"], 4)
            })
            .await;
    }
    bob.send(json!({"cmd": "send_text", "to": "15550000005@s.whatsapp.net", "text": "hi alice"}))
        .await;
    let sent = bob.wait_event("sent").await;
    if alice_events {
        let got = alice
            .wait_for("bob's message", |e| {
                e["event"] == "message" && e["id"] == sent["id"]
            })
            .await;
        assert_eq!(got["text"], "hi alice", "{got}");
    }
    bob.wait_for("delivery status of bob's message", |e| {
        has_status(e, &sent["id"], 3)
    })
    .await;
    alice.quit().await;
    bob.quit().await;
    let _ = std::fs::remove_dir_all(&auth_a);
    let _ = std::fs::remove_dir_all(&auth_b);
}

fn participant_ids(metadata: &Value) -> Vec<(String, String, Value)> {
    let mut ids: Vec<_> = metadata["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["phoneNumber"].as_str().unwrap_or_default().to_owned(),
                p["admin"].clone(),
            )
        })
        .collect();
    ids.sort_by(|a, b| a.0.cmp(&b.0));
    ids
}

#[tokio::test]
async fn baileys7_group_create_metadata_changes_and_messages_both_ways() {
    require_node_modules();
    let sim = start_sim().await;
    sim.create_account("15550000007").await;
    sim.create_account("15550000008").await;
    let (auth_a, auth_b) = (temp_auth_dir("ga"), temp_auth_dir("gb"));
    let (mut alice, _) = pair_by_qr(&sim, BAILEYS7, "15550000007", &auth_a).await;
    let (mut bob, _) = pair_by_qr(&sim, BAILEYS7, "15550000008", &auth_b).await;

    // Alice creates the group: Baileys parses the answer, Bob learns of it by notification.
    let created = alice
        .group(
            "groupCreate",
            json!(["Interop", ["15550000008@s.whatsapp.net"]]),
        )
        .await;
    let group = created["id"].as_str().unwrap().to_owned();
    assert!(group.ends_with("@g.us"), "{created}");
    assert_eq!(created["subject"], "Interop");
    assert_eq!(created["addressingMode"], "lid");
    let upsert = bob
        .wait_for("groups.upsert", |e| {
            e["event"] == "group_event" && e["kind"] == "groups.upsert"
        })
        .await;
    assert_eq!(upsert["data"][0]["id"], group.as_str(), "{upsert}");
    assert_eq!(upsert["data"][0]["subject"], "Interop", "{upsert}");

    // Metadata as each member sees it matches what creation returned.
    let seen_by_alice = alice.group("groupMetadata", json!([group])).await;
    let seen_by_bob = bob.group("groupMetadata", json!([group])).await;
    let expected = participant_ids(&created);
    assert_eq!(expected.len(), 2, "{created}");
    assert_eq!(participant_ids(&seen_by_alice), expected);
    assert_eq!(participant_ids(&seen_by_bob), expected);
    assert!(
        expected.iter().any(|(id, pn, admin)| id.ends_with("@lid")
            && pn == "15550000007@s.whatsapp.net"
            && admin == "superadmin"),
        "{expected:?}"
    );
    assert_eq!(seen_by_bob["owner"], created["owner"]);

    // Group messages both ways: Baileys does the sender keys, the simulator routes.
    alice
        .send(json!({"cmd": "send_text", "to": group, "text": "hello group"}))
        .await;
    let sent = alice.wait_event("sent").await;
    let got = bob
        .wait_for("alice's group message", |e| {
            e["event"] == "message" && e["id"] == sent["id"]
        })
        .await;
    assert_eq!(got["text"], "hello group", "{got}");
    assert_eq!(got["from"], group.as_str(), "{got}");
    bob.send(json!({"cmd": "send_text", "to": group, "text": "hi from bob"}))
        .await;
    let sent = bob.wait_event("sent").await;
    let got = alice
        .wait_for("bob's group message", |e| {
            e["event"] == "message" && e["id"] == sent["id"]
        })
        .await;
    assert_eq!(got["text"], "hi from bob", "{got}");
    assert_eq!(got["from"], group.as_str(), "{got}");

    // A subject change and a promotion reach the other member as Baileys events.
    alice
        .group("groupUpdateSubject", json!([group, "Renamed"]))
        .await;
    let update = bob
        .wait_for("groups.update", |e| {
            e["event"] == "group_event"
                && e["kind"] == "groups.update"
                && e["data"][0]["subject"] == "Renamed"
        })
        .await;
    assert_eq!(update["data"][0]["id"], group.as_str(), "{update}");
    let bob_lid = expected
        .iter()
        .find(|(_, pn, _)| pn == "15550000008@s.whatsapp.net")
        .map(|(id, _, _)| id.clone())
        .unwrap();
    let results = alice
        .group(
            "groupParticipantsUpdate",
            json!([group, [bob_lid], "promote"]),
        )
        .await;
    assert_eq!(results[0]["status"], "200", "{results}");
    let promoted = bob
        .wait_for("group-participants.update", |e| {
            e["event"] == "group_event"
                && e["kind"] == "group-participants.update"
                && e["data"]["action"] == "promote"
        })
        .await;
    assert_eq!(promoted["data"]["id"], group.as_str(), "{promoted}");
    let code = bob.group("groupInviteCode", json!([group])).await;
    assert_eq!(code.as_str().map(str::len), Some(22), "{code}");
    let listed = bob.group("groupFetchAllParticipating", json!([])).await;
    assert_eq!(listed[&group]["subject"], "Renamed", "{listed}");

    alice.quit().await;
    bob.quit().await;
    let _ = std::fs::remove_dir_all(&auth_a);
    let _ = std::fs::remove_dir_all(&auth_b);
}

/// Newsletters: Alice (Baileys 7) creates one, Bob (Baileys 7) finds it by invite code and
/// follows it, Alice posts a text that Bob receives, and both see the same metadata.
#[tokio::test]
async fn baileys7_newsletter_create_follow_and_post() {
    require_node_modules();
    let sim = start_sim().await;
    sim.create_account("15550000021").await;
    sim.create_account("15550000022").await;
    let (auth_a, auth_b) = (temp_auth_dir("na"), temp_auth_dir("nb"));
    let (mut alice, _) = pair_by_qr(&sim, BAILEYS7, "15550000021", &auth_a).await;
    let (mut bob, _) = pair_by_qr(&sim, BAILEYS7, "15550000022", &auth_b).await;

    let created = alice
        .group(
            "newsletterCreate",
            json!(["Sim news", "from the simulator"]),
        )
        .await;
    let jid = created["id"].as_str().unwrap().to_owned();
    assert!(jid.ends_with("@newsletter"), "{created}");
    assert_eq!(created["name"], "Sim news", "{created}");
    assert_eq!(created["description"], "from the simulator", "{created}");
    let invite = created["invite"].as_str().unwrap().to_owned();

    let found = bob
        .group("newsletterMetadata", json!(["invite", invite]))
        .await;
    assert_eq!(found["id"], jid.as_str(), "{found}");
    bob.group("newsletterFollow", json!([jid])).await;
    let seen = alice.group("newsletterMetadata", json!(["jid", jid])).await;
    assert_eq!(seen["thread_metadata"]["subscribers_count"], "1", "{seen}");

    let id = alice.send_text(&jid, "first post").await;
    let got = bob
        .wait_for("the newsletter post", |e| {
            e["event"] == "message" && e["from"] == jid.as_str()
        })
        .await;
    assert_eq!(got["text"], "first post", "{got}");
    assert_eq!(got["id"], id.as_str(), "{got}");

    alice.quit().await;
    bob.quit().await;
    let _ = std::fs::remove_dir_all(&auth_a);
    let _ = std::fs::remove_dir_all(&auth_b);
}
