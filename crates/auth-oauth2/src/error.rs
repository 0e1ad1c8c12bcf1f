//! What went wrong at the token endpoint, with the details a caller can act on.

use std::fmt;
use std::time::Duration;

use auth_core::{Error, ErrorKind};

use crate::transport::TransportErrorKind;

/// The details of a failed token request, attached as the
/// [`source`](std::error::Error::source) of the [`auth_core::Error`] a provider returns.
///
/// Downcast to read them:
///
/// ```
/// # fn inspect(err: &auth_core::Error) {
/// use auth_oauth2::TokenEndpointError;
/// if let Some(details) = std::error::Error::source(err)
///     .and_then(|source| source.downcast_ref::<TokenEndpointError>())
/// {
///     println!("{:?} {:?}", details.status(), details.oauth_error());
/// }
/// # }
/// ```
///
/// It never holds a secret, a token or a response body; `error_description` is shortened and
/// any credential of the request that the server echoed back is blanked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenEndpointError(pub(crate) Box<Details>);

/// The fields of a [`TokenEndpointError`], boxed so that results stay small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Details {
    pub(crate) endpoint: String,
    pub(crate) grant: &'static str,
    pub(crate) problem: Problem,
    pub(crate) status: Option<u16>,
    pub(crate) oauth_error: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) error_uri: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
}

/// The class of failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// No response: connection, timeout, TLS, ...
    Transport(TransportErrorKind, String),
    /// A non-2xx status.
    Status,
    /// A 2xx response that is not a usable token response.
    Malformed(String),
    /// The provider refuses to run (no runtime, the refresh task died, ...).
    Internal(String),
}

impl TokenEndpointError {
    pub(crate) fn new(endpoint: &str, grant: &'static str, problem: Problem) -> Self {
        Self(Box::new(Details {
            endpoint: endpoint.to_owned(),
            grant,
            problem,
            status: None,
            oauth_error: None,
            description: None,
            error_uri: None,
            retry_after: None,
            attempts: 1,
        }))
    }

    /// The endpoint that failed, without query string or user info.
    pub fn endpoint(&self) -> &str {
        &self.0.endpoint
    }

    /// The grant type of the request (`client_credentials`, `refresh_token`, ...).
    pub fn grant(&self) -> &str {
        self.0.grant
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The OAuth `error` code (RFC 6749 §5.2), such as `invalid_client`.
    pub fn oauth_error(&self) -> Option<&str> {
        self.0.oauth_error.as_deref()
    }

    /// The server's `error_description`, shortened and with echoed credentials blanked.
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// The server's `error_uri`.
    pub fn error_uri(&self) -> Option<&str> {
        self.0.error_uri.as_deref()
    }

    /// How long the server asked us to wait (`Retry-After`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// How many requests were sent before giving up.
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// Whether a later attempt can succeed: transport failures, 5xx, 429 and 408.
    pub fn is_transient(&self) -> bool {
        match &self.0.problem {
            Problem::Transport(kind, _) => kind.is_transient(),
            Problem::Status => matches!(self.0.status, Some(408 | 429 | 500..=599)),
            Problem::Malformed(_) | Problem::Internal(_) => false,
        }
    }

    /// The refresh token (or assertion) was refused: `invalid_grant`.
    pub(crate) fn is_invalid_grant(&self) -> bool {
        self.0.oauth_error.as_deref() == Some("invalid_grant")
    }

    pub(crate) fn kind(&self) -> ErrorKind {
        match &self.0.problem {
            // The endpoint answered, but not with something usable: not a transport failure.
            Problem::Transport(
                TransportErrorKind::BodyTooLarge | TransportErrorKind::Redirect,
                _,
            ) => ErrorKind::Other,
            Problem::Transport(..) => ErrorKind::Transport,
            Problem::Status if self.is_transient() => ErrorKind::Transport,
            Problem::Status => ErrorKind::Rejected,
            Problem::Malformed(_) | Problem::Internal(_) => ErrorKind::Other,
        }
    }

    /// The error a provider returns: kind, message and this as its source.
    pub(crate) fn to_core(&self) -> Error {
        Error::new(self.kind(), self.to_string())
            .with_retryable(self.is_transient())
            .with_source(self.clone())
    }

    fn advice(&self) -> &'static str {
        match (
            &self.0.problem,
            self.0.oauth_error.as_deref(),
            self.0.status,
        ) {
            (Problem::Transport(TransportErrorKind::Tls, _), ..) => {
                "; check the token endpoint's certificate and the trusted CAs (secure_socket)"
            }
            (Problem::Transport(TransportErrorKind::Redirect, _), ..) => {
                "; token requests never follow redirects: set the final token URL"
            }
            (Problem::Transport(TransportErrorKind::BodyTooLarge, _), ..) => {
                "; a token response is never that large: check the token URL"
            }
            (Problem::Transport(..), ..) => "; check that the token endpoint is reachable",
            (_, Some("invalid_client"), _) => {
                "; check client_id and client_secret (or the client assertion key)"
            }
            (_, Some("invalid_grant"), _) => {
                "; the credentials, refresh token or assertion were refused (expired or revoked?)"
            }
            (_, Some("invalid_scope"), _) => "; check `scopes`",
            (_, Some("unauthorized_client"), _) => {
                "; this client may not use this grant type; check the client's registration"
            }
            (_, _, Some(401)) => "; check the client credentials",
            (_, _, Some(404)) => "; check the token URL",
            _ => "",
        }
    }
}

