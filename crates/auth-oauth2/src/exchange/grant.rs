//! The token exchange grant's settings, as the builder takes them.

use super::subject::SubjectToken;
use crate::grant::Grant;

/// The token exchange grant (RFC 8693): a subject token, and optionally an actor token,
/// exchanged for an access token at the token endpoint.
///
/// ```
/// use auth_oauth2::{OAuth2Config, SubjectToken, TokenExchangeGrant};
///
/// // A Kubernetes projected service-account token, re-read at every renewal.
/// let grant = TokenExchangeGrant::new(SubjectToken::file(
///     "/var/run/secrets/tokens/idp-token",
/// ))
/// .audience("https://api.example")
/// .resource("https://api.example/orders")
/// .requested_token_type(TokenExchangeGrant::ACCESS_TOKEN_TYPE);
/// let config = OAuth2Config::token_exchange("https://idp.example/oauth2/token", grant)
///     .scopes(["orders:read"]);
/// # let _ = config;
/// ```
///
/// - The subject and actor tokens are read for every token request, so a rotated file, a
///   changed environment variable or a provider's renewed token is what the next renewal
///   sends. Nothing is read when the provider is built.
/// - The issued token is cached and renewed like any other grant's. Renewal runs the exchange
///   again; a refresh token in the response is ignored.
/// - Client authentication is optional: a public client may exchange tokens.
/// - The `issued_token_type` of the response is not enforced: when it differs from
///   [`requested_token_type`](Self::requested_token_type), a warning names both types and
///   the token is used as issued.
/// - With a token store (feature `store`), a subject or actor token read from an environment
///   variable or a file needs `StoreEncryption` keys: nothing in
///   the config tells apart processes that read different subjects there, so the processes
///   given the keys are taken to present the same subject. A subject or actor token from
///   another provider cannot be used with a store at all.
///
/// Its `Debug` shows where the tokens come from, never a token.
#[derive(Clone, Debug)]
pub struct TokenExchangeGrant {
    pub(crate) subject: SubjectToken,
    pub(crate) subject_token_type: String,
    pub(crate) actor: Option<SubjectToken>,
    pub(crate) actor_token_type: Option<String>,
    pub(crate) requested_token_type: Option<String>,
    pub(crate) audiences: Vec<String>,
    pub(crate) resources: Vec<String>,
}

impl TokenExchangeGrant {
    /// The token type of a JWT (RFC 8693 §3), the default `subject_token_type`.
    pub const JWT_TOKEN_TYPE: &'static str = "urn:ietf:params:oauth:token-type:jwt";

    /// The token type of an OAuth 2.0 access token (RFC 8693 §3).
    pub const ACCESS_TOKEN_TYPE: &'static str = "urn:ietf:params:oauth:token-type:access_token";

    /// Exchanges `subject_token`, of type [`JWT_TOKEN_TYPE`](Self::JWT_TOKEN_TYPE) unless
    /// [`subject_token_type`](Self::subject_token_type) says otherwise.
    pub fn new(subject_token: SubjectToken) -> Self {
        Self {
            subject: subject_token,
            subject_token_type: Self::JWT_TOKEN_TYPE.to_owned(),
            actor: None,
            actor_token_type: None,
            requested_token_type: None,
            audiences: Vec::new(),
            resources: Vec::new(),
        }
    }

    /// The `subject_token_type` URN, sent as given (default
    /// [`JWT_TOKEN_TYPE`](Self::JWT_TOKEN_TYPE)).
    #[must_use]
    pub fn subject_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.subject_token_type = token_type.into();
        self
    }

    /// Sends `actor_token` as the party acting for the subject (delegation, RFC 8693 §1.1).
    /// Needs [`actor_token_type`](Self::actor_token_type).
    #[must_use]
    pub fn actor_token(mut self, actor_token: SubjectToken) -> Self {
        self.actor = Some(actor_token);
        self
    }

    /// The `actor_token_type` URN, sent as given; required with an actor token, refused
    /// without one.
    #[must_use]
    pub fn actor_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.actor_token_type = Some(token_type.into());
        self
    }

    /// The `requested_token_type` URN, such as
    /// [`ACCESS_TOKEN_TYPE`](Self::ACCESS_TOKEN_TYPE) (default: none sent, the server
    /// chooses).
    #[must_use]
    pub fn requested_token_type(mut self, token_type: impl Into<String>) -> Self {
        self.requested_token_type = Some(token_type.into());
        self
    }

    /// Adds an `audience`: the logical name of a service the token is for. Each one is sent
    /// as its own parameter.
    #[must_use]
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Adds a `resource`: the absolute URI, without a fragment, of where the token will be
    /// used (RFC 8707). Each one is sent as its own parameter.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resources.push(resource.into());
        self
    }
}

impl From<TokenExchangeGrant> for Grant {
    fn from(grant: TokenExchangeGrant) -> Self {
        Self::TokenExchange(grant)
    }
}
