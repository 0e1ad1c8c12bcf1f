//! The error every `auth-*` crate reports.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

/// A boxed error, used as the [`source`](StdError::source) of an [`Error`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is; decides what the caller can do about it.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The configuration is wrong (a missing field, a bad URL, a credential with a line break).
    /// Fix the configuration; retrying cannot help.
    InvalidConfig,
    /// A key or certificate could not be read, decrypted or used (wrong password, unsupported
    /// format, a key that does not fit the algorithm).
    KeyMaterial,
    /// Talking to a server failed (connection refused, reset, timed out, a 5xx). Often
    /// transient: see [`Error::is_retryable`].
    Transport,
    /// A server answered and refused the credential (`invalid_client`, `invalid_grant`, 401).
    Rejected,
    /// Anything else, for example a failure inside a custom provider.
    Other,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            Self::InvalidConfig => "invalid configuration",
            Self::KeyMaterial => "key material error",
            Self::Transport => "transport error",
            Self::Rejected => "rejected by the server",
            Self::Other => "authentication error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// An authentication error: a [`kind`](Self::kind), a message that says what failed and what
/// to do, and an optional source.
///
/// Messages never contain a secret, a token or a whole response body; code that builds an
/// `Error` must keep it that way.
///
/// ```
/// use auth_core::{Error, ErrorKind};
///
/// let err = Error::invalid_config("username must not be empty; set `username`");
/// assert_eq!(err.kind(), ErrorKind::InvalidConfig);
/// assert!(!err.is_retryable());
/// assert_eq!(err.to_string(), "invalid configuration: username must not be empty; set `username`");
/// ```
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<BoxError>,
    retryable: Option<bool>,
}

impl Error {
    /// An error of `kind` with a message that says what failed and what to do about it.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
            retryable: None,
        }
    }

    /// An [`ErrorKind::InvalidConfig`] error.
    pub fn invalid_config(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }

    /// An [`ErrorKind::KeyMaterial`] error.
    pub fn key_material(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::KeyMaterial, message)
    }

    /// An [`ErrorKind::Transport`] error.
    pub fn transport(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Transport, message)
    }

    /// An [`ErrorKind::Rejected`] error.
    pub fn rejected(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Rejected, message)
    }

    /// An [`ErrorKind::Other`] error.
    pub fn other(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Other, message)
    }

    /// Attaches the underlying cause. It must not carry a secret in its `Display` or `Debug`.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Overrides the default answer of [`is_retryable`](Self::is_retryable).
    #[must_use]
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = Some(retryable);
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind prefix that `Display` adds.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether trying the same operation again later can succeed.
    ///
    /// Transport errors are retryable unless the code that made them said otherwise; a
    /// rejection is retryable only when the server said so (a 429, say); configuration and
    /// key errors never are.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::InvalidConfig | ErrorKind::KeyMaterial => false,
            ErrorKind::Transport => self.retryable.unwrap_or(true),
            _ => self.retryable.unwrap_or(false),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug
            .field("kind", &self.kind)
            .field("message", &self.message);
        if let Some(source) = &self.source {
            debug.field("source", source);
        }
        debug.field("retryable", &self.is_retryable()).finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_follows_kind_unless_overridden() {
        assert!(Error::transport("connection reset").is_retryable());
        assert!(
            !Error::transport("bad TLS cert")
                .with_retryable(false)
                .is_retryable()
        );
        assert!(!Error::rejected("invalid_client").is_retryable());
        assert!(Error::rejected("429").with_retryable(true).is_retryable());
        assert!(
            !Error::invalid_config("x")
                .with_retryable(true)
                .is_retryable()
        );
        assert!(!Error::key_material("x").is_retryable());
        assert!(!Error::other("x").is_retryable());
    }

    #[test]
    fn source_is_kept_and_display_names_kind_and_message() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = Error::key_material("cannot read key file `k.pem`").with_source(io);
        assert_eq!(err.kind(), ErrorKind::KeyMaterial);
        assert_eq!(err.message(), "cannot read key file `k.pem`");
        assert_eq!(
            err.to_string(),
            "key material error: cannot read key file `k.pem`"
        );
        assert_eq!(
            err.source().map(ToString::to_string).as_deref(),
            Some("no such file")
        );
        let debug = format!("{err:?}");
        assert!(
            debug.contains("KeyMaterial") && debug.contains("no such file"),
            "{debug}"
        );
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static + StdError>() {}
        check::<Error>();
    }
}
