//! Keys, roles and problem bodies: 401/403, bad JSON, wrong types, oversized bodies, bad ids,
//! unknown sessions, 501 for what the engine cannot do.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::{Server, sim_with};

async fn problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "problem content type"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
    body
}

#[tokio::test]
async fn keys_and_roles() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", server.url);

    // Health is public; everything else needs a key.
    assert_eq!(
        http.get(url("/api/health")).send().await.unwrap().status(),
        200
    );
    problem(
        http.get(url("/api/sessions")).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let wrong = http
        .get(url("/api/sessions"))
        .header("X-API-Key", "owa_k1_nope");
    problem(wrong.send().await.unwrap(), 401, "unauthorized").await;
    let bearer = http
        .get(url("/api/sessions"))
        .header("Authorization", format!("Bearer {}", server.key));
    assert_eq!(bearer.send().await.unwrap().status(), 200);

    // A viewer key reads but cannot act; it cannot manage keys.
    let created = server
        .post(
            "/api/auth/api-keys",
            json!({ "name": "reader", "role": "viewer" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let viewer = created["apiKey"].as_str().unwrap().to_owned();
    assert!(
        viewer.starts_with("owa_k1_") && viewer.len() == 7 + 64,
        "{viewer}"
    );
    assert_eq!(created["role"], "viewer");
    let as_viewer = |m: Method, p: &str| http.request(m, url(p)).header("X-API-Key", &viewer);
    assert_eq!(
        as_viewer(Method::GET, "/api/sessions")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let post = as_viewer(Method::POST, "/api/sessions").json(&json!({ "name": "nope" }));
    problem(post.send().await.unwrap(), 403, "forbidden").await;
    problem(
        as_viewer(Method::GET, "/api/auth/api-keys")
            .send()
            .await
            .unwrap(),
        403,
        "forbidden",
    )
    .await;

    // Listing never shows a key; revoking one makes it fail; the last admin stays.
    let listed: Value = server.get("/api/auth/api-keys").await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(&viewer[7..]), "{listed}");
    assert!(!listed.to_string().contains(&server.key[7..]), "{listed}");
    let id = created["id"].as_str().unwrap();
    let revoked = server
        .post(&format!("/api/auth/api-keys/{id}/revoke"), json!({}))
        .await;
    assert_eq!(revoked.status(), 200);
    problem(
        as_viewer(Method::GET, "/api/sessions")
            .send()
            .await
            .unwrap(),
        401,
        "unauthorized",
    )
    .await;
    let admin_id = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = server
        .req(Method::DELETE, &format!("/api/auth/api-keys/{admin_id}"))
        .send()
        .await
        .unwrap();
    problem(deleted, 400, "invalid_argument").await;
    let deleted = server
        .req(Method::DELETE, &format!("/api/auth/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);

    // Every mutating call is in the audit log: who, what, when, from where.
    let audit: Value = crate::common::wait_for(|| async {
        let audit: Value = server.get("/api/audit").await.json().await.ok()?;
        let entries = audit.as_array()?;
        let deleted = entries
            .iter()
            .any(|e| e["method"] == "DELETE" && e["path"] == format!("/api/auth/api-keys/{id}"));
        // Entries are written as calls finish, not necessarily in order: wait for both.
        let created = entries
            .iter()
            .any(|e| e["method"] == "POST" && e["path"] == "/api/auth/api-keys");
        (deleted && created).then_some(audit)
    })
    .await;
    let created_entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["method"] == "POST" && e["path"] == "/api/auth/api-keys")
        .unwrap();
    assert_eq!(created_entry["statusCode"], 201);
    assert_eq!(created_entry["apiKeyId"], admin_id.as_str());
    assert_eq!(created_entry["ip"], "127.0.0.1");
    assert!(created_entry["at"].as_str().unwrap().ends_with('Z'));
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["method"] != "GET")
    );
}

#[tokio::test]
async fn bad_requests_are_problems() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("errors").await;
    let send = format!("/api/sessions/{id}/messages/send-text");
    let raw = |body: &'static str| {
        server
            .req(Method::POST, &send)
            .header("content-type", "application/json")
            .body(body)
    };

    problem(
        raw("{\"chatId\": ").send().await.unwrap(),
        400,
        "invalid_argument",
    )
    .await;
    problem(
        raw("{\"chatId\": 5, \"text\": \"x\"}")
            .send()
            .await
            .unwrap(),
        400,
        "invalid_argument",
    )
    .await;
    problem(
        raw("{\"chatId\": \"1\", \"text\": \"x\", \"bogus\": 1}")
            .send()
            .await
            .unwrap(),
        400,
        "invalid_argument",
    )
    .await;
    let untyped = server.req(Method::POST, &send).body("{}");
    problem(untyped.send().await.unwrap(), 415, "unsupported_media_type").await;
    let huge = json!({ "chatId": "15551234567", "text": "x".repeat(100_000) });
    let huge = server.req(Method::POST, &send).json(&huge);
    problem(huge.send().await.unwrap(), 413, "payload_too_large").await;

    let bad_id = server
        .post(&send, json!({ "chatId": "not a number", "text": "x" }))
        .await;
    problem(bad_id, 400, "invalid_argument").await;
    let group = server
        .post(&send, json!({ "chatId": "12036302@g.us", "text": "x" }))
        .await;
    problem(group, 409, "not_paired").await;
    let pin = server
        .post(&format!("/api/sessions/{id}/messages/pin"), json!({}))
        .await;
    let body = problem(pin, 501, "unsupported").await;
    assert!(
        body["detail"].as_str().unwrap().contains("pinned"),
        "{body}"
    );
    let offline = server
        .post(&send, json!({ "chatId": "15551234567", "text": "x" }))
        .await;
    problem(offline, 409, "not_paired").await;

    problem(server.get("/api/sessions/nope").await, 404, "not_found").await;
    problem(
        server.get("/api/sessions/%FF").await,
        400,
        "invalid_argument",
    )
    .await;
    problem(server.get("/api/nothing-here").await, 404, "not_found").await;
    let dup = server
        .post("/api/sessions", json!({ "name": "errors" }))
        .await;
    problem(dup, 409, "already_exists").await;
    let bad_name = server.post("/api/sessions", json!({ "name": "a b" })).await;
    problem(bad_name, 400, "invalid_argument").await;
    let no_qr = server.get(&format!("/api/sessions/{id}/qr")).await;
    problem(no_qr, 400, "not_available").await;
    let hook = server
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({ "url": "http://127.0.0.1:9/x", "events": ["no.such"] }),
        )
        .await;
    problem(hook, 400, "invalid_argument").await;
}

