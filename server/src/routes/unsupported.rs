//! OpenWA's routes the engine cannot serve yet. Each answers 501 with a problem body naming the
//! missing capability (never a fake success), and each is in the OpenAPI document, built from
//! the same table, so a client sees what exists and what is still missing.

use axum::http::Method;
use axum::routing::{MethodFilter, on};
use utoipa::PartialSchema;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::{OpenApi, Required};
use utoipa_axum::router::OpenApiRouter;

use crate::openapi::Problems;
use crate::problem::ApiError;
use crate::state::AppState;

const S: &str = "/api/sessions/{id}";

/// `(method, path below S, capability, OpenAPI tag)`.
const UNSUPPORTED: &[(Method, &str, &str, &str)] = &[
    (Method::POST, "/messages/pin", "pinned messages", "Messages"),
    (
        Method::POST,
        "/messages/unpin",
        "pinned messages",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/send-template",
        "message templates",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/click-button",
        "buttons and lists",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/send-product",
        "catalogs (business accounts)",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/send-catalog",
        "catalogs (business accounts)",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/send-bulk",
        "bulk sends with pacing",
        "Messages",
    ),
    (
        Method::GET,
        "/messages/batch/{batch}",
        "bulk sends with pacing",
        "Messages",
    ),
    (
        Method::POST,
        "/messages/batch/{batch}/cancel",
        "bulk sends with pacing",
        "Messages",
    ),
    (
        Method::GET,
        "/messages/{chat}/{message}/reactions",
        "listing a message's reactions",
        "Messages",
    ),
    (
        Method::GET,
        "/media/convert",
        "media conversion (ffmpeg)",
        "Media",
    ),
    (
        Method::POST,
        "/media/convert/voice",
        "media conversion (ffmpeg)",
        "Media",
    ),
    (
        Method::POST,
        "/media/convert/video",
        "media conversion (ffmpeg)",
        "Media",
    ),
    (
        Method::DELETE,
        "/contacts/{contact}",
        "removing an address-book entry",
        "Chats",
    ),
    (
        Method::GET,
        "/contacts/{contact}/profile-picture",
        "profile pictures",
        "Chats",
    ),
    (
        Method::GET,
        "/contacts/profile-pictures",
        "profile pictures",
        "Chats",
    ),
    (
        Method::POST,
        "/contacts/{contact}/block",
        "the block list",
        "Chats",
    ),
    (
        Method::DELETE,
        "/contacts/{contact}/block",
        "the block list",
        "Chats",
    ),
    (Method::GET, "/contacts/blocked", "the block list", "Chats"),
    (
        Method::GET,
        "/groups/{group}/picture",
        "group pictures",
        "Groups",
    ),
    (
        Method::PUT,
        "/groups/{group}/picture",
        "group pictures",
        "Groups",
    ),
    (
        Method::DELETE,
        "/groups/{group}/picture",
        "group pictures",
        "Groups",
    ),
    (
        Method::GET,
        "/presence/{chat}",
        "keeping contacts' presence",
        "Presence",
    ),
    (
        Method::GET,
        "/channels",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::GET,
        "/channels/{channel}",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::DELETE,
        "/channels/{channel}",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::GET,
        "/channels/{channel}/messages",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels/{channel}/delete",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels/subscribe",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels/{channel}/mute",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels/{channel}/admins/demote",
        "channels (newsletters)",
        "Channels",
    ),
    (
        Method::POST,
        "/channels/{channel}/owner/transfer",
        "channels (newsletters)",
        "Channels",
    ),
    (Method::POST, "/status/send-text", "status posts", "Status"),
    (Method::POST, "/status/send-image", "status posts", "Status"),
    (Method::POST, "/status/send-video", "status posts", "Status"),
    (Method::POST, "/status/send-voice", "status posts", "Status"),
    (Method::GET, "/status", "received status posts", "Status"),
    (
        Method::GET,
        "/status/{status}",
        "received status posts",
        "Status",
    ),
    (Method::DELETE, "/status/{status}", "status posts", "Status"),
    (
        Method::GET,
        "/status/{status}/media",
        "received status posts",
        "Status",
    ),
    (Method::PUT, "/profile/name", "profile changes", "Profile"),
    (Method::PUT, "/profile/status", "profile changes", "Profile"),
    (
        Method::PUT,
        "/profile/picture",
        "profile changes",
        "Profile",
    ),
    (
        Method::DELETE,
        "/profile/picture",
        "profile changes",
        "Profile",
    ),
    (Method::POST, "/calls/{call}/reject", "calls", "Profile"),
    (Method::POST, "/calls/link", "calls", "Profile"),
    (
        Method::GET,
        "/catalog",
        "catalogs (business accounts)",
        "Profile",
    ),
    (
        Method::GET,
        "/catalog/products",
        "catalogs (business accounts)",
        "Profile",
    ),
    (
        Method::GET,
        "/catalog/products/{product}",
        "catalogs (business accounts)",
        "Profile",
    ),
    (Method::GET, "/templates", "message templates", "Messages"),
    (Method::POST, "/templates", "message templates", "Messages"),
    (
        Method::GET,
        "/templates/{template}",
        "message templates",
        "Messages",
    ),
    (
        Method::PUT,
        "/templates/{template}",
        "message templates",
        "Messages",
    ),
    (
        Method::DELETE,
        "/templates/{template}",
        "message templates",
        "Messages",
    ),
];

/// The routes, each documented from the table.
pub fn router() -> OpenApiRouter<AppState> {
    let mut router = OpenApiRouter::new();
    for (method, path, capability, tag) in UNSUPPORTED {
        let capability: &'static str = capability;
        let full = format!("{S}{path}");
        let Ok(filter) = MethodFilter::try_from(method.clone()) else {
            continue;
        };
        router = router.route(
            &full,
            on(
                filter,
                move || async move { ApiError::unsupported(capability) },
            ),
        );
        document(router.get_openapi_mut(), method, &full, capability, tag);
    }
    router
}

/// Adds the operation of one table row to `openapi`.
fn document(openapi: &mut OpenApi, method: &Method, path: &str, capability: &str, tag: &str) {
    let http = match *method {
        Method::GET => HttpMethod::Get,
        Method::PUT => HttpMethod::Put,
        Method::DELETE => HttpMethod::Delete,
        Method::PATCH => HttpMethod::Patch,
        _ => HttpMethod::Post,
    };
    let mut operation = OperationBuilder::new()
        .tag(tag)
        .summary(Some(format!(
            "Not supported yet: {capability} (answers 501)"
        )))
        .operation_id(Some(operation_id(method, path)))
        .responses(
            utoipa::openapi::ResponsesBuilder::new().responses_from_into_responses::<Problems>(),
        );
    for name in path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
    {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(String::schema())),
        );
    }
    openapi
        .paths
        .add_path_operation(path, vec![http], operation.build());
}

/// `unsupported_<method>_<path words>`, unique per row.
fn operation_id(method: &Method, path: &str) -> String {
    let words: Vec<&str> = path
        .trim_start_matches(S)
        .split(['/', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| w.trim_start_matches('{').trim_end_matches('}'))
        .collect();
    format!(
        "unsupported_{}_{}",
        method.as_str().to_ascii_lowercase(),
        words.join("_")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_unique() {
        let mut ids: Vec<String> = UNSUPPORTED
            .iter()
            .map(|(m, p, _, _)| operation_id(m, &format!("{S}{p}")))
            .collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
