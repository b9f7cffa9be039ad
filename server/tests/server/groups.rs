//! The group routes end to end: create a group with two simulated phones, send-text to it
//! (both phones decrypt), list and get it, participants (add, promote with per-participant
//! results, remove), subject, description, settings, invite code and its revocation, join
//! requests, leave, and the typed errors; on SQLite and PostgreSQL.

use reqwest::Method;
use serde_json::{Value, json};

use openwa_testkit::Backend;

use crate::common::{Server, pg_url, sim_with, wait_for};

const ALICE: &str = "15551120001";
const BOB: &str = "15551120002";
const CAROL: &str = "15551120003";
const DAVE: &str = "15551120004";

async fn phone_has(
    sim: &openwa_simulator::SimulatorHandle,
    phone: &str,
    id: &str,
) -> Option<Value> {
    let timeline = openwa_testkit::http(
        &sim.info.admin_url,
        "GET",
        &format!("/admin/accounts/{phone}/messages"),
        None,
    )
    .await
    .json();
    timeline.as_array()?.iter().find(|m| m["id"] == id).cloned()
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

async fn put(server: &Server, path: &str, body: Value) -> reqwest::Response {
    server
        .req(Method::PUT, path)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn groups_over_http(server: &Server, sim: &openwa_simulator::SimulatorHandle) {
    let id = server.create_session("alice").await;
    server.link(sim, &id, ALICE).await;
    let base = format!("/api/sessions/{id}/groups");

    let created = server
        .post(
            &base,
            json!({ "name": "Team", "participants": [BOB, format!("{CAROL}@c.us")] }),
        )
        .await;
    let created = json_of(created, 201).await;
    let group = created["id"].as_str().unwrap().to_owned();
    assert!(group.ends_with("@g.us"), "{created}");
    assert_eq!(created["participantsCount"], 3, "{created}");
    assert_eq!(created["isAdmin"], true, "{created}");

    // send-text to the group reaches both phones.
    let sent = server
        .post(
            &format!("/api/sessions/{id}/messages/send-text"),
            json!({ "chatId": group, "text": "hello team" }),
        )
        .await;
    let sent = json_of(sent, 201).await;
    let message = sent["messageId"].as_str().unwrap().to_owned();
    for phone in [BOB, CAROL] {
        let got = wait_for(|| phone_has(sim, phone, &message)).await;
        assert_eq!(got["text"], "hello team", "{got}");
    }

    let listed = json_of(server.get(&base).await, 200).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == group.as_str()),
        "{listed}"
    );
    let one = format!("{base}/{group}");
    let details = json_of(server.get(&one).await, 200).await;
    assert_eq!(details["name"], "Team");
    let bob = details["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == format!("{BOB}@c.us"))
        .cloned()
        .unwrap();
    assert_eq!(
        (bob["number"].as_str(), bob["isAdmin"].as_bool()),
        (Some(BOB), Some(false))
    );

    // Participants: add Dave, promote Bob (results per participant), remove Carol.
    let added = server
        .post(
            &format!("{one}/participants"),
            json!({ "participants": [DAVE] }),
        )
        .await;
    let added = json_of(added, 200).await;
    assert_eq!(added["results"][0]["success"], true, "{added}");
    let promoted = server
        .post(
            &format!("{one}/participants/promote"),
            json!({ "participants": [BOB, "15559999999"] }),
        )
        .await;
    let promoted = json_of(promoted, 200).await;
    let results = promoted["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "{promoted}");
    assert!(
        results
            .iter()
            .any(|r| r["success"] == false && r["status"] == 404),
        "{promoted}"
    );
    let removed = server
        .req(Method::DELETE, &format!("{one}/participants"))
        .json(&json!({ "participants": [CAROL] }))
        .send()
        .await
        .unwrap();
    json_of(removed, 200).await;
    // Every participant failing is the operation failing.
    let again = server
        .req(Method::DELETE, &format!("{one}/participants"))
        .json(&json!({ "participants": [CAROL] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(again, 403).await["type"],
        "urn:openwa:error:permission_denied"
    );

    // Subject, description, settings.
    json_of(
        put(
            server,
            &format!("{one}/subject"),
            json!({ "subject": "Renamed" }),
        )
        .await,
        200,
    )
    .await;
    json_of(
        put(
            server,
            &format!("{one}/description"),
            json!({ "description": "about us" }),
        )
        .await,
        200,
    )
    .await;
    let settings = put(
        server,
        &format!("{one}/settings"),
        json!({ "announce": true, "ephemeralSeconds": 86400, "joinApproval": true }),
    )
    .await;
    let settings = json_of(settings, 200).await;
    assert_eq!(
        (
            settings["announce"].as_bool(),
            settings["ephemeralSeconds"].as_u64()
        ),
        (Some(true), Some(86400)),
        "{settings}"
    );
    let details = json_of(server.get(&one).await, 200).await;
    assert_eq!(details["name"], "Renamed");
    assert_eq!(details["description"], "about us");
    assert_eq!(details["isAnnounce"], true);
    let state = sim.sim().read(|s| {
        let g = s.group(&group).unwrap();
        (
            g.subject.clone(),
            g.announce,
            g.ephemeral,
            g.approval_required,
        )
    });
    assert_eq!(state, ("Renamed".to_owned(), true, 86400, true));
    json_of(
        put(server, &format!("{one}/settings"), json!({})).await,
        400,
    )
    .await;

    // Invite code and revocation; the preview by code.
    let code = json_of(server.get(&format!("{one}/invite-code")).await, 200).await;
    let revoked = json_of(
        server
            .post(&format!("{one}/invite-code/revoke"), json!({}))
            .await,
        200,
    )
    .await;
    assert_ne!(code["inviteCode"], revoked["inviteCode"]);
    let link = revoked["inviteLink"].as_str().unwrap();
    assert!(link.starts_with("https://chat.whatsapp.com/"), "{revoked}");
    let preview = server
        .get(&format!(
            "{base}/join-info?code={}",
            revoked["inviteCode"].as_str().unwrap()
        ))
        .await;
    assert_eq!(json_of(preview, 200).await["name"], "Renamed");
    let requests = json_of(server.get(&format!("{one}/membership-requests")).await, 200).await;
    assert_eq!(requests, json!([]));

    // Typed errors.
    json_of(
        server.get(&format!("{base}/120363099999999999@g.us")).await,
        404,
    )
    .await;
    json_of(server.get(&format!("{base}/not-a-group")).await, 400).await;
    json_of(
        server
            .post(&base, json!({ "name": " ", "participants": [BOB] }))
            .await,
        400,
    )
    .await;
    json_of(
        server
            .post(&base, json!({ "name": "x", "participants": [] }))
            .await,
        400,
    )
    .await;

    // Leave: the group is no longer listed.
    json_of(server.post(&format!("{one}/leave"), json!({})).await, 200).await;
    let listed = json_of(server.get(&base).await, 200).await;
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == group.as_str()),
        "{listed}"
    );
}

#[tokio::test]
async fn groups_on_sqlite() {
    let sim = sim_with(&[ALICE, BOB, CAROL, DAVE]).await;
    let server = Server::start(&sim).await;
    groups_over_http(&server, &sim).await;
}

#[tokio::test]
async fn groups_on_postgres() {
    openwa_testkit::with_store(Backend::Postgres, |store| async move {
        let sim = sim_with(&[ALICE, BOB, CAROL, DAVE]).await;
        let server = Server::start_with(&sim, Some(&pg_url(&store)), &[]).await;
        groups_over_http(&server, &sim).await;
    })
    .await;
}
