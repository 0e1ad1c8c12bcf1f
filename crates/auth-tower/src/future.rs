//! The response future: send with a credential, and on a rejection replay once.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use auth_core::Token;
use auth_core::rejection::ReplayPolicy;
use http::header::AUTHORIZATION;
use http::{Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::BoxError;
use crate::body::ReplayBody;
use crate::layer::Shared;
use crate::origin::SentTo;

/// A credential being fetched: boxed, as `AuthProvider::token` is; only when the provider has
/// none at hand, never on the cached path.
type TokenFuture = Pin<Box<dyn Future<Output = auth_core::Result<Token>> + Send>>;

/// Sets `Authorization` from `token`, replacing any value there: the token's precomputed,
/// sensitive header value (a reference-count bump, no copy of the secret).
pub(crate) fn authorize<B>(request: &mut Request<B>, token: &Token) {
    request
        .headers_mut()
        .insert(AUTHORIZATION, token.header_value().clone());
}

/// What is kept of a request, while replay is on, to judge its response by.
pub(crate) struct Kept<B> {
    sent_to: SentTo,
    /// A copy to send again, made before the credential was put on, when the body can be copied.
    copy: Option<Request<B>>,
}

impl<B: ReplayBody> Kept<B> {
    /// Keeps what judging the response to `request` needs; nothing when replay is off.
    pub(crate) fn of(policy: &ReplayPolicy, request: &Request<B>) -> Option<Self> {
        if !policy.is_enabled() {
            return None;
        }
        let copy = request.body().replay_copy().map(|body| {
            let mut copy = Request::new(body);
            *copy.method_mut() = request.method().clone();
            *copy.uri_mut() = request.uri().clone();
            *copy.version_mut() = request.version();
            *copy.headers_mut() = request.headers().clone();
            *copy.extensions_mut() = request.extensions().clone();
            copy
        });
        Some(Self {
            sent_to: SentTo::of(request.uri()),
            copy,
        })
    }
}

impl<B> Kept<B> {
    /// Whether a copy was kept to send again.
    pub(crate) fn can_replay(&self) -> bool {
        self.copy.is_some()
    }
}

pin_project! {
    /// The future of an [`AuthService`](crate::AuthService) call.
    pub struct ResponseFuture<S, B>
    where
        S: Service<Request<B>>,
    {
        #[pin]
        state: State<S, B>,
        shared: Arc<Shared>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        // Waiting for a credential for `request`, to be sent through `service`.
        Fetching {
            fetch: TokenFuture,
            service: Option<S>,
            request: Option<Request<B>>,
            kept: Option<Kept<B>>,
            replay: bool,
        },
        // Waiting for `service` to take `request`, which carries `token` (none for a replay).
        Readying {
            service: Option<S>,
            request: Option<Request<B>>,
            token: Option<Token>,
            kept: Option<Kept<B>>,
        },
        // The request is on its way with `token`; `spare` sends the replay, if any.
        Sending {
            #[pin]
            future: S::Future,
            token: Option<Token>,
            kept: Option<Kept<B>>,
            spare: Option<S>,
        },
        // The replay is on its way; its response is final.
        Replaying {
            #[pin]
            future: S::Future,
        },
        Done,
    }
}

impl<S, B> ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    /// The request is already on its way with `token`.
    pub(crate) fn sending(
        shared: Arc<Shared>,
        future: S::Future,
        token: Token,
        kept: Option<Kept<B>>,
        spare: Option<S>,
    ) -> Self {
        Self {
            state: State::Sending {
                future,
                token: Some(token),
                kept,
                spare,
            },
            shared,
        }
    }

    /// The request waits for a credential; `service` is ready for it.
    pub(crate) fn fetching(
        shared: Arc<Shared>,
        service: S,
        request: Request<B>,
        kept: Option<Kept<B>>,
    ) -> Self {
        Self {
            state: State::Fetching {
                fetch: fetch(&shared),
                service: Some(service),
                request: Some(request),
                kept,
                replay: false,
            },
            shared,
        }
    }
}

/// Starts fetching a credential from the provider.
fn fetch(shared: &Shared) -> TokenFuture {
    let provider = Arc::clone(&shared.provider);
    Box::pin(async move { provider.token().await })
}

