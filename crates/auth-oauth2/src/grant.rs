//! The grants: how an access token is obtained, each with the settings that belong to it.

use std::fmt;

use auth_core::SecretString;

use crate::config::RefreshConfig;
use crate::exchange::TokenExchangeGrant;

/// How an access token is obtained.
///
/// Build one with [`PasswordGrant::new`], [`RefreshTokenGrant::new`], [`JwtBearerGrant::new`],
/// [`TokenExchangeGrant::new`] or `Grant::ClientCredentials`, and hand it to [`OAuth2Config::new`](crate::OAuth2Config::new)
/// (or use the `OAuth2Config` shortcuts). Settings that belong to one grant live on that
/// grant's type.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub enum Grant {
    /// `client_credentials` (RFC 6749 §4.4). Renewal runs the grant again.
    ClientCredentials,
    /// `password` (RFC 6749 §4.3). Renewal uses the refresh token when the server gave one.
    Password(PasswordGrant),
    /// `refresh_token` (RFC 6749 §6), keeping the newest rotated refresh token.
    RefreshToken(RefreshTokenGrant),
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1). Renewal uses the refresh
    /// token when the server gave one.
    JwtBearer(JwtBearerGrant),
    /// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2.1). Renewal reads the
    /// subject token again and runs the exchange again; no refresh token is used.
    TokenExchange(TokenExchangeGrant),
}

impl Grant {
    /// The grant's name, as errors and traces show it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::Password(_) => "password",
            Self::RefreshToken(_) => "refresh_token",
            Self::JwtBearer(_) => "jwt-bearer",
            Self::TokenExchange(_) => "token-exchange",
        }
    }
}

/// The password grant: the resource owner's username and password.
#[derive(Clone)]
pub struct PasswordGrant {
    pub(crate) username: String,
    pub(crate) password: SecretString,
    pub(crate) refresh: Option<RefreshConfig>,
    pub(crate) fallback_on_invalid_grant: bool,
}

impl PasswordGrant {
    /// Logs in as `username`. Renewal refreshes at the token URL with every token-request
    /// setting but the scopes (Ballerina's `INFER_REFRESH_CONFIG`) unless
    /// [`refresh`](Self::refresh) says otherwise.
    pub fn new(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        Self {
            username: username.into(),
            password: password.into(),
            refresh: None,
            fallback_on_invalid_grant: true,
        }
    }

    /// Refreshes where and how `config` says.
    #[must_use]
    pub fn refresh(mut self, config: RefreshConfig) -> Self {
        self.refresh = Some(config);
        self
    }

    /// Whether a refresh refused with `invalid_grant` logs in again with the password (default
    /// `true`; Ballerina fails instead).
    #[must_use]
    pub fn fallback_on_invalid_grant(mut self, fallback: bool) -> Self {
        self.fallback_on_invalid_grant = fallback;
        self
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for PasswordGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordGrant")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .field("refresh", &self.refresh)
            .field("fallback_on_invalid_grant", &self.fallback_on_invalid_grant)
            .finish()
    }
}

impl From<PasswordGrant> for Grant {
    fn from(grant: PasswordGrant) -> Self {
        Self::Password(grant)
    }
}

/// The refresh-token grant: a refresh token obtained elsewhere.
#[derive(Clone)]
pub struct RefreshTokenGrant {
    pub(crate) refresh_token: SecretString,
}

impl RefreshTokenGrant {
    /// Starts from `refresh_token`; a rotated one the server returns replaces it.
    pub fn new(refresh_token: impl Into<SecretString>) -> Self {
        Self {
            refresh_token: refresh_token.into(),
        }
    }
}

impl fmt::Debug for RefreshTokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshTokenGrant { refresh_token: [redacted] }")
    }
}

impl From<RefreshTokenGrant> for Grant {
    fn from(grant: RefreshTokenGrant) -> Self {
        Self::RefreshToken(grant)
    }
}

/// The jwt-bearer grant: a signed assertion exchanged for an access token.
#[derive(Clone, Debug)]
pub struct JwtBearerGrant {
    pub(crate) assertion: Assertion,
    pub(crate) fallback_on_invalid_grant: bool,
}

impl JwtBearerGrant {
    /// Presents `assertion`.
    pub fn new(assertion: Assertion) -> Self {
        Self {
            assertion,
            fallback_on_invalid_grant: true,
        }
    }

    /// Whether a refresh refused with `invalid_grant` presents a new assertion instead (default
    /// `true`).
    #[must_use]
    pub fn fallback_on_invalid_grant(mut self, fallback: bool) -> Self {
        self.fallback_on_invalid_grant = fallback;
        self
    }
}

impl From<JwtBearerGrant> for Grant {
    fn from(grant: JwtBearerGrant) -> Self {
        Self::JwtBearer(grant)
    }
}

/// The jwt-bearer grant's assertion.
#[non_exhaustive]
#[derive(Clone)]
pub enum Assertion {
    /// A fixed JWT, as Ballerina takes it. It will expire; prefer [`Assertion::issued`].
    Fixed(SecretString),
    /// A fresh JWT from this issuer for every token request (feature `jwt`).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    Issued(auth_jwt_issuer::JwtIssuer),
}

impl Assertion {
    /// A fixed JWT.
    pub fn fixed(jwt: impl Into<SecretString>) -> Self {
        Self::Fixed(jwt.into())
    }

    /// A fresh JWT from `issuer` for every token request (feature `jwt`).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn issued(issuer: auth_jwt_issuer::JwtIssuer) -> Self {
        Self::Issued(issuer)
    }
}

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(_) => f.write_str("Fixed([redacted])"),
            #[cfg(feature = "jwt")]
            Self::Issued(issuer) => f.debug_tuple("Issued").field(issuer).finish(),
        }
    }
}
