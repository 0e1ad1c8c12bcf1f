//! How the provider talks to the token endpoint: an object-safe async trait over `http` types,
//! so this crate depends on no HTTP client. `auth-http` implements it with reqwest.

use std::fmt;

use async_trait::async_trait;

/// The largest token-endpoint response body read; a larger one is an error. Token responses
/// are a few kilobytes at most.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// Sends one token request and returns the whole response.
///
/// Implementations must not follow redirects (a token request that is redirected is an error
/// of the endpoint's configuration), should stop reading a body larger than
/// [`MAX_RESPONSE_BYTES`] and report it as [`TransportErrorKind::BodyTooLarge`], and must
/// never put the request body (which holds credentials) in an error.
#[async_trait]
pub trait TokenTransport: Send + Sync + fmt::Debug {
    /// Sends `request` and returns the response with its body.
    ///
    /// # Errors
    ///
    /// A [`TransportError`] when no complete response arrived.
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError>;
}

#[async_trait]
impl<T: TokenTransport + ?Sized> TokenTransport for std::sync::Arc<T> {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        (**self).send(request).await
    }
}

/// Why a token request got no complete response.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// The connection could not be made (refused, DNS, unreachable).
    Connect,
    /// Connecting or waiting for the response took longer than the timeout.
    Timeout,
    /// The connection broke mid-request or mid-response.
    Io,
    /// TLS failed (untrusted certificate, handshake failure). Retrying cannot help.
    Tls,
    /// The response body was larger than [`MAX_RESPONSE_BYTES`].
    BodyTooLarge,
    /// The server answered with a redirect, which token requests never follow.
    Redirect,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// Whether trying again can help.
    pub fn is_transient(self) -> bool {
        matches!(self, Self::Connect | Self::Timeout | Self::Io)
    }
}

/// A failure to get a response; its message never holds the request body.
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl TransportError {
    /// A transport error of `kind`, with a message that says what happened.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The kind.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