impl fmt::Display for TokenEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} token request to {} failed",
            self.0.grant, self.0.endpoint
        )?;
        match &self.0.problem {
            Problem::Transport(_, message) => write!(f, ": {message}")?,
            Problem::Status => {
                write!(f, ": HTTP {}", self.0.status.unwrap_or_default())?;
                if let Some(error) = &self.0.oauth_error {
                    write!(f, ", {error}")?;
                }
                if let Some(description) = &self.0.description {
                    write!(f, " ({description})")?;
                }
            }
            Problem::Malformed(message) | Problem::Internal(message) => write!(f, ": {message}")?,
        }
        if self.0.attempts > 1 {
            write!(f, " after {} attempts", self.0.attempts)?;
        }
        f.write_str(self.advice())
    }
}

impl std::error::Error for TokenEndpointError {}

/// Cuts server-supplied text to something safe to show: at most `max` characters, no control
/// characters, and none of `secrets`.
pub(crate) fn sanitize(text: &str, secrets: &[&str], max: usize) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        clean = clean.replace(secret, "[redacted]");
    }
    if clean.chars().count() > max {
        clean = clean.chars().take(max).collect::<String>() + "…";
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_blanks_secrets_controls_and_length() {
        assert_eq!(
            sanitize("bad secret s3cr3t-value\r\nX: y", &["s3cr3t-value"], 100),
            "bad secret [redacted]  X: y"
        );
        assert_eq!(sanitize("abcdef", &[], 3), "abc…");
        assert_eq!(
            sanitize("short ab", &["ab"], 100),
            "short ab",
            "tiny secrets are not matched"
        );
    }

    #[test]
    fn display_names_endpoint_status_error_and_advice() {
        let mut err =
            TokenEndpointError::new("https://idp/token", "client_credentials", Problem::Status);
        err.0.status = Some(401);
        err.0.oauth_error = Some("invalid_client".into());
        err.0.description = Some("Client authentication failed".into());
        assert_eq!(
            err.to_string(),
            "client_credentials token request to https://idp/token failed: HTTP 401, invalid_client \
             (Client authentication failed); check client_id and client_secret (or the client \
             assertion key)"
        );
        assert!(!err.is_transient());
        assert_eq!(err.to_core().kind(), ErrorKind::Rejected);
        err.0.status = Some(503);
        assert!(err.is_transient());
        assert!(err.to_core().is_retryable());
    }
}
