//! The OpenAPI 3.1 document and its docs page. Each route module registers its handlers through
//! `utoipa_axum::routes!`, which adds the route and the handler's `#[utoipa::path]` description
//! in one step, so the document cannot list a route the router lacks or miss one it has.
//! `/api/openapi.json` serves it and `/api/docs` renders it with a page bundled in the binary
//! (no CDN: it works with no internet).

mod schemas;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

pub use schemas::{
    Binary, ChatMessagePath, Problem, Problems, QueuedResult, SendHeaders, SendResponses,
    SendResult, SessionPath, Success,
};

/// The document's fixed parts: title, tags, security schemes, shared schemas.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(
    info(
        title = "OpenWA API",
        description = "OpenWA's REST API over the openwa engine: sessions, messages, groups, \
            chats, contacts, presence, webhooks, API keys and live events. Every route but \
            health and these docs takes an API key in `X-API-Key` (or `Authorization: Bearer`). \
            Errors are `application/problem+json` bodies with a stable `code`."
    ),
    modifiers(&Security),
    security(("apiKey" = []), ("bearer" = [])),
    components(schemas(Problem, QueuedResult, SendResult, Success)),
    tags(
        (name = "Sessions", description = "Create, link, start and stop WhatsApp sessions."),
        (name = "Messages", description = "Send, read and act on messages."),
        (name = "Media", description = "Send media and download received media."),
        (name = "Polls", description = "Send polls, vote, and read tallies."),
        (name = "Groups", description = "Create and manage groups."),
        (name = "Chats", description = "Chats and contacts the session knows."),
        (name = "Presence", description = "Own presence, typing, presence subscriptions."),
        (name = "Labels", description = "Labels on chats and messages."),
        (name = "Channels", description = "Channels (newsletters)."),
        (name = "Status", description = "Status posts."),
        (name = "Profile", description = "Own profile, calls and catalog."),
        (name = "Webhooks", description = "Per-session webhooks, deliveries and dead letters."),
        (name = "Events", description = "Live events over SSE and WebSocket, resumable."),
        (name = "Auth", description = "API keys: roles, scopes, rotation."),
        (name = "Operations", description = "Health, metrics and the audit log."),
    )
)]
pub struct ApiDoc;

/// Adds the two ways to present a key.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "apiKey",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (see /api/auth/api-keys) or the master key (API_KEY).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Where the document is served.
const DOCUMENT_PATH: &str = "/api/openapi.json";

/// The docs page's files, bundled: path, content type, body.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "/api/docs",
        "text/html; charset=utf-8",
        include_str!("docs/index.html"),
    ),
    (
        "/api/docs/",
        "text/html; charset=utf-8",
        include_str!("docs/index.html"),
    ),
    (
        "/api/docs/docs.js",
        "text/javascript; charset=utf-8",
        include_str!("docs/docs.js"),
    ),
    (
        "/api/docs/docs.css",
        "text/css; charset=utf-8",
        include_str!("docs/docs.css"),
    ),
    (
        "/api/docs/favicon.svg",
        "image/svg+xml",
        include_str!("docs/favicon.svg"),
    ),
];

/// Whether `path` is one this module serves (public: no API key needed).
pub fn is_public(path: &str) -> bool {
    path == DOCUMENT_PATH || ASSETS.iter().any(|(asset, _, _)| *asset == path)
}

/// Routes serving the rendered `document` and the docs page.
pub fn router<S: Clone + Send + Sync + 'static>(document: &OpenApi) -> Router<S> {
    let json = document
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\":\"rendering the OpenAPI document: {e}\"}}"));
    let json = Bytes::from(json);
    let mut router = Router::new().route(
        DOCUMENT_PATH,
        get(move || {
            let json = json.clone();
            async move { asset("application/json", json) }
        }),
    );
    for &(path, content_type, body) in ASSETS {
        router = router.route(path, get(move || async move { asset(content_type, body) }));
    }
    router
}

/// A static body with its type and a policy that keeps the page on this origin.
fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; style-src 'self'; script-src 'self'"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    #[test]
    fn every_operation_is_named_tagged_and_answers_problems() {
        let document = crate::routes::document();
        let json: Value = serde_json::from_str(&document.to_json().unwrap()).unwrap();
        assert_eq!(json["openapi"], "3.1.0");
        let tags: HashSet<&str> = json["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        let mut ids = HashSet::new();
        let mut count = 0;
        for (path, item) in json["paths"].as_object().unwrap() {
            assert!(path.starts_with("/api/"), "{path}");
            for (method, op) in item.as_object().unwrap() {
                count += 1;
                let id = op["operationId"].as_str().unwrap();
                assert!(ids.insert(id.to_owned()), "operationId {id} twice");
                let tag = op["tags"][0].as_str().unwrap();
                assert!(tags.contains(tag), "{method} {path}: undeclared tag {tag}");
                assert!(op["summary"].is_string(), "{method} {path}: no summary");
                let public = op["security"] == serde_json::json!([{}]);
                assert_eq!(
                    op["responses"]["4XX"].is_object(),
                    !public,
                    "{method} {path}: problems"
                );
            }
        }
        assert!(count >= 80, "only {count} operations");
    }
}
