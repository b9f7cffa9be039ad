//! OpenWA's media routes: `send-image`, `send-video`, `send-audio` (`ptt` for a voice note),
//! `send-document`, `send-sticker` with a flat `{chatId, url | base64, mimetype, filename,
//! caption}` body (idempotent like `send-text`), and `GET …/messages/:chat/:id/media`, the
//! verified, decrypted file as an attachment.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use openwa::{MediaKind, MediaSource, OutgoingMedia};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::messages::{direct_chat, idempotent_send};
use crate::extract::Body;
use crate::idempotency;
use crate::openapi::{Binary, ChatMessagePath, Problems, SendHeaders, SendResponses, SessionPath};
use crate::problem::{ApiError, ApiResult};
use crate::sessions;
use crate::state::AppState;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Largest file fetched from a `url` (OpenWA's media cap).
const MAX_URL_BYTES: usize = 50 * 1024 * 1024;

/// The media send routes and the download route; send bodies may be up to `body_limit` bytes.
pub fn router(body_limit: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_image))
        .routes(routes!(send_video))
        .routes(routes!(send_audio))
        .routes(routes!(send_document))
        .routes(routes!(send_sticker))
        .layer(DefaultBodyLimit::max(body_limit))
        .routes(routes!(download))
}

/// OpenWA's flat media body (`gifPlayback` on videos and `ptt` on audio are additions).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SendMedia {
    chat_id: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    base64: Option<String>,
    #[serde(default)]
    mimetype: Option<String>,
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    /// `send-audio`: a voice note.
    #[serde(default)]
    ptt: Option<bool>,
    /// `send-video`: play as a GIF.
    #[serde(default)]
    gif_playback: Option<bool>,
    /// `send-image`, `send-video`: view once (an addition).
    #[serde(default)]
    view_once: Option<bool>,
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-image",
    operation_id = "media_send_image",
    tag = "Media",
    summary = "Send an image by URL or base64",
    params(SessionPath, SendHeaders),
    request_body = SendMedia,
    responses(SendResponses, Problems)
)]
async fn send_image(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body<SendMedia>,
) -> ApiResult<Response> {
    send_media(state, path, headers, body, MediaKind::Image).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-video",
    operation_id = "media_send_video",
    tag = "Media",
    summary = "Send a video (or GIF) by URL or base64",
    params(SessionPath, SendHeaders),
    request_body = SendMedia,
    responses(SendResponses, Problems)
)]
async fn send_video(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body<SendMedia>,
) -> ApiResult<Response> {
    send_media(state, path, headers, body, MediaKind::Video).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-audio",
    operation_id = "media_send_audio",
    tag = "Media",
    summary = "Send audio (or a voice note) by URL or base64",
    params(SessionPath, SendHeaders),
    request_body = SendMedia,
    responses(SendResponses, Problems)
)]
async fn send_audio(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body<SendMedia>,
) -> ApiResult<Response> {
    send_media(state, path, headers, body, MediaKind::Audio).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-document",
    operation_id = "media_send_document",
    tag = "Media",
    summary = "Send a document by URL or base64",
    params(SessionPath, SendHeaders),
    request_body = SendMedia,
    responses(SendResponses, Problems)
)]
async fn send_document(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body<SendMedia>,
) -> ApiResult<Response> {
    send_media(state, path, headers, body, MediaKind::Document).await
}

#[utoipa::path(
    post,
    path = "/api/sessions/{id}/messages/send-sticker",
    operation_id = "media_send_sticker",
    tag = "Media",
    summary = "Send a sticker by URL or base64",
    params(SessionPath, SendHeaders),
    request_body = SendMedia,
    responses(SendResponses, Problems)
)]
async fn send_sticker(
    state: State<AppState>,
    path: Path<String>,
    headers: HeaderMap,
    body: Body<SendMedia>,
) -> ApiResult<Response> {
    send_media(state, path, headers, body, MediaKind::Sticker).await
}

