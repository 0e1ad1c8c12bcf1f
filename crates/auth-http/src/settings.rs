//! The HTTP client's own settings (Ballerina's `ClientConfiguration`, the parts this crate
//! applies): HTTP version, timeouts and TLS, for the authenticated client and the token
//! endpoint's transport alike.

use std::time::Duration;

use auth_core::{Error, Result};

use crate::tls::SecureSocket;

/// The default connect timeout (Ballerina's 15 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The default whole-request timeout (Ballerina's 30 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP version to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.1 only.
    Http1,
    /// HTTP/2 only (with prior knowledge on cleartext connections).
    Http2,
}

impl std::str::FromStr for HttpVersion {
    type Err = Error;

    /// `"1.1"` (or Ballerina's `HTTP_1_1`), `"2"` (`"2.0"`, `HTTP_2`, `HTTP_2_0`).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "1.1" | "HTTP_1_1" => Ok(Self::Http1),
            "2" | "2.0" | "HTTP_2" | "HTTP_2_0" => Ok(Self::Http2),
            other => Err(Error::invalid_config(format!(
                "`http_version` is \"{other}\"; use \"1.1\" or \"2\""
            ))),
        }
    }
}

/// How an HTTP client connects: version, timeouts, TLS.
///
/// ```
/// use std::time::Duration;
/// use auth_http::{ClientSettings, HttpVersion};
///
/// let settings = ClientSettings::default()
///     .http_version(HttpVersion::Http1)
///     .connect_timeout(Duration::from_secs(5));
/// let client = settings.build_reqwest()?;
/// # let _ = client;
/// # Ok::<(), auth_core::Error>(())
/// ```
// `Debug` derived: `SecureSocket`'s own `Debug` hides its passwords.
#[derive(Clone, Debug)]
pub struct ClientSettings {
    pub(crate) http_version: Option<HttpVersion>,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) secure_socket: Option<SecureSocket>,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            http_version: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            secure_socket: None,
        }
    }
}

impl ClientSettings {
    /// Speaks only `version` (default: HTTP/1.1 on cleartext, negotiated by ALPN over TLS).
    #[must_use]
    pub fn http_version(mut self, version: HttpVersion) -> Self {
        self.http_version = Some(version);
        self
    }

    /// The connect timeout (default [`DEFAULT_CONNECT_TIMEOUT`]).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The whole-request timeout (default [`DEFAULT_REQUEST_TIMEOUT`]).
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// TLS settings.
    #[must_use]
    pub fn secure_socket(mut self, secure_socket: SecureSocket) -> Self {
        self.secure_socket = Some(secure_socket);
        self
    }

    /// Applies these settings to `builder`.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for a zero timeout or
    /// bad TLS settings; [`auth_core::ErrorKind::KeyMaterial`] for a
    /// client key or keystore that cannot be read.
    pub fn apply(&self, mut builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder> {
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(Error::invalid_config(
                "`connect_timeout` and `req_timeout` must be greater than zero seconds",
            ));
        }
        builder = builder
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout);
        builder = match self.http_version {
            Some(HttpVersion::Http2) => builder.http2_prior_knowledge(),
            Some(HttpVersion::Http1) => builder.http1_only(),
            None => builder,
        };
        if let Some(secure_socket) = &self.secure_socket {
            builder = secure_socket.apply(builder)?;
        }
        Ok(builder)
    }

    /// A reqwest client with these settings (no authentication).
    ///
    /// # Errors
    ///
    /// As [`apply`](Self::apply), or when reqwest cannot build the client.
    pub fn build_reqwest(&self) -> Result<reqwest::Client> {
        self.apply(reqwest::Client::builder())?
            .build()
            .map_err(|e| Error::invalid_config(format!("the HTTP client cannot be built ({e})")))
    }
}
