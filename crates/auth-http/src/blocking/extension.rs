//! Adding authentication to a blocking request builder.

use auth_core::{AuthProvider, Token};
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::Result;

/// Adds authentication to a [`reqwest::blocking::RequestBuilder`].
///
/// ```no_run
/// # fn example(provider: &dyn auth_core::AuthProvider) -> Result<(), auth_http::Error> {
/// use auth_http::blocking::RequestBuilderExt;
///
/// let response = reqwest::blocking::Client::new()
///     .get("https://api.example/items")
///     .authorize(provider)?
///     .send()?;
/// # let _ = response;
/// # Ok(())
/// # }
/// ```
///
/// This sets the header once; it does not replay on 401. Use
/// [`AuthClient`](super::AuthClient) for that.
pub trait RequestBuilderExt: Sized {
    /// Sets `Authorization` from `provider`, marked sensitive, replacing any existing value.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`](crate::Error::Auth) when the provider fails.
    fn authorize(self, provider: &dyn AuthProvider) -> Result<Self>;

    /// Sets `Authorization` from a token already at hand.
    #[must_use]
    fn authorize_with(self, token: &Token) -> Self;
}

impl RequestBuilderExt for reqwest::blocking::RequestBuilder {
    fn authorize(self, provider: &dyn AuthProvider) -> Result<Self> {
        let token = super::driver::credential(provider)?;
        Ok(self.authorize_with(&token))
    }

    fn authorize_with(self, token: &Token) -> Self {
        // `headers()` replaces values of the names it carries, so an earlier Authorization goes.
        let mut headers = HeaderMap::with_capacity(1);
        headers.insert(AUTHORIZATION, token.header_value().clone());
        self.headers(headers)
    }
}
