//! Every admin endpoint over real HTTP against an in-process simulator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{http, start};
use serde_json::json;

#[tokio::test]
async fn health_reports_counters() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    let response = http(admin, "GET", "/admin/health", None).await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["accounts"], 0);
    sim.create_account("15550000001", "A").unwrap();
    assert_eq!(
        http(admin, "GET", "/admin/health", None).await.json()["accounts"],
        1
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn accounts_create_list_and_reject_bad_input() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    let created = http(
        admin,
        "POST",
        "/admin/accounts",
        Some(json!({"phone": "+15550000001", "name": "Alice"})),
    )
    .await;
    assert_eq!(created.status, 201);
    let body = created.json();
    assert_eq!(body["phone"], "15550000001");
    assert_eq!(body["jid"], "15550000001@s.whatsapp.net");
    assert_eq!(body["lid"], "100000000000001@lid");
    assert_eq!(body["name"], "Alice");

    let default_name = http(
        admin,
        "POST",
        "/admin/accounts",
        Some(json!({"phone": "15550000002"})),
    )
    .await;
    assert_eq!(default_name.status, 201);
    assert_eq!(default_name.json()["lid"], "100000000000002@lid");

    let duplicate = http(
        admin,
        "POST",
        "/admin/accounts",
        Some(json!({"phone": "15550000001"})),
    )
    .await;
    assert_eq!(duplicate.status, 409);
    assert_eq!(duplicate.json()["error"], "conflict");

    let invalid = http(
        admin,
        "POST",
        "/admin/accounts",
        Some(json!({"phone": "12ab"})),
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(invalid.json()["error"], "bad_request");

    let missing = http(admin, "POST", "/admin/accounts", Some(json!({"name": "x"}))).await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.json()["message"]
            .as_str()
            .unwrap()
            .contains("phone")
    );

    let list = http(admin, "GET", "/admin/accounts", None).await;
    assert_eq!(list.status, 200);
    let phones: Vec<_> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["phone"].clone())
        .collect();
    assert_eq!(phones, vec![json!("15550000001"), json!("15550000002")]);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn devices_list_and_remove() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    sim.create_account("15550000001", "A").unwrap();
    let list = http(admin, "GET", "/admin/accounts/15550000001/devices", None).await;
    assert_eq!(list.status, 200);
    let devices = list.json();
    assert_eq!(devices.as_array().unwrap().len(), 1);
    assert_eq!(devices[0]["device"], 0);
    assert_eq!(devices[0]["jid"], "15550000001@s.whatsapp.net");
    assert_eq!(devices[0]["lid"], "100000000000001@lid");
    assert_eq!(devices[0]["key_index"], 0);
    assert_eq!(devices[0]["online"], true);
    assert!(devices[0]["prekeys"].as_u64().unwrap() > 0);

    assert_eq!(
        http(admin, "GET", "/admin/accounts/19999999999/devices", None)
            .await
            .status,
        404
    );

    // A companion added directly to the state, then removed through the API.
    let companion = sim
        .sim()
        .read(|s| s.accounts["15550000001"].devices[&0].clone());
    let added = sim
        .sim()
        .write(|s| s.add_companion("15550000001", companion, 1))
        .unwrap();
    assert_eq!((added.id, added.key_index), (1, 1));
    let listed = http(admin, "GET", "/admin/accounts/15550000001/devices", None)
        .await
        .json();
    assert_eq!(listed[1]["jid"], "15550000001:1@s.whatsapp.net");
    assert_eq!(listed[1]["lid"], "100000000000001:1@lid");
    assert_eq!(listed[1]["online"], false);

    let removed = http(
        admin,
        "DELETE",
        "/admin/accounts/15550000001/devices/1",
        None,
    )
    .await;
    assert_eq!(removed.status, 204);
    assert_eq!(sim.devices("15550000001").unwrap().len(), 1);
    assert_eq!(
        http(
            admin,
            "DELETE",
            "/admin/accounts/15550000001/devices/1",
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        http(
            admin,
            "DELETE",
            "/admin/accounts/15550000001/devices/0",
            None
        )
        .await
        .status,
        400
    );
    assert_eq!(
        http(
            admin,
            "DELETE",
            "/admin/accounts/15550000001/devices/x",
            None
        )
        .await
        .status,
        400
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn messages_list_filters_by_since() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    sim.create_account("15550000001", "A").unwrap();
    let empty = http(admin, "GET", "/admin/accounts/15550000001/messages", None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json(), json!([]));
    sim.sim().write(|s| {
        let timeline = &mut s.accounts.get_mut("15550000001").unwrap().timeline;
        for seq in 1..=3 {
            let content = openwa_simulator::phone::content::describe(
                &openwa_protocol::content::text_message(&format!("hello {seq}")),
            )
            .unwrap();
            timeline.push(openwa_simulator::phone::TimelineEntry::new(
                &format!("ID{seq}"),
                "15550000002@s.whatsapp.net",
                "15550000002:1@s.whatsapp.net",
                content,
                1,
            ));
        }
    });
    let since = http(
        admin,
        "GET",
        "/admin/accounts/15550000001/messages?since=1",
        None,
    )
    .await
    .json();
    let ids: Vec<_> = since
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!("ID2"), json!("ID3")]);
    assert_eq!(since[0]["type"], "text");
    assert_eq!(since[0]["text"], "hello 2");
    assert_eq!(
        http(admin, "GET", "/admin/accounts/1999999/messages", None)
            .await
            .status,
        404
    );
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn groups_create_with_known_members_only() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    sim.create_account("15550000001", "A").unwrap();
    sim.create_account("15550000002", "B").unwrap();
    let created = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/groups",
        Some(json!({"subject": "Team", "participants": ["15550000002"]})),
    )
    .await;
    assert_eq!(created.status, 201);
    let group = created.json();
    assert!(group["jid"].as_str().unwrap().ends_with("@g.us"));
    assert_eq!(group["subject"], "Team");
    assert_eq!(
        group["participants"][0],
        json!({"phone": "15550000001", "role": "super_admin"})
    );
    assert_eq!(
        group["participants"][1],
        json!({"phone": "15550000002", "role": "member"})
    );
    let unknown = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/groups",
        Some(json!({"subject": "X", "participants": ["15559999999"]})),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let empty = http(
        admin,
        "POST",
        "/admin/accounts/15550000001/groups",
        Some(json!({"subject": " "})),
    )
    .await;
    assert_eq!(empty.status, 400);
    let no_creator = http(
        admin,
        "POST",
        "/admin/accounts/1999999/groups",
        Some(json!({"subject": "X"})),
    )
    .await;
    assert_eq!(no_creator.status, 404);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn persistent_faults_set_show_and_clear() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    let delay = http(
        admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "delay_ms", "ms": 25})),
    )
    .await;
    assert_eq!(delay.status, 200);
    assert_eq!(delay.json()["active"]["delay_ms"], 25);
    let refuse = http(
        admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "refuse_logins", "reason": 401, "count": 2})),
    )
    .await;
    assert_eq!(
        refuse.json()["active"]["refuse_logins"],
        json!({"reason": 401, "remaining": 2})
    );
    assert_eq!(
        sim.sim().faults.delay(),
        Some(std::time::Duration::from_millis(25))
    );
    let shown = http(admin, "GET", "/admin/faults", None).await.json();
    assert_eq!(shown["delay_ms"], 25);
    let off = http(
        admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "refuse_logins", "enabled": false})),
    )
    .await;
    assert_eq!(off.json()["active"]["refuse_logins"], json!(null));
    let cleared = http(admin, "DELETE", "/admin/faults", None).await;
    assert_eq!(
        cleared.json(),
        json!({"delay_ms": 0, "refuse_logins": null})
    );
    let unknown = http(
        admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "meteor"})),
    )
    .await;
    assert_eq!(unknown.status, 400);
    // No connections: connection faults affect nobody.
    let dropped = http(
        admin,
        "POST",
        "/admin/faults",
        Some(json!({"kind": "drop_connections"})),
    )
    .await;
    assert_eq!(dropped.json()["affected"], 0);
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn openapi_documents_every_route_and_unknown_paths_are_json_404() {
    let sim = start().await;
    let admin = &sim.info.admin_url;
    let doc = http(admin, "GET", "/admin/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for expected in [
        "/admin/health",
        "/admin/accounts",
        "/admin/accounts/{phone}/devices",
        "/admin/accounts/{phone}/devices/{device}",
        "/admin/accounts/{phone}/messages",
        "/admin/accounts/{phone}/messages/{id}/read",
        "/admin/accounts/{phone}/messages/{id}/media",
        "/admin/accounts/{phone}/groups",
        "/admin/faults",
    ] {
        assert!(paths.contains_key(expected), "{expected} undocumented");
    }
    // Every documented path answers something other than the JSON fallback 404.
    sim.create_account("15550000001", "A").unwrap();
    for (path, methods) in paths {
        let concrete = path
            .replace("{phone}", "15550000001")
            .replace("{device}", "5")
            .replace("{id}", "3EB0X");
        for method in methods.as_object().unwrap().keys() {
            let response = http(admin, &method.to_uppercase(), &concrete, Some(json!({}))).await;
            let fallback = response.status == 404
                && response.body.starts_with(b"{")
                && response.json()["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("no such admin endpoint");
            assert!(!fallback, "{method} {path} is documented but not routed");
        }
    }
    let unknown = http(admin, "GET", "/admin/nope", None).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"], "not_found");
    sim.shutdown().await.unwrap();
}

#[tokio::test]
async fn tls_certificate_is_served_and_matches_the_ready_info() {
    let sim = start().await;
    let pem = http(&sim.info.admin_url, "GET", "/admin/tls-cert", None).await;
    assert_eq!(pem.status, 200);
    let pem = String::from_utf8(pem.body).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(
        std::fs::read_to_string(&sim.info.tls_cert_path).unwrap(),
        pem
    );
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(der.as_ref())),
        sim.info.tls_cert_sha256
    );
    sim.shutdown().await.unwrap();
}