async fn send_media(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body<SendMedia>,
    kind: MediaKind,
) -> ApiResult<Response> {
    let chat = direct_chat(&body.chat_id)?;
    let kind = match kind {
        MediaKind::Audio if body.ptt == Some(true) => MediaKind::Voice,
        MediaKind::Video if body.gif_playback == Some(true) => MediaKind::Gif,
        other => other,
    };
    if body.ptt.is_some() && !matches!(kind, MediaKind::Audio | MediaKind::Voice) {
        return Err(ApiError::bad_request("ptt is a field of send-audio"));
    }
    if body.gif_playback.is_some() && !matches!(kind, MediaKind::Video | MediaKind::Gif) {
        return Err(ApiError::bad_request(
            "gifPlayback is a field of send-video",
        ));
    }
    let data = match (&body.base64, &body.url) {
        (Some(text), None) => decode_base64(text)?,
        (None, Some(url)) => fetch(url, state.config.webhook_allow_private).await?,
        _ => {
            return Err(ApiError::bad_request("give exactly one of url and base64"));
        }
    };
    let digest = hex::encode(Sha256::digest(&data));
    let hash = idempotency::request_hash(&[
        "send-media",
        &chat,
        kind.as_str(),
        &digest,
        body.mimetype.as_deref().unwrap_or_default(),
        body.filename.as_deref().unwrap_or_default(),
        body.caption.as_deref().unwrap_or_default(),
        if body.view_once == Some(true) {
            "once"
        } else {
            ""
        },
    ]);
    let mut media = OutgoingMedia::new(kind, MediaSource::Bytes { data });
    media.view_once = body.view_once == Some(true);
    media.mimetype = body.mimetype.filter(|m| !m.is_empty());
    media.caption = body.caption.filter(|c| !c.is_empty());
    // OpenWA takes a file name on every kind; WhatsApp shows one on documents only.
    media.file_name = body
        .filename
        .filter(|n| !n.is_empty() && kind == MediaKind::Document);
    idempotent_send(
        &state,
        &id,
        &headers,
        hash,
        move |session, options| async move { session.send_media(&chat, media, options).await },
    )
    .await
}

/// The bytes of a `base64` field (a `data:…;base64,` prefix is accepted).
fn decode_base64(text: &str) -> ApiResult<Vec<u8>> {
    let text = match text.split_once(";base64,") {
        Some((prefix, rest)) if prefix.starts_with("data:") => rest,
        _ => text,
    };
    STANDARD
        .decode(text.trim())
        .map_err(|e| ApiError::bad_request(format!("base64 is not base64: {e}")))
}

/// Fetches a `url` body (public http(s) addresses only unless private ones are allowed; no
/// redirects; at most [`MAX_URL_BYTES`]).
async fn fetch(url: &str, allow_private: bool) -> ApiResult<Vec<u8>> {
    crate::webhooks::guard::check(url, allow_private).map_err(ApiError::bad_request)?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| ApiError::internal(format!("HTTP client: {e}")))?;
    let bad_gateway = |why: String| ApiError::new(StatusCode::BAD_GATEWAY, "network", why);
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| bad_gateway(format!("fetching {url}: {e}")))?;
    if !response.status().is_success() {
        return Err(ApiError::bad_request(format!(
            "fetching {url} answered {}",
            response.status()
        )));
    }
    let too_big = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the file at url is over {MAX_URL_BYTES} bytes"),
        )
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_URL_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut data = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| bad_gateway(format!("fetching {url}: {e}")))?
    {
        if data.len() + chunk.len() > MAX_URL_BYTES {
            return Err(too_big());
        }
        data.extend_from_slice(&chunk);
    }
    Ok(data)
}

/// The file of a media message, verified and decrypted, as an attachment.
#[utoipa::path(
    get,
    path = "/api/sessions/{id}/messages/{chat}/{message}/media",
    operation_id = "media_download",
    tag = "Media",
    summary = "Download a received message's media (verified, decrypted)",
    params(ChatMessagePath),
    responses((status = 200, description = "The file, with its type", body = inline(Binary), content_type = "application/octet-stream"), Problems)
)]
async fn download(
    State(state): State<AppState>,
    Path((id, chat, message_id)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let (_, session) = sessions::resolve(&state, &id).await?;
    let message = session.message(&chat, &message_id).await?;
    let (mimetype, file_name) = match &message.content {
        openwa::MessageContent::Document {
            media, file_name, ..
        } => (media.mimetype.clone(), file_name.clone()),
        openwa::MessageContent::Image { media, .. }
        | openwa::MessageContent::Video { media, .. }
        | openwa::MessageContent::Audio { media, .. }
        | openwa::MessageContent::Sticker { media, .. } => (media.mimetype.clone(), None),
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("message {message_id} has no media"),
            ));
        }
    };
    let bytes = session.download_media(&chat, &message_id).await?;
    let mimetype = mimetype.unwrap_or_else(|| "application/octet-stream".to_owned());
    let file_name = file_name
        .unwrap_or_else(|| message_id.clone())
        .replace(['"', '\\', '\r', '\n'], "_");
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let value = |text: &str| HeaderValue::from_str(text).ok();
    if let Some(v) = value(&mimetype) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    if let Some(v) = value(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
