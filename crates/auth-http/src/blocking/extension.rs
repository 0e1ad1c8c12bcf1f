//! Adding authentication to a blocking request builder.

use auth_core::{AuthProvider, Token};

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

impl RequestBuilderExt for reqwest::blocking::RequestBuilder {
    fn authorize(self, provider: &dyn AuthProvider) -> Result<Self> {
        let token = super::driver::credential(provider)?;
        self.authorize_with(&token)
    }

    fn authorize_with(self, token: &Token) -> Result<Self> {
        if token.proof().is_none() {
            return Ok(self.headers(crate::credential::authorization_only(token)));
        }
        // A proof names the request's method and URL: build it to learn them.
        let (client, request) = self.build_split();
        let mut request =
            request.map_err(|error| crate::Error::Build(crate::error::redact_url(error)))?;
        super::client::authorize(&mut request, token)?;
        Ok(reqwest::blocking::RequestBuilder::from_parts(
            client, request,
        ))
    }
}
