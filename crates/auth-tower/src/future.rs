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
    /// Boxed, so a future that keeps none stays small (it is moved on every call).
    copy: Option<Box<Request<B>>>,
}

impl<B: ReplayBody> Kept<B> {
    /// Keeps what judging the response to `request` needs; nothing when replay is off.
    pub(crate) fn of(policy: &ReplayPolicy, request: &Request<B>) -> Option<Self> {
        if !policy.is_enabled() {
            return None;
        }
        let copy = request.body().replay_copy().map(|body| {
            // Filled in place, so the copy is not moved into the box after it is made.
            let mut copy = Box::new(Request::new(body));
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

/// A request waiting for a credential or for its service: the rare states, boxed together so
/// the future of a call with a cached credential stays small.
struct Pending<S, B> {
    /// The credential being fetched, if it is not at hand yet.
    fetch: Option<TokenFuture>,
    service: S,
    request: Request<B>,
    /// The credential of a first send (kept to judge its response); `None` for a replay.
    token: Option<Token>,
    kept: Option<Kept<B>>,
    replay: bool,
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        // Waiting for a credential, then for the service to take the request.
        Pending {
            pending: Option<Box<Pending<S, B>>>,
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
        let pending = Pending {
            fetch: Some(fetch(&shared)),
            service,
            request,
            token: None,
            kept,
            replay: false,
        };
        Self {
            state: State::Pending {
                pending: Some(Box::new(pending)),
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
                    let mut pending = Pending {
                        fetch: None,
                        service,
                        request: *copy,
                        token: None,
                        kept: None,
                        replay: true,
                    };
                    match this.shared.provider.token_now() {
                        Some(fresh) => authorize(&mut pending.request, &fresh),
                        None => pending.fetch = Some(fetch(this.shared)),
                    }
                    State::Pending {
                        pending: Some(Box::new(pending)),
                    }
                }
                StateProj::Pending { pending: slot } => {
                    let Some(pending) = slot.as_mut() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    if let Some(fetch) = pending.fetch.as_mut() {
                        let token = match ready!(fetch.as_mut().poll(cx)) {
                            Ok(token) => token,
                            Err(error) => {
                                this.state.set(State::Done);
                                return Poll::Ready(Err(this.shared.errors.convert(error)));
                            }
                        };
                        pending.fetch = None;
                        authorize(&mut pending.request, &token);
                        if !pending.replay {
                            pending.token = Some(token);
                        }
                    }
                    if let Err(error) = ready!(pending.service.poll_ready(cx)) {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(error.into()));
                    }
                    let Some(pending) = slot.take() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    let Pending {
                        mut service,
                        request,
                        token,
                        kept,
                        replay,
                        ..
                    } = *pending;
                    let future = service.call(request);
                    if replay {
                        State::Replaying { future }
                    } else {
                        // The first send: keep the service for a replay if a copy was kept.
                        let spare = kept
                            .as_ref()
                            .is_some_and(Kept::can_replay)
                            .then_some(service);
                        State::Sending {
                            future,
                            token,
                            kept,
                            spare,
                        }
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
) -> Option<Box<Request<B>>> {
    let status = response.status().as_u16();
    let policy = &shared.policy;
    if !(policy.rejects(response.status(), response.headers())
        || policy.rejects_grpc(response.headers()))
    {
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
