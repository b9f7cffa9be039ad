//! `GET /api/events` (an addition to OpenWA's API): the engine's events as Server-Sent Events,
//! replayed from a cursor and then live, with no gap and no duplicate. Each SSE event has
//! `id` = the event's `seq`, `event` = its kind (`message_received`, `qr`, …) and `data` = the
//! engine's JSON of the event; reconnecting with `Last-Event-ID` (or `?cursor=`) resumes after
//! it. `?sessionId=` limits the stream to one session.
//!
//! `GET /api/events/ws` (WebSocket) carries the same events, one JSON text frame each, from
//! `?cursor=` (default: now); the client resumes by reconnecting with the last `seq` it
//! processed as `cursor`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use openwa::EventStream;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::extract::Q;
use crate::openapi::Problems;
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(websocket))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    cursor: Option<u64>,
    session_id: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/events",
    operation_id = "events_events",
    tag = "Events",
    summary = "Live events as Server-Sent Events, resumable",
    params(EventsQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event")),
    responses((status = 200, description = "An SSE stream; each event's id is its cursor", content_type = "text/event-stream", body = String), Problems)
)]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Q(query): Q<EventsQuery>,
) -> ApiResult<Response> {
    let last_id = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| ApiError::bad_request("Last-Event-ID must be an event seq"))?,
        ),
        None => None,
    };
    // Without a cursor the stream starts now.
    let source = source(
        &state,
        last_id.or(query.cursor),
        query.session_id.as_deref(),
    )
    .await?;
    let stopping = state.shutdown.subscribe();
    let stream = stream::unfold((source, stopping), |(source, mut stopping)| async move {
        let event = tokio::select! {
            event = source.next() => event?,
            _ = stopped(&mut stopping) => return None,
        };
        let data = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
        let sse = SseEvent::default()
            .id(event.seq.to_string())
            .event(event.kind.name())
            .data(data);
        Some((Ok::<_, Infallible>(sse), (source, stopping)))
    });
    let keep_alive = KeepAlive::new().interval(Duration::from_secs(15));
    Ok(Sse::new(stream).keep_alive(keep_alive).into_response())
}

/// The event stream after `cursor` (default: now) of one session or all.
async fn source(
    state: &AppState,
    cursor: Option<u64>,
    session: Option<&str>,
) -> ApiResult<EventStream> {
    let cursor = cursor.unwrap_or_else(|| state.manager.last_seq());
    Ok(match session {
        Some(key) => {
            let (_, session) = sessions::resolve(state, key).await?;
            session.events_from(cursor)
        }
        None => state.manager.events_from(cursor),
    })
}

#[utoipa::path(
    get,
    path = "/api/events/ws",
    operation_id = "events_websocket",
    tag = "Events",
    summary = "Live events over WebSocket, resumable",
    params(EventsQuery),
    responses((status = 101, description = "Switching to WebSocket; one JSON text frame per event"), Problems)
)]
async fn websocket(
    State(state): State<AppState>,
    Q(query): Q<EventsQuery>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    let source = source(&state, query.cursor, query.session_id.as_deref()).await?;
    let stopping = state.shutdown.subscribe();
    Ok(upgrade.on_upgrade(move |socket| forward(socket, source, stopping)))
}

/// Sends every event as a text frame until the client goes away (pings are answered while
/// reading).
async fn forward(
    mut socket: WebSocket,
    source: EventStream,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = stopped(&mut stopping) => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
            event = source.next() => {
                let Some(event) = event else { break };
                let text = serde_json::to_string(&event).unwrap_or_else(|_| "{}".into());
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Returns once the server shuts down.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // An error means the sender is gone: the server is going away too.
    let _ = stopping.wait_for(|stop| *stop).await;
}
