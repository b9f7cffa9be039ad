//! The simulator against a real protocol client (`openwa_simulator::client`, built on
//! `openwa-protocol`): Noise, QR and code pairing, login, faults, IQs, routing, queues.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::session::{ask, iq, online, online_with, pair, pair_with, root, within};
use common::{http, start};
use openwa_protocol::binary::Dictionary;
use openwa_protocol::payload::ClientConfig;
use openwa_protocol::stanza::{
    FetchPreKeys, IqSpec, KeyRequest, PreKeyCount, UploadPreKeys, UsyncQuery,
};
use openwa_protocol::{Jid, Node};
use openwa_simulator::client::{self, Client, CompanionKeys};
use serde_json::json;
use tokio::net::TcpStream;

async fn closed(client: &mut Client<TcpStream>) -> Vec<Node> {
    let mut seen = Vec::new();
    within("close", async {
        while let Ok(Some(node)) = client.recv().await {
            seen.push(node);
        }
    })
    .await;
    seen
}

#[tokio::test]
async fn qr_pairing_then_login_with_lid() {
    let sim = start().await;
    let account = sim.create_account("15550000001", "Alice").unwrap();
    let paired = pair(&sim, "15550000001").await;
    assert_eq!(paired.jid, "15550000001:1@s.whatsapp.net".parse().unwrap());
    assert_eq!(paired.lid, Some("100000000000001:1@lid".parse().unwrap()));
    let devices = sim.devices("15550000001").unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!((devices[1].device, devices[1].key_index), (1, 1));

    let (mut client, first) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &paired,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.tag, "success");
    assert_eq!(
        first.attr_jid("lid").map(|j| j.to_string()),
        Some(account.lid.clone())
    );
    assert!(first.attr_u64("t").unwrap() > 0);
    let pong = ask(&mut client, iq("p1", "w:p", "get", vec![Node::new("ping")])).await;
    assert_eq!(pong.attr_str("type").as_deref(), Some("result"));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn code_pairing() {
    use openwa_protocol::pairing::code::CompanionCodePairing;
    use openwa_protocol::stanza::{
        LinkCodeCompanionFinish, LinkCodeCompanionHello, LinkCodePrimaryHello,
    };
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let keys = CompanionKeys::generate();
    let (mut client, _refs) = client::register(
        &sim.info.ws_url,
        root(&sim),
        &keys,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    let (companion, wrapped) = CompanionCodePairing::start(&mut rand_core::OsRng);
    let hello = LinkCodeCompanionHello {
        phone: Jid::pn("15550000001"),
        show_push_notification: true,
        wrapped_companion_ephemeral_pub: wrapped.to_vec(),
        companion_server_auth_key_pub: keys.noise.public.to_vec(),
        companion_platform_id: "1".into(),
        companion_platform_display: "Chrome (Linux)".into(),
        nonce: b"0".to_vec(),
    };
    let answer = ask(&mut client, hello.request_with_id("lc-1")).await;
    let pairing_ref = LinkCodeCompanionHello::parse_response(&answer).unwrap();

    let code = companion.code().formatted();
    let admin = sim.info.admin_url.clone();
    let link = tokio::spawn(async move {
        http(
            &admin,
            "POST",
            "/admin/accounts/15550000001/link-code",
            Some(json!({"code": code})),
        )
        .await
    });
    let notification = within(
        "primary hello",
        client.recv_until(|n| n.tag == "notification"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        notification.attr_str("type").as_deref(),
        Some("link_code_companion_reg")
    );
    let primary = LinkCodePrimaryHello::from_node(notification.first_child().unwrap()).unwrap();
    assert_eq!(primary.pairing_ref, pairing_ref);
    let primary_identity: [u8; 32] = primary.primary_identity_pub.as_slice().try_into().unwrap();
    let finish = companion
        .finish(
            &primary.wrapped_primary_ephemeral_pub,
            &primary_identity,
            &keys.identity,
            &mut rand_core::OsRng,
        )
        .unwrap();
    let finish_iq = LinkCodeCompanionFinish {
        phone: Jid::pn("15550000001"),
        wrapped_key_bundle: finish.wrapped_key_bundle.clone(),
        companion_identity_public: keys.identity.public.to_vec(),
        pairing_ref,
    };
    client
        .send(&finish_iq.request_with_id("lc-2"))
        .await
        .unwrap();
    let paired = within(
        "code pairing",
        client::complete_pairing(&mut client, &keys, &finish.adv_secret),
    )
    .await
    .unwrap();
    assert_eq!(paired.jid.device, 1);
    let response = within("link-code response", link).await.unwrap();
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let (_client, first) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &paired,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.tag, "success");

    // A wrong code and an unknown phone are refused.
    let wrong = http(
        &sim.info.admin_url,
        "POST",
        "/admin/accounts/15550000001/link-code",
        Some(json!({"code": "not a code"})),
    )
    .await;
    assert_eq!(wrong.status, 400);
    let nobody = http(
        &sim.info.admin_url,
        "POST",
        "/admin/accounts/15550000001/link-code",
        Some(json!({"code": "ABCD-EFGH"})),
    )
    .await;
    assert_eq!(nobody.status, 404);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn link_rejects_bad_and_unknown_qr_codes() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let admin = &sim.info.admin_url;
    let bad = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/link",
        Some(json!({"qr": "garbage"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    let keys = CompanionKeys::generate();
    let unknown = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/link",
        Some(json!({"qr": keys.qr("2@nope").unwrap()})),
    )
    .await;
    assert_eq!(unknown.status, 404);
    // Right ref, wrong keys.
    let (_client, refs) = client::register(
        &sim.info.ws_url,
        root(&sim),
        &keys,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    let other = CompanionKeys::generate();
    let mismatch = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/link",
        Some(json!({"qr": other.qr(&refs[2]).unwrap()})),
    )
    .await;
    assert_eq!(mismatch.status, 400);
    let no_account = http(
        admin,
        "POST",
        "/admin/accounts/1999999/link",
        Some(json!({"qr": keys.qr(&refs[0]).unwrap()})),
    )
    .await;
    assert_eq!(no_account.status, 404);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn unknown_device_or_wrong_key_gets_failure_401() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let paired = pair(&sim, "15550000001").await;
    let mut impostor = paired.clone();
    impostor.keys.noise = openwa_protocol::crypto::KeyPair::generate(&mut rand_core::OsRng);
    let (_c, first) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &impostor,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (first.tag.as_str(), first.attr_str("reason").as_deref()),
        ("failure", Some("401"))
    );
    let mut ghost = paired.clone();
    ghost.jid = "15550000001:7@s.whatsapp.net".parse().unwrap();
    let (_c, first) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &ghost,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.tag, "failure");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn second_login_replaces_the_first() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let paired = pair(&sim, "15550000001").await;
    let (mut old, _) = online(&sim, &paired).await;
    let (mut new, _) = online(&sim, &paired).await;
    let seen = closed(&mut old).await;
    let error = seen
        .iter()
        .find(|n| n.tag == "stream:error")
        .expect("no stream:error");
    assert_eq!(
        error
            .get_child("conflict")
            .and_then(|c| c.attr_str("type"))
            .as_deref(),
        Some("replaced")
    );
    let pong = ask(&mut new, iq("p", "w:p", "get", vec![])).await;
    assert_eq!(pong.attr_str("type").as_deref(), Some("result"));
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn logout_and_admin_unlink_send_device_removed() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let first = pair(&sim, "15550000001").await;
    let second = pair(&sim, "15550000001").await;
    assert_eq!(second.jid.device, 2);

    // Logout by the companion itself.
    let (mut client, _) = online(&sim, &first).await;
    let remove = iq(
        "rm",
        "md",
        "set",
        vec![
            Node::new("remove-companion-device")
                .attr("jid", first.jid.clone())
                .attr("reason", "user_initiated"),
        ],
    );
    let answer = ask(&mut client, remove).await;
    assert_eq!(answer.attr_str("type").as_deref(), Some("result"));
    let seen = closed(&mut client).await;
    let error = seen
        .iter()
        .find(|n| n.tag == "stream:error")
        .expect("no stream:error");
    assert_eq!(error.attr_str("code").as_deref(), Some("401"));
    assert_eq!(
        error
            .get_child("conflict")
            .and_then(|c| c.attr_str("type"))
            .as_deref(),
        Some("device_removed")
    );
    let (_c, again) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &first,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(again.tag, "failure");

    // Unlink by the phone through the admin API.
    let (mut client, _) = online(&sim, &second).await;
    let deleted = http(
        &sim.info.admin_url,
        "DELETE",
        "/admin/accounts/15550000001/devices/2",
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    let seen = closed(&mut client).await;
    assert!(
        seen.iter()
            .any(|n| n.tag == "stream:error" && n.attr_str("code").as_deref() == Some("401"))
    );
    assert_eq!(sim.devices("15550000001").unwrap().len(), 1);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn fault_kinds_against_live_connections() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    let paired = pair(&sim, "15550000001").await;
    let admin = sim.info.admin_url.clone();

    // stream_error: the client gets <stream:error code=…/> and the socket closes.
    let (mut client, _) = online(&sim, &paired).await;
    let outcome = http(
        &admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "stream_error", "code": 503})),
    )
    .await;
    assert_eq!(outcome.json()["affected"], 1);
    let seen = closed(&mut client).await;
    assert!(
        seen.iter()
            .any(|n| n.tag == "stream:error" && n.attr_str("code").as_deref() == Some("503"))
    );

    // drop_connections (filtered by phone): the socket closes without a stanza.
    let (mut client, _) = online(&sim, &paired).await;
    let other = http(
        &admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "drop_connections", "phone": "19999999"})),
    )
    .await;
    assert_eq!(other.json()["affected"], 0);
    let outcome = http(
        &admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "drop_connections", "phone": "15550000001"})),
    )
    .await;
    assert_eq!(outcome.json()["affected"], 1);
    assert!(closed(&mut client).await.is_empty());

    // refuse_logins with a count: the next login fails with the reason, the one after succeeds.
    http(
        &admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "refuse_logins", "reason": 503, "count": 1})),
    )
    .await;
    let (_c, refused) = client::login(
        &sim.info.ws_url,
        root(&sim),
        &paired,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        (refused.tag.as_str(), refused.attr_str("reason").as_deref()),
        ("failure", Some("503"))
    );
    let (mut client, _) = online(&sim, &paired).await;

    // delay_ms: an answer cannot arrive before the delay has passed (a lower bound only).
    http(
        &admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "delay_ms", "ms": 300})),
    )
    .await;
    let sent = Instant::now();
    let pong = ask(&mut client, iq("slow", "w:p", "get", vec![])).await;
    assert!(sent.elapsed() >= Duration::from_millis(300));
    assert_eq!(pong.attr_str("type").as_deref(), Some("result"));
    http(&admin, "DELETE", "/admin/faults", None).await;
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn prekeys_upload_count_fetch_digest_rotate() {
    use openwa_protocol::stanza::{GetKeyDigest, PreKey, RotateSignedPreKey, SignedPreKey};
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    sim.create_account("15550000002", "Bob").unwrap();
    let alice = pair(&sim, "15550000001").await;
    let bob = pair(&sim, "15550000002").await;
    let (mut a, _) = online(&sim, &alice).await;
    let (mut b, _) = online(&sim, &bob).await;

    let count = ask(&mut a, PreKeyCount.request_with_id("c0")).await;
    assert_eq!(PreKeyCount::parse_response(&count).unwrap(), 0);
    let signed = SignedPreKey {
        id: 1,
        public: alice.keys.signed_prekey.public,
        signature: [7; 64],
    };
    let upload = UploadPreKeys {
        registration_id: alice.keys.registration_id,
        identity: alice.keys.identity.public,
        prekeys: (1..=5)
            .map(|id| PreKey {
                id,
                public: [id as u8; 32],
            })
            .collect(),
        signed,
    };
    let done = ask(&mut a, upload.request_with_id("up")).await;
    assert_eq!(done.attr_str("type").as_deref(), Some("result"));
    assert_eq!(
        PreKeyCount::parse_response(&ask(&mut a, PreKeyCount.request_with_id("c1")).await).unwrap(),
        5
    );

    // Bob fetches Alice's companion (by LID, as Baileys does) and her phone.
    let fetch = FetchPreKeys {
        users: vec![
            KeyRequest::new(alice.lid.clone().unwrap()),
            KeyRequest::new(Jid::pn("15550000001")),
            KeyRequest::new("15550000001:9@s.whatsapp.net".parse().unwrap()),
        ],
    };
    let answer =
        FetchPreKeys::parse_response(&ask(&mut b, fetch.request_with_id("f")).await).unwrap();
    let companion = answer[0].bundle.as_ref().unwrap();
    assert_eq!(companion.identity, alice.keys.identity.public);
    assert_eq!(companion.prekey.as_ref().map(|k| k.id), Some(1));
    let phone = answer[1].bundle.as_ref().unwrap();
    assert!(phone.prekey.is_some());
    assert_eq!(answer[2].bundle.as_ref().unwrap_err().code, 404);
    assert_eq!(
        PreKeyCount::parse_response(&ask(&mut a, PreKeyCount.request_with_id("c2")).await).unwrap(),
        4
    );

    let digest =
        GetKeyDigest::parse_response(&ask(&mut a, GetKeyDigest.request_with_id("d")).await)
            .unwrap();
    assert_eq!(digest.prekey_ids, vec![2, 3, 4, 5]);
    assert_eq!(digest.hash.len(), 20);

    // Uploading id 3 again replaces its key (no second entry, and the digest changes).
    let reupload = UploadPreKeys {
        prekeys: vec![PreKey {
            id: 3,
            public: [99; 32],
        }],
        ..upload
    };
    ask(&mut a, reupload.request_with_id("up2")).await;
    let after =
        GetKeyDigest::parse_response(&ask(&mut a, GetKeyDigest.request_with_id("d2")).await)
            .unwrap();
    assert_eq!(after.prekey_ids, vec![2, 3, 4, 5]);
    assert_ne!(after.hash, digest.hash);
    let fetch_companion = || FetchPreKeys {
        users: vec![KeyRequest::new(alice.jid.clone())],
    };
    for (n, expected) in [(2u32, [2u8; 32]), (3, [99; 32])] {
        let answer = FetchPreKeys::parse_response(
            &ask(&mut b, fetch_companion().request_with_id(&format!("g{n}"))).await,
        )
        .unwrap();
        let prekey = answer[0].bundle.as_ref().unwrap().prekey.unwrap();
        assert_eq!((prekey.id, prekey.public), (n, expected));
    }

    let rotate = RotateSignedPreKey {
        signed: SignedPreKey {
            id: 2,
            public: [9; 32],
            signature: [8; 64],
        },
    };
    assert_eq!(
        ask(&mut a, rotate.request_with_id("r"))
            .await
            .attr_str("type")
            .as_deref(),
        Some("result")
    );
    let again = FetchPreKeys::parse_response(
        &ask(
            &mut b,
            FetchPreKeys {
                users: vec![KeyRequest::new(alice.jid.clone())],
            }
            .request_with_id("f2"),
        )
        .await,
    )
    .unwrap();
    assert_eq!(again[0].bundle.as_ref().unwrap().signed.id, 2);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn usync_and_misc_iqs_always_answer() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    sim.create_account("15550000002", "Bob").unwrap();
    let alice = pair(&sim, "15550000001").await;
    let (mut a, _) = online(&sim, &alice).await;

    let query = UsyncQuery::devices(
        "s1",
        vec![
            Jid::pn("15550000001"),
            Jid::pn("15550000002"),
            Jid::pn("1999"),
        ],
    );
    let users = UsyncQuery::parse_response(&ask(&mut a, query.request_with_id("u")).await).unwrap();
    let devices = users[0].devices.as_ref().unwrap();
    assert_eq!(devices.devices.len(), 2);
    assert_eq!(devices.devices[1].key_index, Some(1));
    assert_eq!(users[0].lid, Some(Jid::lid("100000000000001")));
    assert_eq!(users[1].devices.as_ref().unwrap().devices.len(), 1);
    assert_eq!(users[2].lid, None);

    let mut contact = UsyncQuery::devices("s2", vec![]);
    contact.protocols = openwa_protocol::stanza::UsyncProtocols {
        devices: false,
        lid: true,
        contact: true,
    };
    contact.users = vec![
        openwa_protocol::stanza::UsyncUser::phone("+15550000002"),
        openwa_protocol::stanza::UsyncUser::phone("+15559999999"),
    ];
    let users =
        UsyncQuery::parse_response(&ask(&mut a, contact.request_with_id("u2")).await).unwrap();
    assert_eq!(users[0].jid, Jid::pn("15550000002"));
    assert!(users[0].contact.as_ref().unwrap().registered);
    assert!(!users[1].contact.as_ref().unwrap().registered);

    let media = ask(&mut a, iq("m", "w:m", "set", vec![Node::new("media_conn")])).await;
    let conn = media.get_child("media_conn").unwrap();
    for attr in ["auth", "ttl", "auth_ttl", "max_buckets"] {
        assert!(conn.attr_str(attr).is_some(), "media_conn lacks {attr}");
    }
    assert_eq!(
        conn.get_child("host").unwrap().attr_str("hostname"),
        Some(sim.info.media_url.trim_start_matches("https://").to_owned())
    );
    let privacy = ask(
        &mut a,
        iq("pr", "privacy", "get", vec![Node::new("privacy")]),
    )
    .await;
    assert!(
        privacy
            .get_path(&["privacy"])
            .unwrap()
            .children_by_tag("category")
            .any(|c| c.attr_str("name").as_deref() == Some("readreceipts"))
    );
    let blocklist = ask(&mut a, iq("bl", "blocklist", "get", vec![])).await;
    assert!(blocklist.get_child("list").is_some());
    let abt = ask(
        &mut a,
        iq(
            "ab",
            "abt",
            "get",
            vec![Node::new("props").attr("protocol", "1")],
        ),
    )
    .await;
    assert!(abt.get_child("props").is_some());
    let sync = ask(
        &mut a,
        iq(
            "as",
            "w:sync:app:state",
            "set",
            vec![Node::new("sync").children(vec![
        Node::new("collection").attr("name", "regular").attr("version", "0"),
        Node::new("collection").attr("name", "critical_block").attr("version", "0"),
    ])],
        ),
    )
    .await;
    assert_eq!(
        sync.get_child("sync")
            .unwrap()
            .children_by_tag("collection")
            .count(),
        2
    );
    let unknown = ask(
        &mut a,
        iq("x", "w:nothing", "get", vec![Node::new("thing")]),
    )
    .await;
    assert_eq!(unknown.attr_str("type").as_deref(), Some("error"));
    assert_eq!(
        unknown
            .get_child("error")
            .unwrap()
            .attr_str("code")
            .as_deref(),
        Some("501")
    );
    sim.shutdown().await.unwrap();
}

