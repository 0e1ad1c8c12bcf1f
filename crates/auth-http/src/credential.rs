//! Getting a provider's credential and putting it on a request.

use auth_core::{AuthProvider, Token};
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::Result;

/// Sets `Authorization` from `token` on `request`, replacing any value already there. The
/// value is the token's precomputed, sensitive header value (a reference-count bump).
pub fn authorize(request: &mut reqwest::Request, token: &Token) {
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header_value().clone());
}

/// The credential without waiting when the provider has one at hand (`token_now`), else from
/// `token()`.
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

    /// Sets `Authorization` from a token already at hand.
    #[must_use]
    fn authorize_with(self, token: &Token) -> Self;
}

#[async_trait::async_trait]
impl RequestBuilderExt for reqwest::RequestBuilder {
    async fn authorize(self, provider: &(dyn AuthProvider + '_)) -> Result<Self> {
        let token = credential(provider).await?;
        Ok(self.authorize_with(&token))
    }

    fn authorize_with(self, token: &Token) -> Self {
        // `headers()` replaces values of the names it carries, so an earlier Authorization goes.
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(AUTHORIZATION, token.header_value().clone());
        self.headers(headers)
    }
}
