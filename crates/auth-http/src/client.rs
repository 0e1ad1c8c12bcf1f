//! A reqwest client that authenticates every request and replays once on rejection.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthProvider, SharedAuthProvider};
use http::{HeaderMap, HeaderName, HeaderValue, Method};

use crate::error::Result;
use crate::rejection::ReplayPolicy;
use crate::replay;

/// A [`reqwest::Client`] that puts a provider's credential on every request.
///
/// On `401` (and whatever else the [`ReplayPolicy`] says) from the origin the credential was
/// sent to, it calls [`invalidate`](AuthProvider::invalidate) with exactly the rejected
/// credential, gets a fresh one and sends the request once more. A request whose body is a
/// stream cannot be sent twice: its rejection is returned as it came. There is never more than
/// one replay.
///
/// The `Authorization` header is dropped when a redirect leaves the origin (scheme, host and
/// port), as reqwest does for sensitive headers; a `401` from that other origin is therefore
/// returned as it came, and the credential kept. Only the final URL of a redirect chain can be
/// seen, so a chain that leaves the origin and comes back (A → B → A) ends at the credential's
/// origin without the header: a `401` there is taken as a rejection, which costs one needless
/// invalidation and one replay, never more.
///
/// ```no_run
/// # async fn example() -> Result<(), auth_http::Error> {
/// use auth_core::Token;
/// use auth_http::AuthClient;
///
/// let client = AuthClient::new(reqwest::Client::new(), Token::bearer("abc")?);
/// let body = client.get("https://api.example/items").send().await?.text().await?;
/// # let _ = body;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AuthClient {
    client: reqwest::Client,
    provider: Arc<dyn AuthProvider>,
    // Shared, so starting a request (which clones the client handle) allocates nothing.
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
    pub fn new(client: reqwest::Client, provider: impl AuthProvider + 'static) -> Self {
        Self::from_shared(client, SharedAuthProvider::new(provider))
    }

    /// As [`new`](Self::new), with a provider already shared.
    pub fn from_shared(client: reqwest::Client, provider: SharedAuthProvider) -> Self {
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

    /// The underlying reqwest client (its requests are not authenticated).
    pub fn inner(&self) -> &reqwest::Client {
        &self.client
    }

    /// Starts a request.
    pub fn request(&self, method: Method, url: impl reqwest::IntoUrl) -> AuthRequestBuilder<'_> {
        // Borrows the client: cloning its shared handles per request would make every request
        // write reference counts that all threads share.
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
    /// [`Error::Auth`](crate::Error::Auth) when the provider fails,
    /// [`Error::Http`](crate::Error::Http) when sending fails.
    pub fn execute(
        &self,
        request: reqwest::Request,
    ) -> impl Future<Output = Result<reqwest::Response>> + Send + '_ {
        replay::send(
            &self.client,
            self.provider.as_ref(),
            &self.policy,
            Ok(request),
        )
    }
}

/// A request being built for an [`AuthClient`]; [`send`](Self::send) authenticates it.
#[must_use]
pub struct AuthRequestBuilder<'a> {
    client: &'a AuthClient,
    builder: reqwest::RequestBuilder,
}

impl fmt::Debug for AuthRequestBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthRequestBuilder").finish_non_exhaustive()
    }
}

impl<'a> AuthRequestBuilder<'a> {
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

    /// Sets the body. Bytes and strings can be replayed after a rejection; a stream cannot.
    pub fn body(mut self, body: impl Into<reqwest::Body>) -> Self {
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
        f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Self {
        self.builder = f(self.builder);
        self
    }

    /// Authenticates and sends the request, replaying once on rejection.
    ///
    /// # Errors
    ///
    /// [`Error::Build`](crate::Error::Build) for an invalid request,
    /// [`Error::Auth`](crate::Error::Auth) when the provider fails,
    /// [`Error::Http`](crate::Error::Http) when sending fails.
    pub fn send(self) -> impl Future<Output = Result<reqwest::Response>> + Send + 'a {
        // Built before the future is made, so the future does not carry the builder.
        let client = self.client;
        let built = self.builder.build();
        replay::send(
            &client.client,
            client.provider.as_ref(),
            &client.policy,
            built,
        )
    }
}