/// `POST /admin/accounts/{phone}/devices` links a companion with the given keys; it logs in at
/// once with them. A bad signature, an unknown account and broken JSON are refused.
#[tokio::test]
async fn devices_provisioned_without_pairing_log_in() {
    use openwa_protocol::payload::ClientConfig;
    use openwa_simulator::client::{self, CompanionKeys, Paired};

    let sim = start().await;
    let admin = &sim.info.admin_url;
    sim.create_account("15550000041", "P").unwrap();
    let keys = CompanionKeys::generate();
    let body = serde_json::to_value(keys.provision_request()).unwrap();
    let linked = http(
        admin,
        "POST",
        "/admin/accounts/15550000041/devices",
        Some(body.clone()),
    )
    .await;
    assert_eq!(
        linked.status,
        201,
        "{}",
        String::from_utf8_lossy(&linked.body)
    );
    let linked = linked.json();
    assert_eq!(linked["device"], 1);
    assert_eq!(linked["jid"], "15550000041:1@s.whatsapp.net");
    let paired = Paired {
        keys: keys.clone(),
        jid: linked["jid"].as_str().unwrap().parse().unwrap(),
        lid: linked["lid"].as_str().unwrap().parse().ok(),
    };
    let (_client, first) = client::login(
        &sim.info.ws_url,
        sim.root_public_key(),
        &paired,
        &ClientConfig::default(),
    )
    .await
    .unwrap();
    assert_eq!(first.tag, "success", "{first}");

    let mut forged = body.clone();
    forged["signed_prekey"]["signature"] = json!("00".repeat(64));
    let refused = http(
        admin,
        "POST",
        "/admin/accounts/15550000041/devices",
        Some(forged),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"], "bad_request");
    let unknown = http(
        admin,
        "POST",
        "/admin/accounts/19999999999/devices",
        Some(body),
    )
    .await;
    assert_eq!(unknown.status, 404);
    let broken = http(
        admin,
        "POST",
        "/admin/accounts/15550000041/devices",
        Some(json!({"noise_key": "zz"})),
    )
    .await;
    assert_eq!(broken.status, 400);
}
