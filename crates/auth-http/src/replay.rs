//! The one replay: on a rejection from the origin the credential was sent to, invalidate
//! exactly that credential and, if the body can be sent again, send the request once more
//! with a fresh one.

use std::sync::Arc;

use auth_core::{AuthProvider, Token};

use crate::credential::{authorize, credential};
use crate::error::Result;
use crate::rejection::{ReplayPolicy, same_origin};

/// What is kept of a request to judge its response by.
pub(crate) enum Kept {
    /// Replay is off: every response is handed on as it came.
    Nothing,
    /// The body is a stream, which cannot be sent twice: only where the credential went.
    Url(reqwest::Url),
    /// A copy to send again (its URL is where the credential went).
    Request(reqwest::Request),
}

impl Kept {
    /// Keeps what judging the response to `request` will need; nothing when replay is off, so
    /// a request pays for a copy only when a replay could follow.
    pub(crate) fn of(policy: &ReplayPolicy, request: &reqwest::Request) -> Self {
        if !policy.is_enabled() {
            return Self::Nothing;
        }
        match request.try_clone() {
            Some(copy) => Self::Request(copy),
            None => Self::Url(request.url().clone()),
        }
    }
}

/// What to do with a response to a request that carried `token`.
pub(crate) enum Verdict {
    /// Hand it to the caller.
    Keep(reqwest::Response),
    /// The credential was rejected and invalidated: send `again` with a fresh one.
    Replay(reqwest::Request),
}

/// Judges `response` to a request that carried `token`: a rejection from the origin the token
/// was sent to invalidates it, and asks for a replay when a copy of the request was kept.
pub(crate) fn judge(
    provider: &dyn AuthProvider,
    policy: &ReplayPolicy,
    token: &Token,
    kept: Kept,
    response: reqwest::Response,
) -> Verdict {
    let sent_to = match &kept {
        Kept::Nothing => return Verdict::Keep(response),
        Kept::Url(url) => url,
        Kept::Request(copy) => copy.url(),
    };
    let answer = Answer {
        status: response.status(),
        headers: response.headers(),
        url: response.url(),
    };
    if !rejected(
        provider,
        policy,
        token,
        sent_to,
        &answer,
        matches!(kept, Kept::Request(_)),
    ) {
        return Verdict::Keep(response);
    }
    match kept {
        Kept::Request(again) => Verdict::Replay(again),
        Kept::Nothing | Kept::Url(_) => Verdict::Keep(response),
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
            "credential rejected; replaying once with a fresh one"
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
pub(crate) async fn send(
    client: &reqwest::Client,
    provider: &Arc<dyn AuthProvider>,
    policy: &ReplayPolicy,
    mut request: reqwest::Request,
) -> Result<reqwest::Response> {
    let token = credential(provider.as_ref()).await?;
    let kept = Kept::of(policy, &request);
    authorize(&mut request, &token);
    // `?` turns a reqwest error into ours, without the URL's query or user info.
    let response = client.execute(request).await?;
    match judge(provider.as_ref(), policy, &token, kept, response) {
        Verdict::Keep(response) => Ok(response),
        Verdict::Replay(mut again) => {
            let fresh = credential(provider.as_ref()).await?;
            authorize(&mut again, &fresh);
            Ok(client.execute(again).await?)
        }
    }
}
