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
/// Puts `token` on `request`: its `Authorization`, and for a DPoP-bound token a proof made
/// for this request. Returns the request's URL for a bound token, to show the response to the
/// token's proof maker (which keeps the server's nonce).
pub(crate) fn authorize<B>(
    request: &mut Request<B>,
    token: &Token,
) -> auth_core::Result<Option<String>> {
    let (proof, url) = match token.proof() {
        None => (None, None),
        Some(_) => {
            let uri = request.uri();
            if uri.scheme().is_none() || uri.authority().is_none() {
                return Err(auth_core::Error::invalid_config(
                    "a DPoP-bound token's proof names the request's absolute URL, but this \
                     request's URI has no scheme and host (tonic sends relative ones); put the \
                     layer where requests carry absolute URIs (a hyper client's), or ask the \
                     server for Bearer tokens",
                ));
            }
            let url = uri.to_string();
            (
                token.proof_header(request.method().as_str(), &url)?,
                Some(url),
            )
        }
    };
    let headers = request.headers_mut();
    headers.insert(AUTHORIZATION, token.header_value().clone());
    if let Some((name, value)) = proof {
        headers.insert(name, value);
    }
    Ok(url)
}

pub(crate) struct Kept<B> {
    sent_to: SentTo,
    /// A copy to send again, made before the credential was put on, when the body can be copied.
    /// Boxed, so a future that keeps none stays small (it is moved on every call).
    copy: Option<Box<Request<B>>>,
}