fn messages(nodes: Vec<Node>) -> Vec<Node> {
    nodes.into_iter().filter(|n| n.tag == "message").collect()
}

fn text_message(id: &str, to: &Jid, targets: &[Jid]) -> Node {
    let participants = targets
        .iter()
        .map(|t| {
            Node::new("to").attr("jid", t.clone()).child(
                Node::new("enc")
                    .attr("v", "2")
                    .attr("type", "msg")
                    .bytes(format!("cipher for {t}").into_bytes()),
            )
        })
        .collect();
    Node::new("message")
        .attr("id", id)
        .attr("to", to.clone())
        .attr("type", "text")
        .child(Node::new("participants").children(participants))
}

#[tokio::test]
async fn direct_messages_receipts_and_offline_queue() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    sim.create_account("15550000002", "Bob").unwrap();
    let alice = pair(&sim, "15550000001").await;
    let bob = pair(&sim, "15550000002").await;
    // Bob asks for Alice's devices once, so he is told when her device list changes.
    let (mut b, _) = online(&sim, &bob).await;
    let lookup = UsyncQuery::devices("s1", vec![Jid::pn("15550000001")]).request_with_id("u1");
    let devices = ask(&mut b, lookup).await;
    assert_eq!(
        devices.attr_str("type").as_deref(),
        Some("result"),
        "{devices}"
    );
    drop(b);
    let alice2 = pair(&sim, "15550000001").await;
    let (mut a, _) = online(&sim, &alice).await;

    // Bob is offline: the message is queued; Alice gets the server ack at once.
    let bob_pn = Jid::pn("15550000002");
    let targets = [bob.jid.clone(), bob_pn.clone(), alice2.jid.clone()];
    a.send(&text_message("3EB0A1", &bob_pn, &targets))
        .await
        .unwrap();
    let ack = within("server ack", a.recv_until(|n| n.tag == "ack"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ack.attr_str("id").as_deref(), Some("3EB0A1"));
    assert_eq!(ack.attr_str("class").as_deref(), Some("message"));
    assert_eq!(ack.attr_jid("from"), Some(bob_pn.clone()));

    // Bob's phone (device 0) got its copy at once: it cannot decrypt this fake ciphertext, so
    // it keeps nothing and asks Alice's device for a retry.
    let retry = within("retry receipt", a.recv_until(|n| n.tag == "receipt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(retry.attr_str("type").as_deref(), Some("retry"));
    assert_eq!(retry.attr_str("id").as_deref(), Some("3EB0A1"));
    assert_eq!(retry.attr_jid("from"), Some(bob_pn.clone()));
    assert_eq!(
        retry
            .get_child("retry")
            .and_then(|r| r.attr_str("count"))
            .as_deref(),
        Some("1")
    );
    let inbox = http(
        &sim.info.admin_url,
        "GET",
        "/admin/accounts/15550000002/messages",
        None,
    )
    .await
    .json();
    assert_eq!(inbox, serde_json::json!([]));

    // Bob comes online: the queued message arrives (offline), then <ib><offline count=1/>.
    let (b, queued) = online(&sim, &bob).await;
    // Device-list notifications were queued too: Alice linked a second companion.
    assert!(queued.iter().any(|n| n.tag == "notification"
        && n.attr_str("type").as_deref() == Some("devices")
        && n.attr_jid("from") == Some(Jid::pn("15550000001"))));
    let queued = messages(queued);
    assert_eq!(queued.len(), 1);
    let delivered = &queued[0];
    assert_eq!(delivered.attr_jid("from"), Some(alice.jid.clone()));
    assert_eq!(delivered.attr_jid("sender_lid"), alice.lid.clone());
    assert_eq!(delivered.attr_str("offline").as_deref(), Some("1"));
    assert_eq!(
        delivered.get_child("enc").unwrap().content_bytes(),
        Some(format!("cipher for {}", bob.jid).as_bytes())
    );

    // Bob did not acknowledge: after a reconnect it is delivered again.
    drop(b);
    let (mut b, queued) = online(&sim, &bob).await;
    assert_eq!(messages(queued).len(), 1);
    // Now Bob sends the delivery receipt (which also acknowledges it) and a read receipt.
    b.send(
        &Node::new("receipt")
            .attr("id", "3EB0A1")
            .attr("to", alice.jid.clone()),
    )
    .await
    .unwrap();
    b.send(
        &Node::new("receipt")
            .attr("id", "3EB0A1")
            .attr("to", alice.jid.clone())
            .attr("type", "read"),
    )
    .await
    .unwrap();
    let delivery = within("delivery receipt", a.recv_until(|n| n.tag == "receipt"))
        .await
        .unwrap()
        .unwrap();
    // From Bob's user JID: Baileys keys the status update by it.
    assert_eq!(delivery.attr_jid("from"), Some(bob_pn.clone()));
    assert_eq!(delivery.attr_str("type"), None);
    let read = within("read receipt", a.recv_until(|n| n.tag == "receipt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.attr_str("type").as_deref(), Some("read"));
    a.send(
        &Node::new("ack")
            .attr("id", "3EB0A1")
            .attr("class", "receipt")
            .attr("to", bob.jid.clone()),
    )
    .await
    .unwrap();

    // Alice's other companion gets the copy with `recipient` = the chat.
    let (_a2, queued) = online(&sim, &alice2).await;
    let queued = messages(queued);
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].attr_jid("recipient"), Some(bob_pn.clone()));

    drop(b);
    let (_b, queued) = online(&sim, &bob).await;
    let queued = messages(queued);
    assert!(
        queued.is_empty(),
        "acknowledged message delivered again: {queued:?}"
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn live_delivery_to_an_online_device_addressed_by_lid() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    sim.create_account("15550000002", "Bob").unwrap();
    let alice = pair(&sim, "15550000001").await;
    let bob = pair(&sim, "15550000002").await;
    let (mut a, _) = online(&sim, &alice).await;
    let (mut b, _) = online(&sim, &bob).await;
    let bob_lid = Jid::lid("100000000000002");
    a.send(&text_message(
        "3EB0B2",
        &bob_lid,
        &[bob.lid.clone().unwrap()],
    ))
    .await
    .unwrap();
    let got = within("live message", b.recv_until(|n| n.tag == "message"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.attr_jid("from"), alice.lid.clone());
    assert_eq!(got.attr_jid("sender_pn"), Some(alice.jid.clone()));
    assert_eq!(got.attr_str("offline"), None);
    sim.shutdown().await.unwrap();
}

/// A dictionary-v2 client (`WA 06 02`, as Baileys 6 sends) and a v3 client on one simulator:
/// pairing, login, IQs, a live message each way, a receipt, and a stanza queued while the v2
/// client was offline. Every node is re-encoded with the receiving connection's dictionary.
#[tokio::test]
async fn dictionary_2_and_3_clients_talk_through_one_simulator() {
    let sim = start().await;
    sim.create_account("15550000001", "Alice").unwrap();
    sim.create_account("15550000002", "Bob").unwrap();
    let alice = pair_with(&sim, "15550000001", Dictionary::V2).await;
    let bob = pair(&sim, "15550000002").await;
    let (mut a, _) = online_with(&sim, &alice, Dictionary::V2).await;
    let (mut b, _) = online(&sim, &bob).await;

    let pong = ask(&mut a, iq("p2", "w:p", "get", vec![Node::new("ping")])).await;
    assert_eq!(pong.attr_str("type").as_deref(), Some("result"), "{pong}");

    a.send(&text_message(
        "3EB0C1",
        &Jid::pn("15550000002"),
        std::slice::from_ref(&bob.jid),
    ))
    .await
    .unwrap();
    let got = within("v2 -> v3", b.recv_until(|n| n.tag == "message"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.attr_jid("from"), Some(alice.jid.clone()));
    assert_eq!(
        got.get_child("enc").unwrap().content_bytes(),
        Some(format!("cipher for {}", bob.jid).as_bytes())
    );
    // As Baileys sends it when not marked available: to the chat (no device), type inactive.
    // The sender's companions get a plain delivery receipt from the receiver's user JID.
    b.send(
        &Node::new("receipt")
            .attr("id", "3EB0C1")
            .attr("to", Jid::pn("15550000001"))
            .attr("type", "inactive"),
    )
    .await
    .unwrap();
    let receipt = within("receipt to v2", a.recv_until(|n| n.tag == "receipt"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipt.attr_str("id").as_deref(), Some("3EB0C1"));
    assert_eq!(receipt.attr_str("type"), None, "{receipt}");
    assert_eq!(receipt.attr_jid("from"), Some(Jid::pn("15550000002")));

    b.send(&text_message(
        "3EB0C2",
        &Jid::pn("15550000001"),
        std::slice::from_ref(&alice.jid),
    ))
    .await
    .unwrap();
    let got = within("v3 -> v2", a.recv_until(|n| n.tag == "message"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.attr_jid("from"), Some(bob.jid.clone()));
    assert_eq!(got.attr_str("type").as_deref(), Some("text"));

    // Queued while the v2 client is away, delivered (v2-encoded) when it returns.
    drop(a);
    b.send(&text_message(
        "3EB0C3",
        &Jid::pn("15550000001"),
        std::slice::from_ref(&alice.jid),
    ))
    .await
    .unwrap();
    within(
        "server ack",
        b.recv_until(|n| n.tag == "ack" && n.attr_str("id").as_deref() == Some("3EB0C3")),
    )
    .await
    .unwrap()
    .unwrap();
    let (_a, queued) = online_with(&sim, &alice, Dictionary::V2).await;
    let queued = messages(queued);
    assert!(
        queued
            .iter()
            .any(|n| n.attr_str("id").as_deref() == Some("3EB0C3")),
        "{queued:?}"
    );
    sim.shutdown().await.unwrap();
}

/// `devices` notifications reach the account's own companions and the accounts that asked for
/// its devices or chat with it, not the whole network.
#[tokio::test]
async fn device_list_changes_reach_watchers_only() {
    let sim = start().await;
    for (phone, name) in [
        ("15550000031", "Ann"),
        ("15550000032", "Ben"),
        ("15550000033", "Cy"),
    ] {
        sim.create_account(phone, name).unwrap();
    }
    let ann = pair(&sim, "15550000031").await;
    let ben = pair(&sim, "15550000032").await;
    let cy = pair(&sim, "15550000033").await;
    let (mut own, _) = online(&sim, &ann).await;
    let (mut watcher, _) = online(&sim, &ben).await;
    let (stranger, _) = online(&sim, &cy).await;
    let lookup = UsyncQuery::devices("s1", vec![Jid::pn("15550000031")]).request_with_id("u1");
    ask(&mut watcher, lookup).await;

    pair(&sim, "15550000031").await;
    let is_devices = |n: &Node| {
        n.tag == "notification"
            && n.attr_str("type").as_deref() == Some("devices")
            && n.attr_jid("from") == Some(Jid::pn("15550000031"))
    };
    within("own companion told", own.recv_until(is_devices))
        .await
        .unwrap()
        .unwrap();
    within("watcher told", watcher.recv_until(is_devices))
        .await
        .unwrap()
        .unwrap();
    let mut stranger = common::dev::Dev::new(stranger, Vec::new());
    let seen = stranger.drain().await;
    assert!(!seen.iter().any(is_devices), "{seen:?}");
}
