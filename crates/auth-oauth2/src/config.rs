//! The provider's configuration: the token endpoint, the grant, how the client authenticates,
//! and what goes with every token request.

use std::fmt;
use std::time::Duration;

use auth_core::SecretString;

use crate::checks::shown_url;
use crate::client_auth::ClientAuth;
use crate::exchange::TokenExchangeGrant;
use crate::grant::{Assertion, Grant, JwtBearerGrant, PasswordGrant, RefreshTokenGrant};

/// The lifetime assumed when a response has no `expires_in` (Ballerina's 3600 s).
pub const DEFAULT_TOKEN_EXP_TIME: Duration = Duration::from_secs(3600);

/// The longest lifetime a token is cached for, whatever the server or the config says (one
/// year): longer values are mistakes, and the bound keeps every expiry computation in range.
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// An OAuth2 provider's configuration: where tokens come from ([`Grant`]), how the client
/// proves who it is ([`ClientAuth`]), and what goes with every token request.
///
/// ```
/// use auth_oauth2::{ClientAuth, OAuth2Config, PasswordGrant, RefreshConfig};
///
/// let client_credentials = OAuth2Config::client_credentials(
///     "https://idp.example/oauth2/token",
///     ClientAuth::basic("svc", "s3cr3t"),
/// )
/// .scopes(["read", "write"]);
///
/// let password = OAuth2Config::new(
///     "https://idp.example/oauth2/token",
///     PasswordGrant::new("alice", "pa ss").refresh(RefreshConfig::new("https://idp.example/refresh")),
/// )
/// .client_auth(ClientAuth::post("app", "app-secret"));
/// # let _ = (client_credentials, password);
/// ```
///
/// Nothing is checked or sent until [`OAuth2Provider::new`](crate::OAuth2Provider::new). How
/// the token endpoint is reached (TLS, timeouts, HTTP version) is the transport's business; see
/// `auth-http`'s `ReqwestTransport`.
#[derive(Clone)]
pub struct OAuth2Config {
    pub(crate) token_url: String,
    pub(crate) grant: Grant,
    pub(crate) client_auth: ClientAuth,
    pub(crate) scopes: Vec<String>,
    pub(crate) default_token_exp_time: Duration,
    pub(crate) clock_skew: Duration,
    pub(crate) optional_params: Vec<(String, String)>,
    pub(crate) custom_headers: Vec<(String, String)>,
    pub(crate) custom_payload: Option<String>,
    pub(crate) allow_insecure_http: bool,
    /// `token_url` is the issuer: the token endpoint comes from its metadata.
    pub(crate) discover: bool,
    /// The client wants certificate-bound tokens (RFC 8705 §3).
    pub(crate) certificate_bound: bool,
    #[cfg(feature = "dpop")]
    pub(crate) dpop: Option<std::sync::Arc<auth_jwt_issuer::DpopKey>>,
}

impl OAuth2Config {
    /// `grant` at `token_url` (the refresh URL for the refresh-token grant), for a public client
    /// (see [`client_auth`](Self::client_auth)).
    pub fn new(token_url: impl Into<String>, grant: impl Into<Grant>) -> Self {
        Self {
            token_url: token_url.into(),
            grant: grant.into(),
            client_auth: ClientAuth::none(),
            scopes: Vec::new(),
            default_token_exp_time: DEFAULT_TOKEN_EXP_TIME,
            clock_skew: Duration::ZERO,
            optional_params: Vec::new(),
            custom_headers: Vec::new(),
            custom_payload: None,
            allow_insecure_http: false,
            discover: false,
            certificate_bound: false,
            #[cfg(feature = "dpop")]
            dpop: None,
        }
    }

