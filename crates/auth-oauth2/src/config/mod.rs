//! The provider's configuration: Ballerina's four grant configs, with its field names and
//! defaults, as one type whose [`Grant`] says which grant it is.

mod raw;

use std::fmt;
use std::time::Duration;

use auth_core::SecretString;

/// The default lifetime assumed when a response has no `expires_in` (Ballerina's 3600 s).
pub const DEFAULT_TOKEN_EXP_TIME: Duration = Duration::from_secs(3600);
/// The default connect timeout for token requests (Ballerina's 15 s).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// The default whole-request timeout for token requests (Ballerina's 30 s).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An OAuth2 provider's configuration.
///
/// Build one with [`client_credentials`](Self::client_credentials), [`password`](Self::password),
/// [`refresh_token`](Self::refresh_token) or [`jwt_bearer`](Self::jwt_bearer) and the setters,
/// or deserialize it (TOML, JSON) from Ballerina's shape, where the fields present select the
/// grant: `token_url` + `client_id`/`client_secret` is client credentials, `token_url` +
/// `username`/`password` the password grant, `refresh_url` + `refresh_token` the refresh-token
/// grant, `token_url` + `assertion` (or `assertion_config`) the jwt-bearer grant. Field names are
/// snake_case and Ballerina's camelCase (`tokenUrl`, `clientSecret`, ...) is accepted too.
///
/// Nothing is checked or sent until [`OAuth2Provider::new`](crate::OAuth2Provider::new).
///
/// ```
/// use auth_oauth2::OAuth2Config;
///
/// let config: OAuth2Config = toml::from_str(r#"
///     token_url = "https://idp.example/oauth2/token"
///     client_id = "svc"
///     client_secret = "s3cr3t"
///     scopes = ["read", "write"]
///     credential_bearer = "POST_BODY_BEARER"
/// "#)?;
/// assert_eq!(config.grant_name(), "client_credentials");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct OAuth2Config {
    /// Which grant, with its own fields.
    pub grant: Grant,
    /// The token URL (the refresh URL for the refresh-token grant).
    pub url: String,
    /// `client_id`; optional for the password and jwt-bearer grants (public clients).
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<SecretString>,
    /// `scopes`, sent space-joined as `scope`.
    pub scopes: Vec<String>,
    /// The lifetime assumed when a response has no `expires_in` (default 3600 s).
    pub default_token_exp_time: Duration,
    /// How long before its expiry a token is treated as expired (default 0 s), clamped to half
    /// the token's lifetime.
    pub clock_skew: Duration,
    /// Extra form parameters for every token request, in order.
    pub optional_params: Vec<(String, String)>,
    /// Where the client credentials go (default: the `Authorization` header).
    pub credential_bearer: CredentialBearer,
    /// How the `Authorization: Basic` client credential is encoded (default: form-encoded, as
    /// RFC 6749 §2.3.1 requires).
    pub basic_encoding: BasicEncoding,
    /// The token endpoint's client settings.
    pub client_config: ClientConfig,
    /// Allow `http://` token URLs to hosts other than loopback (default `false`).
    pub allow_insecure_http: bool,
    /// When a refresh is refused with `invalid_grant`, run the original grant again (password
    /// and jwt-bearer grants; default `true`).
    pub fallback_on_invalid_grant: bool,
    /// Authenticate the client with a signed JWT instead of a secret (`private_key_jwt`, or
    /// `client_secret_jwt` with an HS algorithm), RFC 7523 §2.2. `iss` and `sub` become the
    /// client id and `aud` the token URL unless set; each token request gets a fresh assertion.
    #[cfg(feature = "jwt")]
    pub client_assertion: Option<auth_jwt_issuer::IssuerConfig>,
}

/// The grant and its own fields.
#[derive(Clone)]
#[non_exhaustive]
pub enum Grant {
    /// `client_credentials` (RFC 6749 §4.4). Renewal runs the grant again.
    ClientCredentials,
    /// `password` (RFC 6749 §4.3). Renewal uses the refresh token when the server gave one.
    Password {
        /// `username`.
        username: String,
        /// `password`.
        password: SecretString,
        /// Where and how to refresh; inferred from the token URL and client settings when
        /// absent (Ballerina's `INFER_REFRESH_CONFIG`).
        refresh: Option<RefreshConfig>,
    },
    /// `refresh_token` (RFC 6749 §6), keeping the newest rotated refresh token.
    RefreshToken {
        /// The first refresh token.
        refresh_token: SecretString,
    },
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
    JwtBearer {
        /// The assertion.
        assertion: Assertion,
    },
}

