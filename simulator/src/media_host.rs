//! The HTTPS media host (docs/PROTOCOL.md, Media): encrypted blob upload at `/mms/<type>/<token>` and
//! download at the returned direct path. Blobs are kept in memory, up to a total size.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::hub::Hub;

/// Largest accepted upload by default ([`crate::SimulatorConfig::max_upload_bytes`]).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
#[derive(Debug, Deserialize)]
struct UploadQuery {
    auth: Option<String>,
}

/// The media host's routes, accepting uploads of up to `max_upload` bytes.
pub fn router(hub: Arc<Hub>, max_upload: usize) -> Router {
    Router::new()
        .route("/mms/{mms_type}/{token}", post(upload))
        .route("/v/{kind}/{id}", get(download))
        .layer(DefaultBodyLimit::max(max_upload))
        .with_state(hub)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// Decodes a base64url token with or without padding (whatsmeow pads, Baileys does not).
fn decode_token(token: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(token.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(token))
        .ok()
}

async fn upload(
    State(hub): State<Arc<Hub>>,
    Path((mms_type, token)): Path<(String, String)>,
    Query(query): Query<UploadQuery>,
    body: Bytes,
) -> Response {
    if query.auth.as_deref().is_none_or(str::is_empty) {
        return error(StatusCode::UNAUTHORIZED, "missing auth");
    }
    let Some(expected) = decode_token(&token) else {
        return error(StatusCode::BAD_REQUEST, "token is not base64url");
    };
    if Sha256::digest(&body).as_slice() != expected.as_slice() {
        return error(
            StatusCode::BAD_REQUEST,
            "token is not the SHA-256 of the body",
        );
    }
    let Some((url, direct_path)) = store_blob(&hub, &expected, body) else {
        return error(StatusCode::INSUFFICIENT_STORAGE, "media store full");
    };
    tracing::debug!(%mms_type, %direct_path, "media uploaded");
    axum::Json(serde_json::json!({ "url": url, "direct_path": direct_path })).into_response()
}

/// Stores an encrypted blob whose SHA-256 is `enc_sha256`; returns its URL and direct path,
/// or `None` when the store is full. Used by uploads and by the simulated phones.
pub fn store_blob(hub: &Hub, enc_sha256: &[u8], blob: Bytes) -> Option<(String, String)> {
    let id = hex::encode(enc_sha256);
    if !hub.media.put(&id, blob) {
        return None;
    }
    let direct_path = format!("/v/t62.7118-24/{id}?ccb=9-4&oh=sim&oe=0");
    let url = format!("https://{}{direct_path}", hub.media_host);
    Some((url, direct_path))
}

async fn download(
    State(hub): State<Arc<Hub>>,
    Path((_kind, id)): Path<(String, String)>,
) -> Response {
    match hub.media.get(&id) {
        Some(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => error(StatusCode::NOT_FOUND, "no such media"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_decode_padded_and_unpadded() {
        let digest = Sha256::digest(b"blob");
        let padded = URL_SAFE.encode(digest);
        let unpadded = URL_SAFE_NO_PAD.encode(digest);
        assert!(padded.ends_with('='));
        assert_eq!(decode_token(&padded).as_deref(), Some(digest.as_slice()));
        assert_eq!(decode_token(&unpadded).as_deref(), Some(digest.as_slice()));
        assert_eq!(decode_token("%%%"), None);
    }
}
