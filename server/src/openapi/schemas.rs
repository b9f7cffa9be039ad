//! Shapes many operations share: the problem body, the 4xx answer every route can give, the
//! send answer, and the common path parameters.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{IntoParams, IntoResponses, PartialSchema, ToSchema};

/// An error (RFC 9457 problem details) with the engine's stable code.
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Problem {
    /// `urn:openwa:error:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// The stable error code (`invalid_argument`, `not_found`, `unauthorized`, …).
    pub code: String,
    /// What went wrong.
    pub detail: String,
    /// The same as `detail` (OpenWA's field).
    pub message: String,
}

/// The answer any route can give to a bad request: 400 bad input, 401 no or wrong key, 403 out
/// of the key's role or scope, 404 unknown session or object, 409 state conflict, 413 too big,
/// 422 reused idempotency key, 429 rate limited, 501 not supported yet.
#[derive(Debug)]
pub struct Problems;

impl IntoResponses for Problems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build();
        let response = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content("application/problem+json", content.clone())
                    .build(),
            )
        };
        BTreeMap::from([
            (
                "4XX".to_owned(),
                response("The request was refused; the problem body says why."),
            ),
            (
                "5XX".to_owned(),
                response("The engine or WhatsApp failed (502/504 for network trouble)."),
            ),
        ])
    }
}

/// A message was accepted for sending.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResult {
    /// The WhatsApp message id.
    pub message_id: String,
    /// Seconds since the epoch.
    pub timestamp: i64,
}

/// An action succeeded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Success {
    /// Always true.
    pub success: bool,
}

/// The session a route acts on.
#[derive(Debug, IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
#[allow(dead_code)]
pub struct SessionPath(
    /// The session id or name
    String,
);

/// A file's bytes (`type: string, format: binary`).
#[derive(Debug)]
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                .build(),
        ))
    }
}

impl ToSchema for Binary {}

/// A message of a session's chat.
#[derive(Debug, IntoParams)]
#[into_params(names("id", "chat", "message"), parameter_in = Path)]
#[allow(dead_code)]
pub struct ChatMessagePath(
    /// The session's id or name.
    String,
    /// The chat id (a number, `…@c.us`, `…@s.whatsapp.net`, `…@lid` or `…@g.us`).
    String,
    /// The message id.
    String,
);

/// A message was queued for sending (`Prefer: respond-async`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueuedResult {
    /// The WhatsApp message id.
    pub message_id: String,
    /// Seconds since the epoch.
    pub timestamp: i64,
    /// Always `pending`: the outcome follows as `message.sent`, `message.ack` or
    /// `message.failed`.
    pub status: String,
}

/// The request headers of every send: `Idempotency-Key` and `Prefer`.
#[derive(Debug)]
pub struct SendHeaders;

impl IntoParams for SendHeaders {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::Required;
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        };
        vec![
            header(
                "Idempotency-Key",
                "Answers a repeated key with the first send (`Idempotent-Replayed: true`), for 24 hours.",
            ),
            header(
                "Prefer",
                "`respond-async`: answer 202 once the message is durably queued instead of 201 \
                 once WhatsApp acknowledged it; queued sends go out in order, paced, also after \
                 a reconnect or a restart.",
            ),
        ]
    }
}

/// The answers of every send: 201 sent, 202 queued.
#[derive(Debug)]
pub struct SendResponses;

impl IntoResponses for SendResponses {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        use utoipa::openapi::header::HeaderBuilder;
        let json = |schema: &str| {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build()
        };
        let header = |description: &str| {
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some(description))
                .build()
        };
        BTreeMap::from([
            (
                "201".to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description("Sent: WhatsApp acknowledged the message")
                        .content("application/json", json("SendResult"))
                        .header(
                            "Idempotent-Replayed",
                            header("`true` when this repeats an earlier answer"),
                        )
                        .build(),
                ),
            ),
            (
                "202".to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description("Queued (`Prefer: respond-async`): stored, to be sent")
                        .content("application/json", json("QueuedResult"))
                        .header("Preference-Applied", header("`respond-async`"))
                        .build(),
                ),
            ),
        ])
    }
}