/// The jwt-bearer grant's assertion.
#[derive(Clone)]
#[non_exhaustive]
pub enum Assertion {
    /// A fixed JWT, as Ballerina takes it (it will expire; prefer an issuer config).
    Static(SecretString),
    /// A fresh JWT signed for every token request.
    #[cfg(feature = "jwt")]
    Issued(Box<auth_jwt_issuer::IssuerConfig>),
}

/// How the password grant refreshes (Ballerina's `RefreshConfig`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RefreshConfig {
    /// The refresh URL.
    pub refresh_url: String,
    /// Scopes for the refresh request (none by default: the original scope, RFC 6749 §6).
    pub scopes: Vec<String>,
    /// Extra form parameters.
    pub optional_params: Vec<(String, String)>,
    /// Where the client credentials go.
    pub credential_bearer: CredentialBearer,
    /// The refresh endpoint's client settings (TLS settings are not inherited, as in
    /// Ballerina; repeat them here, or leave `refresh_config` out to infer everything).
    pub client_config: ClientConfig,
}

impl RefreshConfig {
    /// Refresh at `refresh_url` with default settings.
    pub fn new(refresh_url: impl Into<String>) -> Self {
        Self {
            refresh_url: refresh_url.into(),
            scopes: Vec::new(),
            optional_params: Vec::new(),
            credential_bearer: CredentialBearer::default(),
            client_config: ClientConfig::default(),
        }
    }
}