    /// A provider for `grant` whose token endpoint is found in `issuer_url`'s metadata
    /// (RFC 8414 `/.well-known/oauth-authorization-server`, then OpenID Connect's
    /// `/.well-known/openid-configuration`), on first use; the document's `issuer` must equal
    /// `issuer_url` exactly. Nothing is fetched when the provider is built.
    ///
    /// The metadata is checked against the config: the client's authentication method must be
    /// in `token_endpoint_auth_methods_supported` and a DPoP key's algorithm in
    /// `dpop_signing_alg_values_supported` (when the server lists them); a client that
    /// authenticates with its certificate uses `mtls_endpoint_aliases.token_endpoint`. A
    /// failed discovery is tried again on a later call, after a back-off of one second doubling
    /// up to a minute.
    pub fn discovered(issuer_url: impl Into<String>, grant: impl Into<Grant>) -> Self {
        let mut config = Self::new(issuer_url, grant);
        config.discover = true;
        config
    }

    /// Says the client wants certificate-bound access tokens (RFC 8705 §3): with
    /// [discovery](Self::discovered), token requests go to the metadata's
    /// `mtls_endpoint_aliases.token_endpoint`, as they do for certificate client
    /// authentication. The transport must present the client certificate, and so must the
    /// client that sends the tokens on.
    #[must_use]
    pub fn certificate_bound(mut self, bound: bool) -> Self {
        self.certificate_bound = bound;
        self
    }

    /// The issuer whose metadata names the token endpoint, for a [discovered](Self::discovered)
    /// config.
    pub fn issuer_url(&self) -> Option<&str> {
        self.discover.then_some(self.token_url.as_str())
    }

    /// The client credentials grant (RFC 6749 §4.4), which needs client authentication.
    pub fn client_credentials(token_url: impl Into<String>, client_auth: ClientAuth) -> Self {
        Self::new(token_url, Grant::ClientCredentials).client_auth(client_auth)
    }

    /// The password grant (RFC 6749 §4.3), refreshing at the token URL. For an explicit refresh
    /// endpoint use [`PasswordGrant::refresh`] with [`new`](Self::new).
    pub fn password(
        token_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Self {
        Self::new(token_url, PasswordGrant::new(username, password))
    }

    /// The refresh-token grant (RFC 6749 §6) at `refresh_url`.
    pub fn refresh_token(
        refresh_url: impl Into<String>,
        refresh_token: impl Into<SecretString>,
    ) -> Self {
        Self::new(refresh_url, RefreshTokenGrant::new(refresh_token))
    }

    /// The jwt-bearer grant (RFC 7523 §2.1).
    pub fn jwt_bearer(token_url: impl Into<String>, assertion: Assertion) -> Self {
        Self::new(token_url, JwtBearerGrant::new(assertion))
    }

    /// The token exchange grant (RFC 8693), for a public client unless
    /// [`client_auth`](Self::client_auth) says otherwise.
    pub fn token_exchange(token_url: impl Into<String>, grant: TokenExchangeGrant) -> Self {
        Self::new(token_url, grant)
    }

    /// How the client authenticates at the token endpoint (default: a public client that sends
    /// no `client_id`).
    #[must_use]
    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = client_auth;
        self
    }

    /// `scope`, sent space-joined.
    #[must_use]
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The lifetime assumed when a response has no `expires_in` (default 3600 s; at most
    /// [`MAX_TOKEN_LIFETIME`]).
    #[must_use]
    pub fn default_token_exp_time(mut self, lifetime: Duration) -> Self {
        self.default_token_exp_time = lifetime;
        self
    }

    /// How long before its expiry a token is treated as expired (default 0 s), clamped to half
    /// the token's lifetime.
    #[must_use]
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Adds a form parameter to every token request (name and value trimmed of surrounding
    /// whitespace, as Ballerina does).
    #[must_use]
    pub fn optional_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.optional_params.push((name.into(), value.into()));
        self
    }

    /// Adds a header to every token request; an `Authorization` here replaces the client
    /// credential header.
    #[must_use]
    pub fn custom_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_headers.push((name.into(), value.into()));
        self
    }

    /// Form text (`a=1&b=2`) appended to every token request body.
    #[must_use]
    pub fn custom_payload(mut self, payload: impl Into<String>) -> Self {
        self.custom_payload = Some(payload.into());
        self
    }

