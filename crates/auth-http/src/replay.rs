//! The one replay: on a rejection from the origin the credential was sent to, invalidate
//! exactly that credential and, if the body can be sent again, send the request once more
//! with a fresh one.

use std::sync::Arc;

use auth_core::{AuthProvider, Token};

use crate::credential::{authorize, credential};
use crate::error::{Result, redact_url};
use crate::rejection::ReplayPolicy;

/// The copy of `request` kept for a replay: `None` when replay is off, or when the body is a
/// stream, which cannot be sent twice.
pub(crate) fn spare(policy: &ReplayPolicy, request: &reqwest::Request) -> Option<reqwest::Request> {
    if policy.is_enabled() {
        request.try_clone()
    } else {
        None
    }
}

/// What to do with a response to a request that carried `token`.
pub(crate) enum Verdict {
    /// Hand it to the caller.
    Keep(reqwest::Response),
    /// The credential was rejected and invalidated: send `again` with a fresh one.
    Replay(reqwest::Request),
}

/// Judges `response` to a request that carried `token` to `sent_to`: a rejection invalidates
/// the token and asks for a replay when a spare copy of the request exists.
pub(crate) fn judge(
    provider: &dyn AuthProvider,
    policy: &ReplayPolicy,
    sent_to: &reqwest::Url,
    token: &Token,
    spare: Option<reqwest::Request>,
    response: reqwest::Response,
) -> Verdict {
    if !policy.is_rejection(sent_to, &response) {
        if policy.is_enabled() && !crate::rejection::same_origin(sent_to, response.url()) {
            tracing::debug!(
                target: "auth_http",
                status = response.status().as_u16(),
                "the response came from another origin after a redirect, where the credential \
                 was not sent; it is not a rejection"
            );
        }
        return Verdict::Keep(response);
    }
    provider.invalidate(token);
    let Some(again) = spare else {
        tracing::debug!(
            target: "auth_http",
            status = response.status().as_u16(),
            "credential rejected; the body is a stream, so the request is not replayed"
        );
        return Verdict::Keep(response);
    };
    tracing::debug!(
        target: "auth_http",
        status = response.status().as_u16(),
        "credential rejected; replaying once with a fresh one"
    );
    Verdict::Replay(again)
}

/// Sends `request` with a credential from `provider`, replaying once on a rejection.
pub(crate) async fn send(
    client: &reqwest::Client,
    provider: &Arc<dyn AuthProvider>,
    policy: &ReplayPolicy,
    mut request: reqwest::Request,
) -> Result<reqwest::Response> {
    let token = credential(provider.as_ref()).await?;
    let spare = spare(policy, &request);
    let sent_to = request.url().clone();
    authorize(&mut request, &token);
    let response = client.execute(request).await.map_err(redact_url)?;
    match judge(provider.as_ref(), policy, &sent_to, &token, spare, response) {
        Verdict::Keep(response) => Ok(response),
        Verdict::Replay(mut again) => {
            let fresh = credential(provider.as_ref()).await?;
            authorize(&mut again, &fresh);
            Ok(client.execute(again).await.map_err(redact_url)?)
        }
    }
}
