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
pub struct TokenEndpointError(Box<Details>);

/// The fields of a [`TokenEndpointError`], boxed so that results stay small.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    endpoint: String,
    grant: &'static str,
    problem: Problem,
    status: Option<u16>,
    oauth_error: Option<String>,
    description: Option<String>,
    error_uri: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    note: Option<&'static str>,
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
    /// The client assertion could not be signed: the signer's error kind (a signer that did
    /// not answer in time is a transient `Transport` one), whether it is worth retrying, and
    /// what happened.
    #[cfg(feature = "jwt")]
    Signer(ErrorKind, bool, String),
    /// A token the grant presents (a token exchange's subject or actor token) could not be
    /// read: its error kind, whether a later attempt can succeed, and what happened.
    Credential(ErrorKind, bool, String),
    /// The provider could not run the request (the refresh task or a signer panicked).
    Internal(String),
    /// The token endpoint could not be discovered: the error kind, whether trying later can
    /// help, and what went wrong.
    Discovery(ErrorKind, bool, String),
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
            note: None,
        }))
    }

    /// An answer with a non-2xx `status`.
    pub(crate) fn from_status(endpoint: &str, grant: &'static str, status: u16) -> Self {
        let mut error = Self::new(endpoint, grant, Problem::Status);
        error.0.status = Some(status);
        error
    }

    /// The same, with a 2xx `status` whose body was not usable.
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// The same, with the OAuth error fields (RFC 6749 §5.2), already cleaned.
    pub(crate) fn with_oauth_error(
        mut self,
        error: Option<String>,
        description: Option<String>,
        error_uri: Option<String>,
    ) -> Self {
        self.0.oauth_error = error;
        self.0.description = description;
        self.0.error_uri = error_uri;
        self
    }

    /// The same, with a description of a body that carried no OAuth error.
    pub(crate) fn with_description(mut self, description: String) -> Self {
        self.0.description = Some(description);
        self
    }

    /// The same, with the server's `Retry-After`.
    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    /// The same, counting `attempts` requests.
    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// The same, with a sentence that explains a likely cause.
    pub(crate) fn with_note(mut self, note: &'static str) -> Self {
        self.0.note = Some(note);
        self
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
            #[cfg(feature = "jwt")]
            Problem::Signer(_, transient, _) => *transient,
            Problem::Credential(_, transient, _) => *transient,
            Problem::Status => matches!(self.0.status, Some(408 | 429 | 500..=599)),
            Problem::Malformed(_) | Problem::Internal(_) => false,
            Problem::Discovery(_, transient, _) => *transient,
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
            #[cfg(feature = "jwt")]
            Problem::Signer(kind, ..) => *kind,
            Problem::Credential(kind, ..) => *kind,
            Problem::Status if self.is_transient() => ErrorKind::Transport,
            Problem::Status => ErrorKind::Rejected,
            Problem::Malformed(_) | Problem::Internal(_) => ErrorKind::Other,
            Problem::Discovery(kind, ..) => *kind,
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
            (_, Some("invalid_grant"), _) if self.0.grant == "token-exchange" => {
                "; the subject or actor token was refused (expired, revoked, or not of the type \
                 `subject_token_type` / `actor_token_type` says?)"
            }
            (_, Some("invalid_target"), _) => {
                "; the server will not issue a token for this `audience` or `resource`; check them"
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
            Problem::Malformed(message)
            | Problem::Credential(_, _, message)
            | Problem::Internal(message) => write!(f, ": {message}")?,
            Problem::Discovery(_, _, message) => {
                write!(f, ": discovering the token endpoint failed: {message}")?;
            }
            #[cfg(feature = "jwt")]
            Problem::Signer(_, _, message) => write!(f, ": {message}")?,
        }
        if self.0.attempts > 1 {
            write!(f, " after {} attempts", self.0.attempts)?;
        }
        f.write_str(self.advice())?;
        if let Some(note) = self.0.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TokenEndpointError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_endpoint_status_error_and_advice() {
        let err = TokenEndpointError::from_status("https://idp/token", "client_credentials", 401)
            .with_oauth_error(
                Some("invalid_client".into()),
                Some("Client authentication failed".into()),
                None,
            );
        assert_eq!(
            err.to_string(),
            "client_credentials token request to https://idp/token failed: HTTP 401, invalid_client \
             (Client authentication failed); check client_id and client_secret (or the client \
             assertion key)"
        );
        assert!(!err.is_transient());
        assert_eq!(err.to_core().kind(), ErrorKind::Rejected);
        let err = err.with_status(503);
        assert!(err.is_transient());
        assert!(err.to_core().is_retryable());
    }
}