    /// Allows `http://` token URLs to hosts other than loopback (default `false`).
    #[must_use]
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Asks for DPoP-bound tokens (RFC 9449): every token request carries a proof signed by
    /// `key`, and a token the server issues as `token_type: DPoP` goes with a fresh proof on
    /// each request (`auth-http` attaches it). A server nonce (`use_dpop_nonce`) is answered
    /// with one retry. A `Bearer` token from a server that ignores DPoP is used as Bearer.
    #[cfg(feature = "dpop")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
    #[must_use]
    pub fn dpop(mut self, key: impl Into<std::sync::Arc<auth_jwt_issuer::DpopKey>>) -> Self {
        self.dpop = Some(key.into());
        self
    }

    /// The token URL (the refresh URL for the refresh-token grant).
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The grant.
    pub fn grant(&self) -> &Grant {
        &self.grant
    }

    /// How the client authenticates.
    pub fn client_authentication(&self) -> &ClientAuth {
        &self.client_auth
    }

    /// The grant's `grant_type` name for the first request.
    pub fn grant_name(&self) -> &'static str {
        self.grant.name()
    }
}

impl OAuth2Config {
    #[cfg(feature = "dpop")]
    fn dpop_thumbprint(&self) -> Option<&str> {
        self.dpop
            .as_deref()
            .map(auth_jwt_issuer::DpopKey::thumbprint)
    }

    #[cfg(not(feature = "dpop"))]
    fn dpop_thumbprint(&self) -> Option<&str> {
        None
    }
}

impl fmt::Debug for OAuth2Config {
    /// Header values and the payload can carry API keys: only the header names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self
            .custom_headers
            .iter()
            .map(|(name, _)| name.as_str())
            .collect();
        f.debug_struct("OAuth2Config")
            .field("token_url", &shown_url(&self.token_url))
            .field("discover", &self.discover)
            .field("grant", &self.grant)
            .field("client_auth", &self.client_auth)
            .field("scopes", &self.scopes)
            .field("default_token_exp_time", &self.default_token_exp_time)
            .field("clock_skew", &self.clock_skew)
            .field("custom_headers", &header_names)
            .field("dpop", &self.dpop_thumbprint())
            .field(
                "custom_payload",
                &self.custom_payload.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// Where and how the password grant refreshes (Ballerina's `RefreshConfig`). Without one, the
/// refresh goes to the token URL with every setting of the token request but its scopes.
#[derive(Clone)]
pub struct RefreshConfig {
    pub(crate) refresh_url: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) optional_params: Vec<(String, String)>,
    pub(crate) custom_headers: Vec<(String, String)>,
    pub(crate) custom_payload: Option<String>,
    pub(crate) client_auth: Option<ClientAuth>,
}

impl RefreshConfig {
    /// Refresh at `refresh_url`: no scopes (the original scope, RFC 6749 §6), no extra
    /// parameters, headers or payload, and the token request's client authentication.
    pub fn new(refresh_url: impl Into<String>) -> Self {
        Self {
            refresh_url: refresh_url.into(),
            scopes: Vec::new(),
            optional_params: Vec::new(),
            custom_headers: Vec::new(),
            custom_payload: None,
            client_auth: None,
        }
    }

    /// `scope` for refresh requests.
    #[must_use]
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Adds a form parameter to refresh requests (name and value trimmed of surrounding
    /// whitespace).
    #[must_use]
    pub fn optional_param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.optional_params.push((name.into(), value.into()));
        self
    }

    /// Adds a header to refresh requests.
    #[must_use]
    pub fn custom_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_headers.push((name.into(), value.into()));
        self
    }

    /// Form text appended to refresh request bodies.
    #[must_use]
    pub fn custom_payload(mut self, payload: impl Into<String>) -> Self {
        self.custom_payload = Some(payload.into());
        self
    }

    /// Authenticates refresh requests differently from token requests (Ballerina's
    /// `refreshConfig.credentialBearer`).
    #[must_use]
    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = Some(client_auth);
        self
    }

    /// The refresh URL.
    pub fn refresh_url(&self) -> &str {
        &self.refresh_url
    }
}

impl fmt::Debug for RefreshConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshConfig")
            .field("refresh_url", &shown_url(&self.refresh_url))
            .field("scopes", &self.scopes)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}
