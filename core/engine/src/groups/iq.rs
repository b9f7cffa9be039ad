//! Runs one group IQ (`w:g2`) and maps the server's error codes to the API's: 401/403 →
//! `permission_denied` (not a member, not an admin), 404 → `not_found` (no such group or
//! code), 400/406 → `invalid_argument`, 409 → `already_exists`, 410 → `not_found` (revoked
//! invite code); others keep the connection's mapping.

use openwa_protocol::stanza::IqSpec;

use crate::context::SessionContext;
use crate::error::{Error, ErrorCode};

/// Sends `spec` and decodes its answer.
pub(crate) async fn run<S: IqSpec>(
    shared: &SessionContext,
    spec: &S,
) -> Result<S::Response, Error> {
    let answer = shared.iq(spec.request()).await.map_err(group_error)?;
    S::parse_response(&answer).map_err(|e| {
        Error::new(
            ErrorCode::Protocol,
            format!("unexpected answer to a group request: {e}"),
        )
    })
}

/// The API error of a failed group IQ.
pub(crate) fn group_error(err: Error) -> Error {
    let Some(code) = err.details.as_deref().and_then(|d| d.parse::<u16>().ok()) else {
        return err;
    };
    let (api, what) = match code {
        401 | 403 => (
            ErrorCode::PermissionDenied,
            "not allowed: not a member or not an admin of the group",
        ),
        404 => (ErrorCode::NotFound, "no such group (or invite code)"),
        400 | 406 => (
            ErrorCode::InvalidArgument,
            "the server refused the request as invalid",
        ),
        409 => (ErrorCode::AlreadyExists, "already done (conflict)"),
        410 => (ErrorCode::NotFound, "the invite code was revoked"),
        _ => return err,
    };
    Error::new(api, format!("{what} (server code {code})")).with_details(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_become_api_codes() {
        let server = |code: u16| {
            Error::new(ErrorCode::NotPaired, "server answered").with_details(code.to_string())
        };
        assert_eq!(group_error(server(403)).code, ErrorCode::PermissionDenied);
        assert_eq!(group_error(server(401)).code, ErrorCode::PermissionDenied);
        assert_eq!(group_error(server(404)).code, ErrorCode::NotFound);
        assert_eq!(group_error(server(410)).code, ErrorCode::NotFound);
        assert_eq!(group_error(server(406)).code, ErrorCode::InvalidArgument);
        assert_eq!(group_error(server(409)).code, ErrorCode::AlreadyExists);
        assert_eq!(group_error(server(500)).code, ErrorCode::NotPaired);
        let timeout = Error::new(ErrorCode::Timeout, "slow");
        assert_eq!(group_error(timeout).code, ErrorCode::Timeout);
    }
}
