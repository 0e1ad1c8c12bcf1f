//! Where a token exchange's subject token (or actor token) comes from.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use auth_core::{AuthProvider, SecretString, SharedAuthProvider};

/// Where a token exchange's subject token, or its actor token, comes from. Every source but
/// [`Fixed`](Self::Fixed) is read again for every token request.
///
/// ```
/// use auth_core::Token;
/// use auth_oauth2::SubjectToken;
///
/// let fixed = SubjectToken::fixed("eyJhbGciOi...");
/// let env = SubjectToken::env("IDP_SUBJECT_TOKEN");
/// let file = SubjectToken::file("/var/run/secrets/tokens/idp-token");
/// // Any provider's credential: a self-signed JWT, another OAuth2 provider's token, ...
/// let provider = SubjectToken::provider(Token::bearer("eyJhbGciOi...")?);
/// assert_eq!(format!("{fixed:?}"), "Fixed([redacted])");
/// assert_eq!(format!("{env:?}"), r#"Env("IDP_SUBJECT_TOKEN")"#);
/// # let _ = (file, provider);
/// # Ok::<(), auth_core::Error>(())
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub enum SubjectToken {
    /// A fixed token. It will expire; prefer a source that is renewed.
    Fixed(SecretString),
    /// The value of this environment variable, read for every token request.
    Env(String),
    /// The content of this file, read for every token request (so a rotated file, such as a
    /// Kubernetes projected service-account token, is picked up), without trailing whitespace;
    /// at most [`MAX_SECRET_FILE_BYTES`](auth_core::file::MAX_SECRET_FILE_BYTES).
    File(PathBuf),
    /// The credential of this provider's [`token`](AuthProvider::token), asked for every token
    /// request. When the exchange is refused with `invalid_grant`, the provider is told
    /// ([`invalidate`](AuthProvider::invalidate)), so the next request gets a fresh one.
    Provider(SharedAuthProvider),
}

impl SubjectToken {
    /// A fixed token.
    pub fn fixed(token: impl Into<SecretString>) -> Self {
        Self::Fixed(token.into())
    }

    /// The value of the environment variable `var`, read for every token request.
    pub fn env(var: impl Into<String>) -> Self {
        Self::Env(var.into())
    }

    /// The content of the file at `path`, read for every token request.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File(path.into())
    }

    /// The credential of `provider`'s token, asked for every token request.
    pub fn provider(provider: impl AuthProvider + 'static) -> Self {
        Self::Provider(SharedAuthProvider::new(provider))
    }
}

impl From<SharedAuthProvider> for SubjectToken {
    fn from(provider: SharedAuthProvider) -> Self {
        Self::Provider(provider)
    }
}

impl From<Arc<dyn AuthProvider>> for SubjectToken {
    fn from(provider: Arc<dyn AuthProvider>) -> Self {
        Self::Provider(SharedAuthProvider::from(provider))
    }
}

impl fmt::Debug for SubjectToken {
    /// Where the token comes from, never the token: a provider prints itself, and every
    /// provider's `Debug` leaves its secrets out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("Fixed([redacted])"),
            Self::Env(var) => f.debug_tuple("Env").field(var).finish(),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Provider(provider) => f.debug_tuple("Provider").field(provider).finish(),
        }
    }
}