/// The error for a future polled after it completed (a caller's bug; not a panic).
fn polled_after_completion() -> BoxError {
    "auth_tower::ResponseFuture polled after it completed".into()
}

impl<S, B, R> Future for ResponseFuture<S, B>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Error: Into<BoxError>,
{
    type Output = Result<Response<R>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            let next = match this.state.as_mut().project() {
                StateProj::Sending {
                    future,
                    token,
                    kept,
                    spare,
                } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into)?;
                    let (Some(token), Some(kept)) = (token.take(), kept.take()) else {
                        // Replay is off: nothing to judge.
                        this.state.set(State::Done);
                        return Poll::Ready(Ok(response));
                    };
                    let Some(copy) = judge(this.shared, &token, kept, &response) else {
                        this.state.set(State::Done);
                        return Poll::Ready(Ok(response));
                    };
                    let Some(service) = spare.take() else {
                        this.state.set(State::Done);
                        return Poll::Ready(Ok(response));
                    };
                    // The rejection's body is dropped unread: the replay's response replaces it.
                    drop(response);
                    match this.shared.provider.token_now() {
                        Some(fresh) => {
                            let mut copy = copy;
                            authorize(&mut copy, &fresh);
                            State::Readying {
                                service: Some(service),
                                request: Some(copy),
                                token: None,
                                kept: None,
                            }
                        }
                        None => State::Fetching {
                            fetch: fetch(this.shared),
                            service: Some(service),
                            request: Some(copy),
                            kept: None,
                            replay: true,
                        },
                    }
                }
                StateProj::Fetching {
                    fetch,
                    service,
                    request,
                    kept,
                    replay,
                } => {
                    let token = match ready!(fetch.as_mut().poll(cx)) {
                        Ok(token) => token,
                        Err(error) => {
                            this.state.set(State::Done);
                            return Poll::Ready(Err(this.shared.errors.convert(error)));
                        }
                    };
                    let (Some(service), Some(mut request)) = (service.take(), request.take())
                    else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    authorize(&mut request, &token);
                    State::Readying {
                        service: Some(service),
                        request: Some(request),
                        token: (!*replay).then_some(token),
                        kept: kept.take(),
                    }
                }
                StateProj::Readying {
                    service,
                    request,
                    token,
                    kept,
                } => {
                    let Some(ready_service) = service.as_mut() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    if let Err(error) = ready!(ready_service.poll_ready(cx)) {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(error.into()));
                    }
                    let (Some(mut service), Some(request)) = (service.take(), request.take())
                    else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    let future = service.call(request);
                    match token.take() {
                        // The first send: keep the service for a replay if a copy was kept.
                        Some(token) => {
                            let kept = kept.take();
                            let spare = kept
                                .as_ref()
                                .is_some_and(Kept::can_replay)
                                .then_some(service);
                            State::Sending {
                                future,
                                token: Some(token),
                                kept,
                                spare,
                            }
                        }
                        None => State::Replaying { future },
                    }
                }
                StateProj::Replaying { future } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into);
                    this.state.set(State::Done);
                    return Poll::Ready(response);
                }
                StateProj::Done => return Poll::Ready(Err(polled_after_completion())),
            };
            this.state.set(next);
        }
    }
}

/// Judges `response` to a request that carried `token`: a rejection from the origin the token
/// was sent to drops the token, and hands back the copy to replay when one was kept.
fn judge<B, R>(
    shared: &Shared,
    token: &Token,
    kept: Kept<B>,
    response: &Response<R>,
) -> Option<Request<B>> {
    let status = response.status().as_u16();
    if !shared.policy.rejects(response.status(), response.headers()) {
        return None;
    }
    if !kept.sent_to.answered(response.extensions()) {
        tracing::debug!(
            target: "auth_tower",
            status,
            "a rejection from another origin after a redirect, where the credential was not \
             sent; the credential is kept"
        );
        return None;
    }
    shared.provider.invalidate(token);
    if kept.copy.is_none() {
        tracing::debug!(
            target: "auth_tower",
            status,
            "credential rejected and dropped; the body cannot be copied, so the request is not \
             replayed"
        );
    } else {
        tracing::debug!(
            target: "auth_tower",
            status,
            "credential rejected; replaying once with a fresh one"
        );
    }
    kept.copy
}

impl<S, B> fmt::Debug for ResponseFuture<S, B>
where
    S: Service<Request<B>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
