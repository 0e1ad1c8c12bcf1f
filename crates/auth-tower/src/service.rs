//! `AuthService`: the layer's service.

use std::fmt;
use std::mem;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use crate::BoxError;
use crate::body::ReplayBody;
use crate::future::{Kept, ResponseFuture, authorize};
use crate::layer::Shared;

/// An inner `http::Request` service whose requests carry a provider's credential; made by
/// [`AuthLayer`](crate::AuthLayer).
///
/// `poll_ready` is the inner service's. The service is `Clone` when the inner one is, as a
/// tonic `Channel` and a hyper-util `Client` are.
///
/// # Errors
///
/// The error type is [`BoxError`]: the inner service's error, boxed, or the provider's (see
/// [`AuthLayer::grpc_status_errors`](crate::AuthLayer) for tonic).
pub struct AuthService<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> AuthService<S> {
    pub(crate) fn new(inner: S, shared: Arc<Shared>) -> Self {
        Self { inner, shared }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, without the layer.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone> Clone for AuthService<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AuthService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthService")
            .field("inner", &self.inner)
            .field("provider", &self.shared.provider)
            .field("policy", &self.shared.policy)
            .finish()
    }
}

impl<S, B, R> Service<Request<B>> for AuthService<S>
where
    S: Service<Request<B>, Response = Response<R>> + Clone,
    S::Error: Into<BoxError>,
    B: ReplayBody,
{
    type Response = Response<R>;
    type Error = BoxError;
    type Future = ResponseFuture<S, B>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let Some(token) = self.shared.provider.token_now() else {
            let kept = Kept::of(&self.shared.policy, &request, false);
            // The service made ready goes with the request, which waits for the credential;
            // this handle keeps a clone, to be made ready by the next `poll_ready`.
            let ready = take_ready(&mut self.inner);
            return ResponseFuture::fetching(Arc::clone(&self.shared), ready, request, kept);
        };
        let kept = Kept::of(&self.shared.policy, &request, token.proof().is_some());
        let bound_url = match authorize(&mut request, &token) {
            Ok(url) => url,
            Err(error) => {
                return ResponseFuture::failed(
                    Arc::clone(&self.shared),
                    self.shared.errors.convert(error),
                );
            }
        };
        if kept.as_ref().is_some_and(Kept::can_replay) {
            // A second send needs a service of its own: the one that sent the first request.
            let mut ready = take_ready(&mut self.inner);
            let future = ready.call(request);
            ResponseFuture::sending(
                Arc::clone(&self.shared),
                future,
                token,
                kept,
                Some(ready),
                bound_url,
            )
        } else {
            let future = self.inner.call(request);
            ResponseFuture::sending(
                Arc::clone(&self.shared),
                future,
                token,
                kept,
                None,
                bound_url,
            )
        }
    }
}

fn take_ready<S: Clone>(inner: &mut S) -> S {
    let clone = inner.clone();
    mem::replace(inner, clone)
}
