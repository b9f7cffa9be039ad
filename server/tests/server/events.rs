//! `GET /api/events`: Server-Sent Events, live and resumed with `Last-Event-ID`.

use serde_json::{Value, json};

use crate::common::{DEADLINE, Server, sim_with};

/// Reads SSE events (`id`, `event`, `data`) from `response` until `until` matches one;
/// answers every event read.
async fn read_until(
    response: &mut reqwest::Response,
    until: impl Fn(&str) -> bool,
) -> Vec<(u64, String, Value)> {
    let mut out = Vec::new();
    let mut buffer = String::new();
    tokio::time::timeout(DEADLINE, async {
        loop {
            let chunk = response.chunk().await.unwrap().expect("the stream ended");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name).map(str::trim).map(str::to_owned))
                };
                let (Some(id), Some(kind), Some(data)) =
                    (field("id:"), field("event:"), field("data:"))
                else {
                    continue;
                };
                let done = until(&kind);
                out.push((
                    id.parse().unwrap(),
                    kind,
                    serde_json::from_str(&data).unwrap(),
                ));
                if done {
                    return;
                }
            }
        }
    })
    .await
    .expect("no such event before the deadline");
    out
}

#[tokio::test]
async fn sse_live_and_resumed() {
    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("sse").await;
    let mut live = server.get(&format!("/api/events?sessionId={id}")).await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["content-type"], "text/event-stream");
    server
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    let seen = read_until(&mut live, |kind| kind == "qr").await;
    let (qr_seq, _, qr) = seen.last().unwrap().clone();
    assert_eq!(qr["session_id"], id.as_str(), "{qr}");
    assert!(qr["code"].as_str().is_some(), "{qr}");

    // Resuming right before the QR event replays it first.
    let mut resumed = server
        .req(reqwest::Method::GET, "/api/events")
        .header("Last-Event-ID", (qr_seq - 1).to_string())
        .send()
        .await
        .unwrap();
    let replay = read_until(&mut resumed, |_| true).await;
    assert_eq!(replay[0].0, qr_seq);
    assert_eq!(replay[0].1, "qr");
}

#[tokio::test]
async fn websocket_events() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

    let sim = sim_with(&[]).await;
    let server = Server::start(&sim).await;
    let id = server.create_session("websocket").await;
    let url = format!(
        "{}/api/events/ws?sessionId={id}&cursor=0",
        server.url.replace("http://", "ws://")
    );
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-api-key", server.key.parse().unwrap());
    let tcp = tokio::net::TcpStream::connect(server.url.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut socket, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    server
        .post(&format!("/api/sessions/{id}/start"), json!({}))
        .await;
    let qr = tokio::time::timeout(DEADLINE, async {
        loop {
            let frame = socket.next().await.unwrap().unwrap();
            if let Message::Text(text) = frame {
                let event: Value = serde_json::from_str(&text).unwrap();
                if event["type"] == "qr" {
                    return event;
                }
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(qr["session_id"], id.as_str());
    assert!(qr["seq"].as_u64().unwrap() > 0);

    let refused = reqwest::Client::new()
        .get(format!("{}/api/events/ws", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn sigterm_ends_open_streams() {
    let sim = sim_with(&[]).await;
    let mut server = Server::start(&sim).await;
    let mut sse = server.get("/api/events?cursor=0").await;
    assert_eq!(sse.status(), 200);
    // Graceful shutdown ends the endless response instead of waiting for it.
    assert!(server.terminate().await);
    let rest = tokio::time::timeout(DEADLINE, async {
        while let Ok(Some(_)) = sse.chunk().await {}
    })
    .await;
    assert!(rest.is_ok());
}