impl<B: ReplayBody> Kept<B> {
    /// Keeps what judging the response to `request` needs; nothing when replay is off and the
    /// token is not known to be DPoP-bound (a bound token's request may be sent once more with
    /// a new proof for the server's nonce).
    pub(crate) fn of(policy: &ReplayPolicy, request: &Request<B>, bound: bool) -> Option<Self> {
        if !policy.is_enabled() && !bound {
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

/// Where the credential of a waiting request stands.
enum Credential {
    /// Being fetched from the provider.
    Fetching(TokenFuture),
    /// At hand, not yet put on the request.
    Fetched(Token),
    /// On the request.
    Applied,
}

/// A request waiting for a credential or for its service: the rare states, boxed together so
/// the future of a call with a cached credential stays small.
struct Waiting<S, B>
where
    S: Service<Request<B>>,
{
    credential: Credential,
    service: S,
    request: Request<B>,
    /// The credential of a first send, kept to judge its response.
    token: Option<Token>,
    kept: Option<Kept<B>>,
    /// Whether this is the replay, whose response is final.
    replay: bool,
    /// For a replay: the rejected credential and the rejection, handed back as they came when
    /// the provider has nothing newer (a static credential), since sending the same credential
    /// again would be refused the same way.
    rejected: Option<(Token, S::Response)>,
    /// The bound token put on `request` and its URL, to show the response to.
    bound: Option<(Token, String)>,
}

pin_project! {
    #[project = StateProj]
    enum State<S, B>
    where
        S: Service<Request<B>>,
    {
        // Waiting for a credential, then for the service to take the request.
        Waiting {
            waiting: Option<Box<Waiting<S, B>>>,
        },
        // The request is on its way with `token`; `spare` sends the replay, if any.
        Sending {
            #[pin]
            future: S::Future,
            token: Option<Token>,
            kept: Option<Kept<B>>,
            spare: Option<S>,
            // For a DPoP-bound token: the URL its proof named.
            bound_url: Option<String>,
        },
        // The replay is on its way; its response is final.
        Replaying {
            #[pin]
            future: S::Future,
            bound: Option<(Token, String)>,
        },
        // The credential could not be put on the request (a proof that cannot be made).
        Failed {
            error: Option<BoxError>,
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
        bound_url: Option<String>,
    ) -> Self {
        Self {
            state: State::Sending {
                future,
                token: Some(token),
                kept,
                spare,
                bound_url,
            },
            shared,
        }
    }

    /// The request waits for a credential; `service` is ready for it.
    pub(crate) fn failed(shared: Arc<Shared>, error: BoxError) -> Self {
        Self {
            state: State::Failed { error: Some(error) },
            shared,
        }
    }

    pub(crate) fn fetching(
        shared: Arc<Shared>,
        service: S,
        request: Request<B>,
        kept: Option<Kept<B>>,
    ) -> Self {
        let waiting = Waiting {
            credential: Credential::Fetching(fetch(&shared)),
            service,
            request,
            token: None,
            kept,
            replay: false,
            rejected: None,
            bound: None,
        };
        Self {
            state: State::Waiting {
                waiting: Some(Box::new(waiting)),
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
                    bound_url,
                } => {
                    let response = match ready!(future.poll(cx)) {
                        Ok(response) => response,
                        Err(error) => {
                            this.state.set(State::Done);
                            return Poll::Ready(Err(error.into()));
                        }
                    };
                    if let Some(retry) = nonce_retry(token, kept, spare, bound_url, &response) {
                        // The server wants a new proof with its nonce: the same token once
                        // more, which is the one second send this request gets.
                        drop(response);
                        State::Waiting {
                            waiting: Some(Box::new(retry)),
                        }
                    } else {
                        let judged = match (token.take(), kept.take()) {
                            (Some(token), Some(kept)) => {
                                judge(this.shared, &token, kept, &response)
                                    .map(|copy| (token, copy))
                            }
                            // Replay is off: nothing to judge.
                            _ => None,
                        };
                        let (Some((token, copy)), Some(service)) = (judged, spare.take()) else {
                            this.state.set(State::Done);
                            return Poll::Ready(Ok(response));
                        };
                        let credential = match this.shared.provider.token_now() {
                            Some(fresh) => Credential::Fetched(fresh),
                            None => Credential::Fetching(fetch(this.shared)),
                        };
                        State::Waiting {
                            waiting: Some(Box::new(Waiting {
                                credential,
                                service,
                                request: *copy,
                                token: None,
                                kept: None,
                                replay: true,
                                rejected: Some((token, response)),
                                bound: None,
                            })),
                        }
                    }
                }
                StateProj::Waiting { waiting: slot } => {
                    let Some(waiting) = slot.as_mut() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    let fresh =
                        match std::mem::replace(&mut waiting.credential, Credential::Applied) {
                            Credential::Applied => None,
                            Credential::Fetched(token) => Some(token),
                            Credential::Fetching(mut fetching) => {
                                match fetching.as_mut().poll(cx) {
                                    Poll::Pending => {
                                        waiting.credential = Credential::Fetching(fetching);
                                        return Poll::Pending;
                                    }
                                    Poll::Ready(Ok(token)) => Some(token),
                                    Poll::Ready(Err(error)) => {
                                        this.state.set(State::Done);
                                        return Poll::Ready(Err(this.shared.errors.convert(error)));
                                    }
                                }
                            }
                        };
                    if let Some(fresh) = fresh {
                        if let Some((rejected, response)) = waiting.rejected.take() {
                            if fresh.same_credential(&rejected) {
                                this.state.set(State::Done);
                                return Poll::Ready(Ok(response));
                            }
                            // The rejection's body is dropped unread: the replay's response
                            // replaces it.
                            drop(response);
                        }
                        match authorize(&mut waiting.request, &fresh) {
                            Ok(url) => waiting.bound = url.map(|url| (fresh.clone(), url)),
                            Err(error) => {
                                this.state.set(State::Done);
                                return Poll::Ready(Err(this.shared.errors.convert(error)));
                            }
                        }
                        if !waiting.replay {
                            waiting.token = Some(fresh);
                        }
                    }
                    if let Err(error) = ready!(waiting.service.poll_ready(cx)) {
                        this.state.set(State::Done);
                        return Poll::Ready(Err(error.into()));
                    }
                    let Some(waiting) = slot.take() else {
                        return Poll::Ready(Err(polled_after_completion()));
                    };
                    let Waiting {
                        mut service,
                        request,
                        token,
                        kept,
                        replay,
                        bound,
                        ..
                    } = *waiting;
                    let future = service.call(request);
                    if replay {
                        State::Replaying { future, bound }
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
                            bound_url: bound.map(|(_, url)| url),
                        }
                    }
                }
                StateProj::Replaying { future, bound } => {
                    let response = ready!(future.poll(cx)).map_err(Into::into);
                    // The server's latest nonce is kept from this response too.
                    if let (Ok(response), Some((token, url))) = (&response, bound.take()) {
                        token.observe_response(
                            &url,
                            response.status().as_u16(),
                            response.headers(),
                        );
                    }
                    this.state.set(State::Done);
                    return Poll::Ready(response);
                }
                StateProj::Failed { error } => {
                    let error = error.take().unwrap_or_else(polled_after_completion);
                    this.state.set(State::Done);
                    return Poll::Ready(Err(error));
                }
                StateProj::Done => return Poll::Ready(Err(polled_after_completion())),
            };
            this.state.set(next);
        }
    }
}

/// Judges `response` to a request that carried `token`: a rejection from the origin the token
/// was sent to drops the token, and hands back the copy to replay when one was kept.
/// The second send of a request whose bound token's server asked for a DPoP nonce
/// (RFC 9449 §9), when a copy and a service for it were kept. Every response to a bound token
/// is shown to its proof maker, which keeps the server's latest nonce.
fn nonce_retry<S, B, R>(
    token: &mut Option<Token>,
    kept: &mut Option<Kept<B>>,
    spare: &mut Option<S>,
    bound_url: &Option<String>,
    response: &Response<R>,
) -> Option<Waiting<S, B>>
where
    S: Service<Request<B>>,
{
    let url = bound_url.as_deref()?;
    let asks =
        token
            .as_ref()?
            .observe_response(url, response.status().as_u16(), response.headers());
    if !asks || spare.is_none() || !kept.as_ref().is_some_and(Kept::can_replay) {
        return None;
    }
    let copy = kept.take()?.copy?;
    Some(Waiting {
        credential: Credential::Fetched(token.take()?),
        service: spare.take()?,
        request: *copy,
        token: None,
        kept: None,
        replay: true,
        rejected: None,
        bound: None,
    })
}

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
    if token.proof().is_some() && kept.sent_to.redirected(response.extensions()) {
        // A proof names one URL: after a redirect the server refused the proof, not the token.
        tracing::debug!(
            target: "auth_tower",
            status,
            "a DPoP-bound token's request was redirected, and its proof named the first URL; \
             the token is kept"
        );
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
            "credential rejected; the request is replayed once if the provider has a fresh one"
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
