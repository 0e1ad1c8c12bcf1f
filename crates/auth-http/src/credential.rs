//! Getting a provider's credential and putting it on a request.

use auth_core::{AuthProvider, Token};
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::Result;

/// Sets `Authorization` from `token` on `request`, replacing any value already there. The
/// value is the token's precomputed, sensitive header value (a reference-count bump). A
/// DPoP-bound token also gets its `DPoP` proof, made for this request's method and URL.
///
/// # Errors
///
/// When a bound token's proof cannot be signed; the request must then not be sent.
pub fn authorize(request: &mut reqwest::Request, token: &Token) -> auth_core::Result<()> {
    // `None` at once for a token that is not bound: nothing is copied or allocated.
    let proof = token.proof_header(request.method().as_str(), request.url().as_str())?;
    put_credential(request.headers_mut(), token, proof);
    Ok(())
}

/// Puts `token`'s `Authorization` value on `headers`, and `proof`, the header a bound (DPoP)
/// token's request needs, when there is one.
pub(crate) fn put_credential(
    headers: &mut HeaderMap,
    token: &Token,
    proof: Option<(http::HeaderName, http::HeaderValue)>,
) {
    headers.insert(AUTHORIZATION, token.header_value().clone());
    if let Some((name, value)) = proof {
        headers.insert(name, value);
    }
}

/// The `Authorization` header alone, for a request builder's `headers()` (which replaces the
/// values of the names it carries, so an earlier Authorization goes).
pub(crate) fn authorization_only(token: &Token) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(1);
    headers.insert(AUTHORIZATION, token.header_value().clone());
    headers
}

pub(crate) async fn credential(provider: &dyn AuthProvider) -> auth_core::Result<Token> {
    match provider.token_now() {
        Some(token) => Ok(token),
        None => provider.token().await,
    }
}

/// Adds authentication to a [`reqwest::RequestBuilder`].
///
/// ```no_run
/// # async fn example(provider: &dyn auth_core::AuthProvider) -> Result<(), auth_http::Error> {
/// use auth_http::RequestBuilderExt;
///
/// let response = reqwest::Client::new()
///     .get("https://api.example/items")
///     .authorize(provider)
///     .await?
///     .send()
///     .await?;
/// # let _ = response;
/// # Ok(())
/// # }
/// ```
///
/// This sets the header once; it does not replay on 401. Use
/// [`AuthClient`](crate::AuthClient) or `AuthMiddleware` for that.
#[async_trait::async_trait]
pub trait RequestBuilderExt: Sized {
    /// Sets `Authorization` from `provider`, marked sensitive, replacing any existing value.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`](crate::Error::Auth) when the provider fails.
    async fn authorize(self, provider: &(dyn AuthProvider + '_)) -> Result<Self>;

    /// Sets `Authorization` from a token already at hand, and the proof a DPoP-bound token
    /// needs, made for this request's method and URL. Nothing sees the response here: show it
    /// to [`Token::observe_response`](auth_core::Token::observe_response) to keep the server's
    /// DPoP nonce for the next proof.
    ///
    /// # Errors
    ///
    /// [`Error::Build`](crate::Error::Build) when a bound token's request cannot be built to
    /// learn its URL; [`Error::Auth`](crate::Error::Auth) when its proof cannot be signed.
    fn authorize_with(self, token: &Token) -> Result<Self>;
}

#[async_trait::async_trait]
impl RequestBuilderExt for reqwest::RequestBuilder {
    async fn authorize(self, provider: &(dyn AuthProvider + '_)) -> Result<Self> {
        let token = credential(provider).await?;
        self.authorize_with(&token)
    }

    fn authorize_with(self, token: &Token) -> Result<Self> {
        if token.proof().is_none() {
            return Ok(self.headers(authorization_only(token)));
        }
        // A proof names the request's method and URL: build it to learn them.
        let (client, request) = self.build_split();
        let mut request =
            request.map_err(|error| crate::Error::Build(crate::error::redact_url(error)))?;
        authorize(&mut request, token)?;
        Ok(reqwest::RequestBuilder::from_parts(client, request))
    }
}
