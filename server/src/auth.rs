//! The `X-API-Key` (or `Authorization: Bearer`) guard of everything under `/api` but health:
//! 401 without a valid key, 403 when the key's role is too low for the route or the request is
//! out of its scope (see the `scope` module). The key's scope goes into the request's extensions.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client_ip::ClientIp;
use crate::keys::{self, Role};
use crate::problem::ApiError;
use crate::scope::Scope;
use crate::state::AppState;

/// Who made a request: the key's id (`master` for `API_KEY`; none on public routes) and the
/// peer address, for the audit log.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The key's id.
    pub key_id: Option<String>,
    /// The TCP peer.
    pub peer: Option<std::net::IpAddr>,
}

/// The middleware.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ClientIp>().map(|c| c.0);
    let checked = check(
        &state,
        request.method(),
        request.uri().path(),
        request.headers(),
        peer,
    )
    .await;
    match checked {
        Ok((scope, key_id)) => {
            request.extensions_mut().insert(scope);
            request.extensions_mut().insert(Caller { key_id, peer });
            next.run(request).await
        }
        Err(e) => e.into_response(),
    }
}

async fn check(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Result<(Scope, Option<String>), ApiError> {
    if is_public(path) {
        return Ok((Scope::default(), None));
    }
    let token = state.config.metrics_token.as_deref().map(keys::hash);
    let presented = presented_key(headers).map(|k| keys::hash(&k));
    if path == "/api/metrics" && token.is_some() && token == presented {
        return Ok((Scope::default(), Some("metrics-token".into())));
    }
    let Some(key) = presented_key(headers) else {
        return Err(ApiError::unauthorized(
            "missing API key: send it in the X-API-Key header",
        ));
    };
    // Compared through their hashes, so the comparison's time says nothing about the key.
    let master = state.config.master_key.as_deref().map(keys::hash);
    let (role, scope, key_id) = if master.as_deref() == Some(keys::hash(&key).as_str()) {
        (Role::Admin, Scope::default(), "master".to_owned())
    } else {
        let Some((id, role, scope)) = keys::authenticate(&state.db, &key).await? else {
            return Err(ApiError::unauthorized("invalid or revoked API key"));
        };
        let (db, used) = (state.db.clone(), id.clone());
        tokio::spawn(async move {
            if let Err(e) = keys::touch(&db, &used).await {
                tracing::warn!("counting a key use: {e}");
            }
        });
        (role, scope, id)
    };
    if !scope.allows_ip(peer) {
        return Err(ApiError::forbidden(
            "this key may not be used from this address",
        ));
    }
    if let Some(refusal) = scope.refusal(path) {
        return Err(ApiError::forbidden(refusal));
    }
    let needed = required_role(method, path);
    if role < needed {
        return Err(ApiError::forbidden(format!(
            "this route needs the {} role; the key has {}",
            needed.as_str(),
            role.as_str()
        )));
    }
    Ok((scope, Some(key_id)))
}

fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/api/health" | "/api/health/live" | "/api/health/ready"
    ) || crate::openapi::is_public(path)
}

fn presented_key(headers: &HeaderMap) -> Option<String> {
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key.trim().to_owned());
    }
    let auth = headers.get("authorization")?.to_str().ok()?;
    auth.strip_prefix("Bearer ").map(|k| k.trim().to_owned())
}

/// Key management and the audit log are admin only; QR codes, pairing codes, webhooks, number
/// checks (a way to enumerate who is on WhatsApp) and every change need an operator; other reads
/// a viewer.
fn required_role(method: &Method, path: &str) -> Role {
    if path.starts_with("/api/auth/api-keys") || path.starts_with("/api/audit") {
        Role::Admin
    } else if path.ends_with("/qr")
        || path.ends_with("/pairing-code")
        || path.contains("/webhooks")
        || path.contains("/contacts/check/")
    {
        // Webhook settings name receivers and carry their headers: OpenWA keeps even reading
        // them to operators.
        Role::Operator
    } else if method == Method::GET || method == Method::HEAD || path == "/api/auth/validate" {
        Role::Viewer
    } else {
        Role::Operator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_per_route() {
        assert_eq!(required_role(&Method::GET, "/api/sessions"), Role::Viewer);
        assert_eq!(
            required_role(&Method::GET, "/api/sessions/x/qr"),
            Role::Operator
        );
        assert_eq!(
            required_role(&Method::POST, "/api/sessions"),
            Role::Operator
        );
        assert_eq!(
            required_role(&Method::GET, "/api/auth/api-keys"),
            Role::Admin
        );
        assert_eq!(
            required_role(&Method::GET, "/api/sessions/x/webhooks"),
            Role::Operator
        );
        assert_eq!(
            required_role(&Method::GET, "/api/sessions/x/contacts/check/15551234567"),
            Role::Operator
        );
        assert!(is_public("/api/health"));
    }
}
