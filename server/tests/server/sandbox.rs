//! `--sandbox`: the embedded simulator's admin URL is printed; a session links to a simulated
//! account through it and sends to the other one.

use serde_json::{Value, json};

use crate::common::{DEADLINE, spawn_until, wait_for};

#[tokio::test]
async fn sandbox_links_and_sends() {
    let dir = std::env::temp_dir().join(format!("openwa-sandbox-test-{}", rand::random::<u64>()));
    let env: Vec<(String, String)> = [
        ("HOST", "127.0.0.1".to_owned()),
        ("PORT", "0".to_owned()),
        ("DATA_DIR", dir.display().to_string()),
        ("OPENWA_SANDBOX_PORT", "0".to_owned()),
        ("RATE_LIMIT_ENABLED", "false".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let prefixes = [
        "OpenWA server listening on ",
        "Sandbox simulator admin API: ",
    ];
    let (mut child, lines) = spawn_until(&env, &["--sandbox"], &prefixes).await;
    let (api, admin) = (lines[0].clone(), lines[1].clone());
    let key = std::fs::read_to_string(dir.join(".api-key")).unwrap();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str| {
        http.request(method, format!("{api}{path}"))
            .header("X-API-Key", key.trim())
    };
    let created = call(reqwest::Method::POST, "/api/sessions")
        .json(&json!({ "name": "demo" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    call(reqwest::Method::POST, "/api/sessions/demo/start")
        .send()
        .await
        .unwrap();
    let qr = wait_for(|| async {
        let r = call(reqwest::Method::GET, "/api/sessions/demo/qr?format=raw")
            .send()
            .await
            .ok()?;
        let body: Value = r.json().await.ok()?;
        body["value"].as_str().map(str::to_owned)
    })
    .await;
    let linked = openwa_testkit::http(
        &admin,
        "POST",
        "/admin/accounts/15550000001/link",
        Some(json!({ "qr": qr })),
    )
    .await;
    assert_eq!(linked.status, 200);
    wait_for(|| async {
        let body: Value = call(reqwest::Method::GET, "/api/sessions/demo")
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        (body["status"] == "ready").then_some(())
    })
    .await;
    let sent = call(
        reqwest::Method::POST,
        "/api/sessions/demo/messages/send-text",
    )
    .json(&json!({ "chatId": "15550000002@c.us", "text": "hi from the sandbox" }))
    .send()
    .await
    .unwrap();
    assert_eq!(sent.status(), 201);
    child.start_kill().unwrap();
    tokio::time::timeout(DEADLINE, child.wait())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