#[tokio::test]
async fn key_scopes() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let http = reqwest::Client::new();
    let mine = server.create_session("mine").await;
    let other = server.create_session("other").await;
    let key = |body: Value| async {
        let created = server.post("/api/auth/api-keys", body).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        created["apiKey"].as_str().unwrap().to_owned()
    };
    let scoped = key(json!({ "name": "one session", "allowedSessions": [mine] })).await;
    let as_scoped = |p: &str| {
        http.get(format!("{}{p}", server.url))
            .header("X-API-Key", &scoped)
    };
    assert_eq!(
        as_scoped(&format!("/api/sessions/{mine}"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let refused = as_scoped(&format!("/api/sessions/{other}"))
        .send()
        .await
        .unwrap();
    problem(refused, 403, "forbidden").await;
    // By name it is refused too: the scope names ids.
    let refused = as_scoped("/api/sessions/mine").send().await.unwrap();
    problem(refused, 403, "forbidden").await;
    problem(
        as_scoped("/api/webhooks").send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    let listed: Value = as_scoped("/api/sessions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["id"], mine.as_str());

    let elsewhere = key(json!({ "name": "elsewhere", "allowedIps": ["10.0.0.0/8"] })).await;
    let here = key(json!({ "name": "here", "allowedIps": ["127.0.0.1/32", "::1"] })).await;
    let from = |k: &str| {
        http.get(format!("{}/api/sessions", server.url))
            .header("X-API-Key", k.to_owned())
    };
    problem(from(&elsewhere).send().await.unwrap(), 403, "forbidden").await;
    assert_eq!(from(&here).send().await.unwrap().status(), 200);
    let bad = server
        .post(
            "/api/auth/api-keys",
            json!({ "name": "bad", "allowedIps": ["10.0.0.0/40"] }),
        )
        .await;
    problem(bad, 400, "invalid_argument").await;
    let listed: Value = server.get("/api/auth/api-keys").await.json().await.unwrap();
    let scoped_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "one session")
        .unwrap();
    assert_eq!(scoped_row["allowedSessions"], json!([mine]));
}

#[tokio::test]
async fn keys_expire() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let http = reqwest::Client::new();
    for (expires, why) in [("2020-01-01T00:00:00Z", "past"), ("tomorrow", "garbled")] {
        let refused = server
            .post(
                "/api/auth/api-keys",
                json!({ "name": why, "expiresAt": expires }),
            )
            .await;
        problem(refused, 400, "invalid_argument").await;
    }
    // A key that expires two seconds from now.
    let soon = openwa_server::util::iso(openwa_server::util::now_ms() + 2000);
    let created = server
        .post(
            "/api/auth/api-keys",
            json!({ "name": "short-lived", "expiresAt": soon }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["expiresAt"], soon.as_str());
    let key = created["apiKey"].as_str().unwrap().to_owned();
    let call = || {
        http.get(format!("{}/api/sessions", server.url))
            .header("X-API-Key", &key)
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    problem(call().await.unwrap(), 401, "unauthorized").await;
}

#[tokio::test]
async fn rate_limited_per_client() {
    let sim = sim_with(&[]).await;
    let env = [
        ("RATE_LIMIT_ENABLED", "true"),
        ("RATE_LIMIT_SHORT", "1000/1"),
        ("RATE_LIMIT_MEDIUM", "5/3600"),
    ];
    let server = Server::start_with(&sim, None, &env).await;
    for _ in 0..5 {
        assert_eq!(server.get("/api/sessions").await.status(), 200);
    }
    let limited = server.get("/api/sessions").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    problem(limited, 429, "rate_limited").await;
    // Unauthenticated requests count too; health never does.
    let anonymous = reqwest::Client::new();
    let url = format!("{}/api/sessions", server.url);
    problem(
        anonymous.get(&url).send().await.unwrap(),
        429,
        "rate_limited",
    )
    .await;
    assert_eq!(server.get("/api/health").await.status(), 200);
}

#[tokio::test]
async fn rate_limited_per_key() {
    let sim = sim_with(&[]).await;
    let env = [
        ("RATE_LIMIT_ENABLED", "true"),
        ("RATE_LIMIT_SHORT", "1000/1"),
        ("RATE_LIMIT_MEDIUM", "100000/60"),
        ("RATE_LIMIT_LONG", "100000/3600"),
        ("RATE_LIMIT_KEY_MEDIUM", "4/3600"),
    ];
    let server = Server::start_with(&sim, None, &env).await;
    let created = server
        .post("/api/auth/api-keys", json!({ "name": "second" }))
        .await;
    let second = created.json::<Value>().await.unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(server.get("/api/sessions").await.status(), 200);
    }
    // The master key used its four; the same client with another key still gets through.
    let limited = problem(server.get("/api/sessions").await, 429, "rate_limited").await;
    assert!(
        limited["detail"].as_str().unwrap().contains("API key"),
        "{limited}"
    );
    let other = reqwest::Client::new()
        .get(format!("{}/api/sessions", server.url))
        .header("X-API-Key", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn forwarded_for_only_from_trusted_proxies() {
    let sim = sim_with(&[]).await;
    let env = [("TRUSTED_PROXIES", "127.0.0.1, ::1")];
    let server = Server::start_with(&sim, None, &env).await;
    let created = server
        .post(
            "/api/auth/api-keys",
            json!({ "name": "office", "allowedIps": ["10.0.0.0/8"] }),
        )
        .await;
    let key = created.json::<Value>().await.unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_owned();
    let from = |forwarded: Option<&str>| {
        let request = reqwest::Client::new()
            .get(format!("{}/api/sessions", server.url))
            .header("X-API-Key", &key);
        match forwarded {
            Some(f) => request.header("X-Forwarded-For", f),
            None => request,
        }
    };
    assert_eq!(from(Some("10.1.2.3")).send().await.unwrap().status(), 200);
    problem(from(None).send().await.unwrap(), 403, "forbidden").await;
    problem(
        from(Some("10.1.2.3, 8.8.8.8")).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    // The audit log records the client, not the proxy.
    let audited = server
        .req(Method::POST, "/api/sessions")
        .header("X-Forwarded-For", "10.9.9.9")
        .json(&json!({ "name": "audited" }))
        .send()
        .await
        .unwrap();
    assert_eq!(audited.status(), 201);
    let entry: Value = crate::common::wait_for(|| async {
        let audit: Value = server.get("/api/audit").await.json().await.ok()?;
        audit
            .as_array()?
            .iter()
            .find(|e| e["path"] == "/api/sessions")
            .cloned()
    })
    .await;
    assert_eq!(entry["ip"], "10.9.9.9", "{entry}");
}

#[tokio::test]
async fn master_key_from_the_environment() {
    let sim = sim_with(&[]).await;
    let server = Server::start_with(&sim, None, &[("API_KEY", "a-master-key-from-env")]).await;
    let http = reqwest::Client::new();
    let keys = http
        .get(format!("{}/api/auth/api-keys", server.url))
        .header("X-API-Key", "a-master-key-from-env")
        .send()
        .await
        .unwrap();
    assert_eq!(keys.status(), 200);
    // It is never stored: the only stored key is the bootstrap admin key.
    let keys: Value = keys.json().await.unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["name"], "Bootstrap admin");
}

#[tokio::test]
async fn proxy_is_shown_without_credentials() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let created = server
        .post(
            "/api/sessions",
            json!({ "name": "proxied", "proxyUrl": "socks5://user:secret@10.0.0.1:1080" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(!created.to_string().contains("secret"), "{created}");
    let id = created["id"].as_str().unwrap();
    let proxy: Value = server
        .get(&format!("/api/sessions/{id}/proxy"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        proxy,
        json!({ "enabled": true, "proxyType": "socks5", "proxyHost": "10.0.0.1:1080",
                "hasCredentials": true })
    );
    let change = server
        .req(Method::PATCH, &format!("/api/sessions/{id}/proxy"))
        .json(&json!({ "proxyUrl": null }))
        .send()
        .await
        .unwrap();
    problem(change, 501, "unsupported").await;
    let bad = server
        .post(
            "/api/sessions",
            json!({ "name": "badproxy", "proxyUrl": "ftp://x" }),
        )
        .await;
    problem(bad, 400, "invalid_argument").await;
}
