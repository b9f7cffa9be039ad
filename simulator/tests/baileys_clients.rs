//! Interop: unmodified Baileys clients (npm `baileys@7.0.0-rc14` and `baileys@6.17.16`, each
//! driven interactively by `tests/interop/baileys-client.mjs`) against the `openwa-sim` binary run
//! as a separate process: pairing by code with a clean 515 restart, and two Baileys clients
//! (7 with 7, and 6 with 7: dictionary v2 with v3) messaging each other through the simulator
//! with delivery receipts.
//! Simulated phones as Signal peers of Baileys 7: text both ways, an image from a phone
//! downloaded and decrypted by Baileys, delivery and read receipts both ways, and a group of a
//! phone and two Baileys clients where every member's message reaches the two others.
//! (QR pairing, re-login and a message to a simulated phone: `baileys_interop.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openwa_testkit::baileys::{
    self, BAILEYS6, BAILEYS7, Baileys, STEP, has_status, require_node_modules, temp_auth_dir,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::time::timeout;

/// The `openwa-sim` binary as a process of its own (killed on drop).
struct SimProcess {
    process: openwa_simulator::process::SimProcess,
    ws_url: String,
    admin_url: String,
    tls_cert_path: String,
}

async fn start_sim() -> SimProcess {
    let binary = Path::new(env!("CARGO_BIN_EXE_openwa-sim"));
    let process = openwa_simulator::process::SimProcess::start(binary, &[])
        .await
        .expect("openwa-sim starts");
    SimProcess {
        ws_url: process.ready.ws_url.clone(),
        admin_url: process.ready.admin_url.clone(),
        tls_cert_path: process.ready.tls_cert_path.clone(),
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
    let (client, linked) = baileys::pair_by_qr(&sim.ws_url, &sim.admin_url, pkg, phone, auth).await;
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
/// Baileys 6 surfaces events only once the phone shared its app-state sync key, which the
/// simulated phone sends every companion it links. Bob's message to Alice also gets a delivery
/// receipt from her companion device (seen on Bob's phone's timeline, which keeps each device's
/// receipt; her phone's own receipt gives Bob's Baileys the status at once).
async fn text_both_ways(alice_pkg: &str, bob_pkg: &str) {
    require_node_modules();
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
    // Bob's devices sent delivery receipts; Alice's Baileys shows the status.
    wait_status(&mut alice, &sent["id"], 3).await;
    let delivered = alice
        .seen()
        .iter()
        .find(|e| has_status(e, &sent["id"], 3))
        .unwrap()
        .clone();
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
    bob.send(json!({"cmd": "send_text", "to": "15550000005@s.whatsapp.net", "text": "hi alice"}))
        .await;
    let sent = bob.wait_event("sent").await;
    let got = alice
        .wait_for("bob's message", |e| {
            e["event"] == "message" && e["id"] == sent["id"]
        })
        .await;
    assert_eq!(got["text"], "hi alice", "{got}");
    // Alice's phone acknowledges at once too, so the status can precede Baileys' `sent`.
    wait_status(&mut bob, &sent["id"], 3).await;
    // Alice's companion (not only her phone) decrypted it: Bob's phone keeps the device-sent
    // copy of his message with the receipts of each of Alice's devices.
    let id = sent["id"].as_str().unwrap();
    sim.wait_timeline("15550000006", "the receipt of Alice's companion", |e| {
        e["id"] == id && e["receipts"]["15550000005:1@s.whatsapp.net"] == "delivery"
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

/// Waits for status `status` of message `id`, which may have arrived already (a receipt can
/// overtake Baileys' own `sent` answer).
async fn wait_status(client: &mut Baileys, id: &Value, status: u64) {
    if !client.seen().iter().any(|e| has_status(e, id, status)) {
        client
            .wait_for(&format!("status {status}"), |e| has_status(e, id, status))
            .await;
    }
}

impl SimProcess {
    /// Polls the phone's timeline until an entry matches `pred`.
    async fn wait_timeline(&self, phone: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let (status, entries) = self
                .admin("GET", &format!("/admin/accounts/{phone}/messages"), None)
                .await;
            assert_eq!(status, 200, "{entries}");
            if let Some(found) = entries.as_array().unwrap().iter().find(|e| pred(e)) {
                return found.clone();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what} on {phone}'s timeline: {entries}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends as the phone; returns the message id.
    async fn phone_send(&self, phone: &str, body: Value) -> String {
        let (status, sent) = self
            .admin(
                "POST",
                &format!("/admin/accounts/{phone}/messages"),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{sent}");
        sent["id"].as_str().unwrap().to_owned()
    }

    /// Pairs Baileys 7, trusting the simulator's certificate for media downloads.
    async fn pair_trusting(&self, phone: &str, auth: &Path) -> Baileys {
        let env = [("NODE_EXTRA_CA_CERTS", self.tls_cert_path.as_str())];
        let (client, _) = baileys::pair_by_qr_with_env(
            &self.ws_url,
            &self.admin_url,
            BAILEYS7,
            phone,
            auth,
            &env,
        )
        .await;
        client
    }
}

#[tokio::test]
async fn baileys7_and_a_phone_text_image_and_receipts_both_ways() {
    require_node_modules();
    let sim = start_sim().await;
    let (phone, user) = ("15550000011", "15550000012");
    sim.create_account(phone).await;
    sim.create_account(user).await;
    let auth = temp_auth_dir("phone-peer");
    let mut bob = sim.pair_trusting(user, &auth).await;
    let phone_jid = format!("{phone}@s.whatsapp.net");
    let user_jid = format!("{user}@s.whatsapp.net");

    // Baileys -> phone: decrypted on the phone's timeline; delivery, then read after the phone
    // reads it.
    let id = bob.send_text(&phone_jid, "hello phone").await;
    let got = sim
        .wait_timeline(phone, "Baileys' text", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["text"], "hello phone", "{got}");
    assert_eq!(got["chat"], user_jid, "{got}");
    assert_eq!(got["enc"], "pkmsg", "{got}");
    // Bob's own phone got the device-sent copy.
    let copy = sim
        .wait_timeline(user, "the device-sent copy", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(copy["from_me"], true, "{copy}");
    assert_eq!(copy["chat"], phone_jid, "{copy}");
    assert_eq!(copy["text"], "hello phone", "{copy}");
    let id_value = json!(id);
    wait_status(&mut bob, &id_value, 3).await;
    let (status, read) = sim
        .admin(
            "POST",
            &format!("/admin/accounts/{phone}/messages/{id}/read"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{read}");
    wait_status(&mut bob, &id_value, 4).await;

    // Phone -> Baileys: a text, delivered and then read by Baileys.
    let id = sim
        .phone_send(phone, json!({"to": user, "text": "hello Baileys"}))
        .await;
    let got = bob.wait_message(&id).await;
    assert_eq!(got["text"], "hello Baileys", "{got}");
    assert_eq!(got["from"], phone_jid, "{got}");
    sim.wait_timeline(phone, "delivery from Baileys", |e| {
        e["id"] == id.as_str()
            && e["receipts"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == "delivery")
    })
    .await;
    bob.send(json!({"cmd": "read", "chat": phone_jid, "id": id}))
        .await;
    bob.wait_event("read").await;
    sim.wait_timeline(phone, "read by Baileys", |e| {
        e["id"] == id.as_str()
            && e["receipts"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == "read")
    })
    .await;

    // Bob's own phone sends: Bob sees it as his own message in that chat.
    let id = sim
        .phone_send(user, json!({"to": phone, "text": "sent on my phone"}))
        .await;
    // Now and then Baileys cannot decrypt the first copy (it reports a CIPHERTEXT stub and
    // sends a retry receipt, which the phone answers with a resend): wait for the decrypted one.
    let own = bob
        .wait_for("own phone's message", |e| {
            e["event"] == "message" && e["id"] == id.as_str() && !e["text"].is_null()
        })
        .await;
    assert_eq!(own["from_me"], true, "{own}");
    assert_eq!(own["from"], phone_jid, "{own}");
    assert_eq!(own["text"], "sent on my phone", "{own}");
    let got = sim
        .wait_timeline(phone, "the text of Bob's phone", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["text"], "sent on my phone", "{got}");

    // Phone -> Baileys: an image Baileys downloads from the media host and decrypts.
    let image: Vec<u8> = (0..20_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let id = sim
        .phone_send(
            phone,
            json!({"to": user_jid, "image": {"data": STANDARD.encode(&image), "mimetype": "image/jpeg", "caption": "look"}}),
        )
        .await;
    let got = bob.wait_message(&id).await;
    assert_eq!(got["kind"], "imageMessage", "{got}");
    assert_eq!(got["text"], "look", "{got}");
    bob.send(json!({"cmd": "download", "id": id})).await;
    let downloaded = bob.wait_event("download").await;
    assert_eq!(downloaded["length"], image.len(), "{downloaded}");
    assert_eq!(
        downloaded["sha256"],
        hex::encode(Sha256::digest(&image)),
        "{downloaded}"
    );

    // Baileys -> phone: an image Baileys encrypts and uploads; the phone's copy decrypts to the
    // same bytes.
    let picture: Vec<u8> = (0..9_000u32).map(|i| (i * 17 % 241) as u8).collect();
    bob.send(json!({"cmd": "send_image", "to": phone_jid, "data": STANDARD.encode(&picture), "mimetype": "image/jpeg", "caption": "for the phone"}))
        .await;
    let id = bob.wait_event("sent").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let got = sim
        .wait_timeline(phone, "Baileys' image", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["type"], "image", "{got}");
    assert_eq!(got["text"], "for the phone", "{got}");
    let media = timeout(
        STEP,
        common::http(
            &sim.admin_url,
            "GET",
            &format!("/admin/accounts/{phone}/messages/{id}/media"),
            None,
        ),
    )
    .await
    .unwrap();
    assert_eq!(media.status, 200);
    assert_eq!(media.body, picture);

    bob.quit().await;
    let _ = std::fs::remove_dir_all(&auth);
}

#[tokio::test]
async fn baileys7_group_of_a_phone_and_two_clients_every_member_reaches_the_others() {
    require_node_modules();
    let sim = start_sim().await;
    let (phone, b, c) = ("15550000021", "15550000022", "15550000023");
    for p in [phone, b, c] {
        sim.create_account(p).await;
    }
    let (auth_b, auth_c) = (temp_auth_dir("pg-b"), temp_auth_dir("pg-c"));
    let mut bob = sim.pair_trusting(b, &auth_b).await;
    let mut carol = sim.pair_trusting(c, &auth_c).await;

    let (status, created) = sim
        .admin(
            "POST",
            &format!("/admin/accounts/{phone}/groups"),
            Some(json!({"subject": "Phone and two", "participants": [b, c]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let group = created["jid"].as_str().unwrap().to_owned();
    for client in [&mut bob, &mut carol] {
        client
            .wait_for("groups.upsert", |e| {
                e["event"] == "group_event" && e["kind"] == "groups.upsert"
            })
            .await;
    }

    // The phone sends: both clients decrypt its sender key message.
    let id = sim
        .phone_send(phone, json!({"to": group, "text": "from the phone"}))
        .await;
    for client in [&mut bob, &mut carol] {
        let got = client.wait_message(&id).await;
        assert_eq!(got["text"], "from the phone", "{got}");
        assert_eq!(got["from"], group.as_str(), "{got}");
    }
    // Each client sends: the other client and the phone receive it.
    let id = bob.send_text(&group, "from bob").await;
    assert_eq!(carol.wait_message(&id).await["text"], "from bob");
    let got = sim
        .wait_timeline(phone, "bob's group message", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["text"], "from bob", "{got}");
    assert_eq!(got["chat"], group.as_str(), "{got}");
    let id = carol.send_text(&group, "from carol").await;
    assert_eq!(bob.wait_message(&id).await["text"], "from carol");
    let got = sim
        .wait_timeline(phone, "carol's group message", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["text"], "from carol", "{got}");

    bob.quit().await;
    carol.quit().await;
    let _ = std::fs::remove_dir_all(&auth_b);
    let _ = std::fs::remove_dir_all(&auth_c);
}

/// Baileys 6.17.16 (dictionary v2) and a simulated phone: text both ways, with the delivery
/// status on each side.
#[tokio::test]
async fn baileys6_and_a_phone_text_both_ways_with_receipts() {
    require_node_modules();
    let sim = start_sim().await;
    let (phone, user) = ("15550000061", "15550000062");
    sim.create_account(phone).await;
    sim.create_account(user).await;
    let auth = temp_auth_dir("phone-peer6");
    let (mut bob, _) =
        baileys::pair_by_qr(&sim.ws_url, &sim.admin_url, BAILEYS6, user, &auth).await;
    let phone_jid = format!("{phone}@s.whatsapp.net");

    let id = bob.send_text(&phone_jid, "hello phone from 6").await;
    let got = sim
        .wait_timeline(phone, "Baileys 6's text", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(got["text"], "hello phone from 6", "{got}");
    wait_status(&mut bob, &json!(id), 3).await;

    let id = sim
        .phone_send(phone, json!({"to": user, "text": "hello Baileys 6"}))
        .await;
    let got = bob.wait_message(&id).await;
    assert_eq!(got["text"], "hello Baileys 6", "{got}");
    sim.wait_timeline(phone, "delivery from Baileys 6", |e| {
        e["id"] == id.as_str()
            && e["receipts"]
                .as_object()
                .is_some_and(|r| r.values().any(|v| v == "delivery"))
    })
    .await;
    bob.quit().await;
    let _ = std::fs::remove_dir_all(&auth);
}

/// Baileys 6.17.16 (which knows no LIDs) as a member of a PN-addressed group created by a phone,
/// next to Baileys 7: the phone's group message reaches both, and each client's group message
/// reaches the other and the phone.
#[tokio::test]
async fn baileys6_in_a_pn_group_with_a_phone_and_baileys7() {
    require_node_modules();
    let sim = start_sim().await;
    let (phone, b6, b7) = ("15550000071", "15550000072", "15550000073");
    for p in [phone, b6, b7] {
        sim.create_account(p).await;
    }
    let (auth6, auth7) = (temp_auth_dir("pn6"), temp_auth_dir("pn7"));
    let (mut six, _) = pair_by_qr(&sim, BAILEYS6, b6, &auth6).await;
    let mut seven = sim.pair_trusting(b7, &auth7).await;
    let (status, created) = sim
        .admin(
            "POST",
            &format!("/admin/accounts/{phone}/groups"),
            Some(json!({"subject": "PN group", "participants": [b6, b7], "addressing_mode": "pn"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["addressing_mode"], "pn", "{created}");
    let group = created["jid"].as_str().unwrap().to_owned();
    for client in [&mut six, &mut seven] {
        client
            .wait_for("groups.upsert", |e| {
                e["event"] == "group_event" && e["kind"] == "groups.upsert"
            })
            .await;
    }

    let id = sim
        .phone_send(phone, json!({"to": group, "text": "from the phone"}))
        .await;
    for client in [&mut six, &mut seven] {
        let got = client.wait_message(&id).await;
        assert_eq!(got["text"], "from the phone", "{got}");
        assert_eq!(got["from"], group.as_str(), "{got}");
    }
    let id = six.send_text(&group, "from baileys 6").await;
    assert_eq!(seven.wait_message(&id).await["text"], "from baileys 6");
    let got = sim
        .wait_timeline(phone, "Baileys 6's group message", |e| {
            e["id"] == id.as_str()
        })
        .await;
    assert_eq!(got["text"], "from baileys 6", "{got}");
    let id = seven.send_text(&group, "from baileys 7").await;
    assert_eq!(six.wait_message(&id).await["text"], "from baileys 7");

    six.quit().await;
    seven.quit().await;
    let _ = std::fs::remove_dir_all(&auth6);
    let _ = std::fs::remove_dir_all(&auth7);
}
