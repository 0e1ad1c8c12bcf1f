//! The one replay: on a rejection from the origin the credential was sent to, invalidate
//! exactly that credential and, if the body can be sent again, send the request once more
//! with a fresh one.

use std::future::Future;

use auth_core::{AuthProvider, Token};

use crate::credential::{authorize, credential};
use crate::error::{Error, Result, redact_url};
use crate::rejection::{ReplayPolicy, same_origin};

/// What is kept of a request to judge its response by. Boxed, so the future of a request stays
/// small: it is moved as it is polled, and a large one costs copies on every request.
pub(crate) enum Kept {
    /// Replay is off: every response is handed on as it came.
    Nothing,
    /// The body is a stream, which cannot be sent twice: only where the credential went.
    Url(Box<reqwest::Url>),
    /// A copy to send again (its URL is where the credential went).
    Request(Box<reqwest::Request>),
}

impl Kept {
    /// Keeps what judging the response to `request` will need; nothing when replay is off and
    /// `token` is not bound, so a request pays for a copy only when a second send could follow
    /// (a replay, or a new DPoP proof for a server's nonce).
    pub(crate) fn of(policy: &ReplayPolicy, request: &reqwest::Request, token: &Token) -> Self {
        if !policy.is_enabled() && token.proof().is_none() {
            return Self::Nothing;
        }
        match request.try_clone() {
            Some(copy) => Self::Request(Box::new(copy)),
            None => Self::Url(Box::new(request.url().clone())),
        }
    }
}

/// Judges `response` to a request that carried `token`: a rejection from the origin the token
/// was sent to invalidates it, and hands back the copy to send again when one was kept.
pub(crate) fn judge(
    provider: &dyn AuthProvider,
    policy: &ReplayPolicy,
    token: &Token,
    kept: Kept,
    response: &reqwest::Response,
) -> Option<Box<reqwest::Request>> {
    let sent_to = match &kept {
        Kept::Nothing => return None,
        Kept::Url(url) => url,
        Kept::Request(copy) => copy.url(),
    };
    let answer = Answer {
        status: response.status(),
        headers: response.headers(),
        url: response.url(),
    };
    let can_replay = matches!(kept, Kept::Request(_));
    if !rejected(provider, policy, token, sent_to, &answer, can_replay) {
        return None;
    }
    match kept {
        Kept::Request(again) => Some(again),
        Kept::Nothing | Kept::Url(_) => None,
    }
}

/// What judging a response needs of it, whichever reqwest client (async or blocking) got it.
pub(crate) struct Answer<'a> {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: &'a http::HeaderMap,
    /// Where the response came from, after any redirects.
    pub(crate) url: &'a reqwest::Url,
}

/// Whether `answer`, to a request whose `token` was sent to `sent_to`, rejects that token; if
/// so, the token is invalidated. `can_replay` only decides what the log says.
pub(crate) fn rejected(
    provider: &dyn AuthProvider,
    policy: &ReplayPolicy,
    token: &Token,
    sent_to: &reqwest::Url,
    answer: &Answer<'_>,
    can_replay: bool,
) -> bool {
    let status = answer.status.as_u16();
    if !policy.rejects(answer.status, answer.headers) {
        return false;
    }
    if token.proof().is_some() && sent_to != answer.url {
        // A proof names one URL: after a redirect the server refused the proof, not the token.
        tracing::debug!(
            target: "auth_http",
            status,
            "a DPoP-bound token's request was redirected, and its proof named the first URL; \
             the token is kept (send such requests without following redirects)"
        );
        return false;
    }
    if !same_origin(sent_to, answer.url) {
        tracing::debug!(
            target: "auth_http",
            status,
            "a rejection from another origin after a redirect, where the credential was not \
             sent; the credential is kept"
        );
        return false;
    }
    provider.invalidate(token);
    if can_replay {
        tracing::debug!(
            target: "auth_http",
            status,
            "credential rejected; the request is replayed once if the provider has a fresh one"
        );
    } else {
        tracing::debug!(
            target: "auth_http",
            status,
            "credential rejected; the body is a stream, so the request is not replayed"
        );
    }
    true
}

/// Sends `request` with a credential from `provider`, replaying once on a rejection.
///
/// A credential at hand (`token_now`) goes on the request before the future is made, so the
/// future holds only what it awaits with; the request itself is kept (boxed) only while a
/// credential is fetched.
pub(crate) fn send<'a>(
    client: &'a reqwest::Client,
    provider: &'a dyn AuthProvider,
    policy: &'a ReplayPolicy,
    built: reqwest::Result<reqwest::Request>,
) -> impl Future<Output = Result<reqwest::Response>> + Send + 'a {
    let start = built.map(|request| match provider.token_now() {
        Some(token) => Ok(dispatch(client, policy, token, request)),
        None => Err(Box::new(request)),
    });
    async move {
        let (token, kept, sending) = match start {
            Ok(Ok(sent)) => sent?,
            Ok(Err(request)) => dispatch(client, policy, provider.token().await?, *request)?,
            Err(error) => return Err(Error::Build(redact_url(error))),
        };
        // `?` turns a reqwest error into ours, without the URL's query or user info.
        let mut response = sending.await?;
        if let Some(mut again) = nonce_retry(&token, &kept, &response) {
            drop(response);
            authorize(&mut again, &token)?;
            response = client.execute(again).await?;
            asks_for_new_proof(&token, &response);
        }
        let Some(mut again) = judge(provider, policy, &token, kept, &response) else {
            return Ok(response);
        };
        let fresh = credential(provider).await?;
        if fresh.same_credential(&token) {
            // Nothing newer (a static credential): the same would be refused the same way.
            return Ok(response);
        }
        // The rejection's body is dropped unread: the replay's response replaces it.
        drop(response);
        authorize(&mut again, &fresh)?;
        let response = client.execute(*again).await?;
        asks_for_new_proof(&fresh, &response);
        Ok(response)
    }
}

/// Shows the response to a bound token's proof maker (it keeps the server's nonce); `true`
/// when the server wants the request again with a new proof (RFC 9449 §9).
pub(crate) fn asks_for_new_proof(token: &Token, response: &reqwest::Response) -> bool {
    token.observe_response(
        response.url().as_str(),
        response.status().as_u16(),
        response.headers(),
    )
}

/// The request to send once more, with a new proof and the same token, when the server asked
/// for a DPoP nonce and the request can be sent again.
pub(crate) fn nonce_retry(
    token: &Token,
    kept: &Kept,
    response: &reqwest::Response,
) -> Option<reqwest::Request> {
    if !asks_for_new_proof(token, response) {
        return None;
    }
    match kept {
        Kept::Request(copy) => copy.try_clone(),
        Kept::Nothing | Kept::Url(_) => None,
    }
}

/// Puts `token` on `request` (keeping what a replay needs) and starts sending it.
fn dispatch(
    client: &reqwest::Client,
    policy: &ReplayPolicy,
    token: Token,
    mut request: reqwest::Request,
) -> auth_core::Result<(
    Token,
    Kept,
    impl Future<Output = reqwest::Result<reqwest::Response>> + Send + use<>,
)> {
    let kept = Kept::of(policy, &request, &token);
    authorize(&mut request, &token)?;
    Ok((token, kept, client.execute(request)))
}
