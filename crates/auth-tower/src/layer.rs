//! `AuthLayer`: wraps any `http::Request` service.

use std::fmt;
use std::sync::Arc;

use auth_core::rejection::ReplayPolicy;
use auth_core::{AuthProvider, SharedAuthProvider};
use tower_layer::Layer;

use crate::errors::ProviderErrors;
use crate::service::AuthService;

/// What every service made by one layer shares: the provider, the replay policy and the form
/// of provider errors. Behind one `Arc`, so cloning a service (which tonic and hyper-util do per
/// call) bumps one count.
#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) provider: Arc<dyn AuthProvider>,
    pub(crate) policy: ReplayPolicy,
    pub(crate) errors: ProviderErrors,
}

/// A [`tower_layer::Layer`] that authenticates every `http::Request` with a provider.
///
/// The service it makes ([`AuthService`]) puts the credential in `Authorization` as a
/// sensitive header: from the provider's cache at once when it answers (`token_now`), else
/// after awaiting `token()`. A rejection (HTTP 401, gRPC `UNAUTHENTICATED` in a trailers-only
/// response, or what the [`ReplayPolicy`] adds) drops exactly the credential that was sent,
/// and the request is replayed once with a fresh one when its body can be copied
/// ([`ReplayBody`](crate::ReplayBody)); the replay's response is final. gRPC bodies are
/// streams and are not replayed.
///
/// With tower-http's `FollowRedirect`, put it inside this layer
/// (`.layer(AuthLayer).layer(FollowRedirectLayer)`), so the credential is put on once, for the
/// first hop, and `FollowRedirect` drops it when a redirect leaves the origin.
///
/// ```
/// use auth_core::Token;
/// use auth_tower::AuthLayer;
/// use tower::ServiceBuilder;
///
/// # fn wrap<S>(client: S) -> auth_tower::AuthService<S> {
/// let layer = AuthLayer::new(Token::bearer("abc").expect("a valid token"));
/// ServiceBuilder::new().layer(layer).service(client)
/// # }
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

impl AuthLayer {
    /// Authenticates requests with `provider`.
    pub fn new(provider: impl AuthProvider + 'static) -> Self {
        Self::from_shared(SharedAuthProvider::new(provider))
    }

    /// As [`new`](Self::new), with a provider already shared.
    pub fn from_shared(provider: SharedAuthProvider) -> Self {
        Self {
            shared: Arc::new(Shared {
                provider: Arc::clone(provider.as_arc()),
                policy: ReplayPolicy::default(),
                errors: ProviderErrors::Boxed,
            }),
        }
    }

    /// Replaces the replay policy; [`ReplayPolicy::never`] also spares the copy of each request
    /// with a copyable body.
    #[must_use]
    pub fn with_replay_policy(mut self, policy: ReplayPolicy) -> Self {
        Arc::make_mut(&mut self.shared).policy = policy;
        self
    }

    /// Reports a provider failure as a `tonic::Status` with code `UNAUTHENTICATED` (its source
    /// is the [`auth_core::Error`]), which a tonic client returns to its caller unchanged.
    /// Without this, a tonic client reports it as `UNKNOWN`.
    #[cfg(feature = "tonic")]
    #[must_use]
    pub fn grpc_status_errors(mut self) -> Self {
        Arc::make_mut(&mut self.shared).errors = ProviderErrors::GrpcStatus;
        self
    }

    /// The provider.
    pub fn provider(&self) -> &Arc<dyn AuthProvider> {
        &self.shared.provider
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService::new(inner, Arc::clone(&self.shared))
    }
}

impl fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthLayer")
            .field("provider", &self.shared.provider)
            .field("policy", &self.shared.policy)
            .field("errors", &self.shared.errors)
            .finish()
    }
}