/// Where client credentials go (Ballerina's `CredentialBearer`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialBearer {
    /// `Authorization: Basic` (`client_secret_basic`, Ballerina's `AUTH_HEADER_BEARER`).
    #[default]
    AuthHeader,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`,
    /// `POST_BODY_BEARER`).
    PostBody,
}

/// How the `Authorization: Basic` client credential is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BasicEncoding {
    /// Form-encode id and secret before base64 (RFC 6749 §2.3.1).
    #[default]
    FormEncoded,
    /// Use them as they are (what Ballerina and some servers do).
    Raw,
}

/// The HTTP version for token requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpVersion {
    /// HTTP/1.1 (default).
    #[default]
    Http1,
    /// HTTP/2.
    Http2,
}

/// The token endpoint's client settings (Ballerina's `ClientConfiguration`, less TLS, which the
/// transport, `auth-http`, handles).
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// `http_version`: `"1.1"` (default) or `"2"`.
    pub http_version: HttpVersion,
    /// Headers added to every token request; an `Authorization` here replaces the client
    /// credential header.
    pub custom_headers: Vec<(String, String)>,
    /// Form text appended to every token request body (`a=1&b=2`).
    pub custom_payload: Option<String>,
    /// Connect timeout (default 15 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout (default 30 s).
    pub request_timeout: Duration,
}

impl fmt::Debug for ClientConfig {
    /// Header values and the payload can carry API keys: only the header names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .custom_headers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        f.debug_struct("ClientConfig")
            .field("http_version", &self.http_version)
            .field("custom_headers", &names)
            .field(
                "custom_payload",
                &self.custom_payload.as_ref().map(|_| "[redacted]"),
            )
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            http_version: HttpVersion::default(),
            custom_headers: Vec::new(),
            custom_payload: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl OAuth2Config {
    fn with_grant(grant: Grant, url: String) -> Self {
        Self {
            grant,
            url,
            client_id: None,
            client_secret: None,
            scopes: Vec::new(),
            default_token_exp_time: DEFAULT_TOKEN_EXP_TIME,
            clock_skew: Duration::ZERO,
            optional_params: Vec::new(),
            credential_bearer: CredentialBearer::default(),
            basic_encoding: BasicEncoding::default(),
            client_config: ClientConfig::default(),
            allow_insecure_http: false,
            fallback_on_invalid_grant: true,
            #[cfg(feature = "jwt")]
            client_assertion: None,
        }
    }

    /// The client credentials grant.
    #[must_use]
    pub fn client_credentials(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        Self::with_grant(Grant::ClientCredentials, token_url.into())
            .client(client_id, client_secret)
    }

    /// The password grant (a public client unless [`client`](Self::client) is set).
    #[must_use]
    pub fn password(
        token_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        Self::with_grant(
            Grant::Password {
                username: username.into(),
                password: password.into(),
                refresh: None,
            },
            token_url.into(),
        )
    }

    /// The refresh-token grant.
    #[must_use]
    pub fn refresh_token(
        refresh_url: impl Into<String>,
        refresh_token: impl Into<SecretString>,
    ) -> Self {
        Self::with_grant(
            Grant::RefreshToken {
                refresh_token: refresh_token.into(),
            },
            refresh_url.into(),
        )
    }

    /// The jwt-bearer grant.
    #[must_use]
    pub fn jwt_bearer(token_url: impl Into<String>, assertion: Assertion) -> Self {
        Self::with_grant(Grant::JwtBearer { assertion }, token_url.into())
    }

    /// Sets `client_id` and `client_secret`.
    #[must_use]
    pub fn client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(client_secret.into());
        self
    }

    /// Sets `client_id` alone (a public client, or one authenticated by a client assertion).
    #[must_use]
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// Sets `scopes`.
    #[must_use]
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `default_token_exp_time`.
    #[must_use]
    pub fn default_token_exp_time(mut self, lifetime: Duration) -> Self {
        self.default_token_exp_time = lifetime;
        self
    }

    /// Sets `clock_skew`.
    #[must_use]
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Adds an optional form parameter.
    #[must_use]
    pub fn optional_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.optional_params.push((name.into(), value.into()));
        self
    }

    /// Sets `credential_bearer`.
    #[must_use]
    pub fn credential_bearer(mut self, bearer: CredentialBearer) -> Self {
        self.credential_bearer = bearer;
        self
    }

    /// Sets how the Basic client credential is encoded.
    #[must_use]
    pub fn basic_encoding(mut self, encoding: BasicEncoding) -> Self {
        self.basic_encoding = encoding;
        self
    }

    /// Adds a custom header to token requests.
    #[must_use]
    pub fn custom_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.client_config
            .custom_headers
            .push((name.into(), value.into()));
        self
    }

    /// Sets the custom payload appended to token request bodies.
    #[must_use]
    pub fn custom_payload(mut self, payload: impl Into<String>) -> Self {
        self.client_config.custom_payload = Some(payload.into());
        self
    }

    /// Sets the token endpoint's client settings.
    #[must_use]
    pub fn client_config(mut self, client_config: ClientConfig) -> Self {
        self.client_config = client_config;
        self
    }

    /// Allows `http://` token URLs to hosts other than loopback.
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Whether a refresh refused with `invalid_grant` falls back to the original grant.
    #[must_use]
    pub fn fallback_on_invalid_grant(mut self, fallback: bool) -> Self {
        self.fallback_on_invalid_grant = fallback;
        self
    }

    /// Sets the password grant's refresh config (ignored by other grants).
    #[must_use]
    pub fn refresh_config(mut self, refresh_config: RefreshConfig) -> Self {
        if let Grant::Password { refresh, .. } = &mut self.grant {
            *refresh = Some(refresh_config);
        }
        self
    }

    /// Authenticates the client with a signed JWT (RFC 7523 §2.2).
    #[cfg(feature = "jwt")]
    #[must_use]
    pub fn client_assertion(mut self, issuer: auth_jwt_issuer::IssuerConfig) -> Self {
        self.client_assertion = Some(issuer);
        self
    }

    /// The grant's `grant_type` name for the first request.
    pub fn grant_name(&self) -> &'static str {
        match self.grant {
            Grant::ClientCredentials => "client_credentials",
            Grant::Password { .. } => "password",
            Grant::RefreshToken { .. } => "refresh_token",
            Grant::JwtBearer { .. } => "jwt-bearer",
        }
    }
}

impl fmt::Debug for OAuth2Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("OAuth2Config");
        debug
            .field("grant", &self.grant)
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .field("default_token_exp_time", &self.default_token_exp_time)
            .field("clock_skew", &self.clock_skew)
            .field("credential_bearer", &self.credential_bearer)
            .field("client_config", &self.client_config);
        debug.finish_non_exhaustive()
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientCredentials => f.write_str("ClientCredentials"),
            Self::Password {
                username, refresh, ..
            } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", &"[redacted]")
                .field("refresh", refresh)
                .finish(),
            Self::RefreshToken { .. } => f.write_str("RefreshToken { refresh_token: [redacted] }"),
            Self::JwtBearer { assertion } => f
                .debug_struct("JwtBearer")
                .field("assertion", assertion)
                .finish(),
        }
    }
}

impl fmt::Debug for Assertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(_) => f.write_str("Static([redacted])"),
            #[cfg(feature = "jwt")]
            Self::Issued(config) => f.debug_tuple("Issued").field(config).finish(),
        }
    }
}
