//! Every route under junk: random JSON of every shape, wrong content types and odd path
//! segments answer a 4xx problem body (or a success), never a 5xx.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::common::{Server, sim_with};

/// A random JSON value up to `depth` levels deep.
fn junk(rng: &mut StdRng, depth: u32) -> Value {
    let keys = [
        "name",
        "chatId",
        "text",
        "url",
        "events",
        "secret",
        "headers",
        "retryCount",
        "filters",
        "role",
        "phoneNumber",
        "messageIds",
        "config",
        "proxyUrl",
        "conditions",
        "x",
    ];
    match rng.gen_range(0..if depth == 0 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.r#gen()),
        2 => json!(rng.r#gen::<i64>()),
        3 => json!(rng.r#gen::<f64>() * 1e300),
        4 => {
            let pick = [
                "",
                "\u{0}",
                "a b",
                "15551234567",
                "x@g.us",
                "http://[::1]:0/",
                "*",
            ];
            json!(pick[rng.gen_range(0..pick.len())])
        }
        5 => json!("é".repeat(rng.gen_range(0..300))),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| junk(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.gen_range(0..5) {
                let key = keys[rng.gen_range(0..keys.len())];
                map.insert(key.to_owned(), junk(rng, depth - 1));
            }
            Value::Object(map)
        }
    }
}

#[tokio::test]
async fn junk_never_answers_5xx() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("robust").await;
    let hook: Value = server
        .post(
            &format!("/api/sessions/{id}/webhooks"),
            json!({ "url": "http://127.0.0.1:9/hook" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let hook = hook["id"].as_str().unwrap();
    let routes = [
        (Method::POST, "/api/sessions".to_owned()),
        (
            Method::POST,
            format!("/api/sessions/{id}/messages/send-text"),
        ),
        (
            Method::POST,
            format!("/api/sessions/{id}/messages/send-image"),
        ),
        (Method::POST, format!("/api/sessions/{id}/chats/read")),
        (Method::POST, format!("/api/sessions/{id}/pairing-code")),
        (Method::POST, format!("/api/sessions/{id}/webhooks")),
        (Method::PUT, format!("/api/sessions/{id}/webhooks/{hook}")),
        (Method::POST, "/api/auth/api-keys".to_owned()),
        (
            Method::GET,
            format!("/api/sessions/{id}/messages?chatId=%00&limit=-1"),
        ),
        (Method::GET, format!("/api/sessions/{id}/messages/%20/%FF")),
        (Method::GET, "/api/sessions/..%2F..%2Fetc".to_owned()),
        (Method::GET, "/api/events?cursor=nope".to_owned()),
        (Method::DELETE, "/api/auth/api-keys/nope".to_owned()),
        (
            Method::POST,
            "/api/webhooks/delivery-failures/nope/redrive".to_owned(),
        ),
    ];
    let mut rng = StdRng::seed_from_u64(16);
    for (method, path) in &routes {
        for round in 0..25 {
            let request = server.req(method.clone(), path);
            let request = match round % 5 {
                0 => request.body("{not json"),
                1 => request.header("content-type", "text/plain").body("hi"),
                _ => request.json(&junk(&mut rng, 3)),
            };
            let response = request.send().await.unwrap();
            let status = response.status();
            assert!(
                status.as_u16() < 500 || status.as_u16() == 501,
                "{method} {path}: {status}: {}",
                response.text().await.unwrap_or_default()
            );
            if !status.is_success() {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path}: {status}"
                );
            }
        }
    }
}
