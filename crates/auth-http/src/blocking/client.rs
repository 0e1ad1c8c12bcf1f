//! A blocking reqwest client that authenticates every request and replays once on rejection.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthProvider, SharedAuthProvider};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::driver::credential;
use crate::credential::put_credential;
use crate::error::{Error, Result, redact_url};
use crate::rejection::ReplayPolicy;
use crate::replay::{Answer, rejected};

/// A [`reqwest::blocking::Client`] that puts a provider's credential on every request.
///
/// The rules are the async [`AuthClient`](crate::AuthClient)'s: on `401` (and whatever else the
/// [`ReplayPolicy`] says) from the origin the credential was sent to, the provider drops
/// exactly that credential and the request is sent once more with a fresh one, unless its body
/// is a reader, which cannot be sent twice.
#[derive(Clone)]
pub struct AuthClient {
    client: reqwest::blocking::Client,
    provider: Arc<dyn AuthProvider>,
    policy: Arc<ReplayPolicy>,
}

impl fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthClient")
            .field("provider", &self.provider)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// Authenticates `client`'s requests with `provider`.
    pub fn new(client: reqwest::blocking::Client, provider: impl AuthProvider + 'static) -> Self {
        Self::from_shared(client, SharedAuthProvider::new(provider))
    }

    /// As [`new`](Self::new), with a provider already shared.
    pub fn from_shared(client: reqwest::blocking::Client, provider: SharedAuthProvider) -> Self {
        Self {
            client,
            provider: Arc::clone(provider.as_arc()),
            policy: Arc::new(ReplayPolicy::default()),
        }
    }

    /// Replaces the replay policy.
    #[must_use]
    pub fn with_replay_policy(mut self, policy: ReplayPolicy) -> Self {
        self.policy = Arc::new(policy);
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn AuthProvider> {
        &self.provider
    }

    /// The underlying client (its requests are not authenticated).
    pub fn inner(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// Starts a request.
    pub fn request(&self, method: Method, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        AuthRequestBuilder {
            client: self,
            builder: self.client.request(method, url),
        }
    }

    /// Starts a GET.
    pub fn get(&self, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        self.request(Method::GET, url)
    }

    /// Starts a POST.
    pub fn post(&self, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        self.request(Method::POST, url)
    }

    /// Starts a PUT.
    pub fn put(&self, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        self.request(Method::PUT, url)
    }

    /// Starts a DELETE.
    pub fn delete(&self, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        self.request(Method::DELETE, url)
    }

    /// Sends a request built elsewhere, authenticated, with replay.
    ///
    /// # Errors
    ///
    /// [`Error::Auth`] when the provider fails, [`Error::Http`] when sending fails.
    pub fn execute(
        &self,
        mut request: reqwest::blocking::Request,
    ) -> Result<reqwest::blocking::Response> {
        let token = credential(self.provider.as_ref())?;
        // A copy to send again: after a rejection, or with a new proof for a DPoP nonce.
        let copy = if self.policy.is_enabled() || token.proof().is_some() {
            request.try_clone()
        } else {
            None
        };
        let sent_to = self.policy.is_enabled().then(|| request.url().clone());
        authorize(&mut request, &token)?;
        let mut response = self.client.execute(request)?;
        if asks_for_new_proof(&token, &response)
            && let Some(mut again) = copy
                .as_ref()
                .and_then(reqwest::blocking::Request::try_clone)
        {
            drop(response);
            authorize(&mut again, &token)?;
            response = self.client.execute(again)?;
            asks_for_new_proof(&token, &response);
        }
        let Some(sent_to) = sent_to else {
            return Ok(response);
        };
        let answer = Answer {
            status: response.status(),
            headers: response.headers(),
            url: response.url(),
        };
        let policy = self.policy.as_ref();
        let provider = self.provider.as_ref();
        if !rejected(provider, policy, &token, &sent_to, &answer, copy.is_some()) {
            return Ok(response);
        }
        let Some(mut again) = copy else {
            return Ok(response);
        };
        let fresh = credential(provider)?;
        if fresh.same_credential(&token) {
            // Nothing newer (a static credential): the same would be refused the same way.
            return Ok(response);
        }
        drop(response);
        authorize(&mut again, &fresh)?;
        let response = self.client.execute(again)?;
        asks_for_new_proof(&fresh, &response);
        Ok(response)
    }
}

pub(crate) fn authorize(
    request: &mut reqwest::blocking::Request,
    token: &auth_core::Token,
) -> auth_core::Result<()> {
    let proof = token.proof_header(request.method().as_str(), request.url().as_str())?;
    put_credential(request.headers_mut(), token, proof);
    Ok(())
}

/// Shows the response to a bound token's proof maker (it keeps the server's nonce); `true`
/// when the server wants the request again with a new proof.
fn asks_for_new_proof(token: &auth_core::Token, response: &reqwest::blocking::Response) -> bool {
    token.observe_response(
        response.url().as_str(),
        response.status().as_u16(),
        response.headers(),
    )
}

/// A request being built for a blocking [`AuthClient`]; [`send`](Self::send) authenticates it.
#[must_use]
pub struct AuthRequestBuilder<'a> {
    client: &'a AuthClient,
    builder: reqwest::blocking::RequestBuilder,
}

impl fmt::Debug for AuthRequestBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequestBuilder").finish_non_exhaustive()
    }
}

impl AuthRequestBuilder<'_> {
    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// Adds headers.
    pub fn headers(mut self, headers: HeaderMap) -> Self {
        self.builder = self.builder.headers(headers);
        self
    }

    /// Sets the body. Bytes and strings can be replayed after a rejection; a reader cannot.
    pub fn body(mut self, body: impl Into<reqwest::blocking::Body>) -> Self {
        self.builder = self.builder.body(body);
        self
    }

    /// Sets a timeout for this request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.builder = self.builder.timeout(timeout);
        self
    }

    /// Applies anything else reqwest's builder offers.
    pub fn with(
        mut self,
        f: impl FnOnce(reqwest::blocking::RequestBuilder) -> reqwest::blocking::RequestBuilder,
    ) -> Self {
        self.builder = f(self.builder);
        self
    }

    /// Authenticates and sends the request, replaying once on rejection.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for an invalid request, [`Error::Auth`] when the provider fails,
    /// [`Error::Http`] when sending fails.
    pub fn send(self) -> Result<reqwest::blocking::Response> {
        let request = self
            .builder
            .build()
            .map_err(|e| Error::Build(redact_url(e)))?;
        self.client.execute(request)
    }
}
