//! Which responses mean "this credential was rejected", and the one replay that follows.

use std::sync::Arc;

use auth_core::AuthProvider;
use http::StatusCode;
use http::header::WWW_AUTHENTICATE;

use crate::apply::authorize;
use crate::error::Result;

/// When a response means the credential was rejected, so the provider should drop it and the
/// request be sent once more with a fresh one.
///
/// By default only `401 Unauthorized`. Add `403` for servers that answer an expired bearer
/// token with `403` and `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1):
///
/// ```
/// use auth_http::ReplayPolicy;
/// let policy = ReplayPolicy::default().on_invalid_token_challenge(http::StatusCode::FORBIDDEN);
/// # let _ = policy;
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReplayPolicy {
    statuses: Vec<StatusCode>,
    challenge_statuses: Vec<StatusCode>,
    enabled: bool,
}

impl Default for ReplayPolicy {
    fn default() -> Self {
        Self {
            statuses: vec![StatusCode::UNAUTHORIZED],
            challenge_statuses: Vec::new(),
            enabled: true,
        }
    }
}

impl ReplayPolicy {
    /// Never replay (and never invalidate).
    pub fn never() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Also treat `status` as a rejection.
    #[must_use]
    pub fn on_status(mut self, status: StatusCode) -> Self {
        self.statuses.push(status);
        self
    }

    /// Treat `status` as a rejection when it carries `WWW-Authenticate: Bearer
    /// error="invalid_token"`.
    #[must_use]
    pub fn on_invalid_token_challenge(mut self, status: StatusCode) -> Self {
        self.challenge_statuses.push(status);
        self
    }

    /// Whether `response` rejects the credential.
    pub fn is_rejection(&self, response: &reqwest::Response) -> bool {
        if !self.enabled {
            return false;
        }
        let status = response.status();
        self.statuses.contains(&status)
            || (self.challenge_statuses.contains(&status)
                && response
                    .headers()
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(is_invalid_token_challenge))
    }
}

/// Whether a `WWW-Authenticate` value holds a Bearer challenge with `error="invalid_token"`.
pub fn is_invalid_token_challenge(header: &str) -> bool {
    // Challenges are `scheme param=value, param="value", ...`, possibly several per header.
    let mut in_bearer = false;
    for part in split_outside_quotes(header) {
        let part = part.trim();
        let (first, rest) = part.split_once(' ').unwrap_or((part, ""));
        let param = if first.contains('=') {
            part
        } else {
            // A new challenge starts with its scheme.
            in_bearer = first.eq_ignore_ascii_case("bearer");
            rest.trim()
        };
        if in_bearer
            && let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("error")
            && value.trim().trim_matches('"') == "invalid_token"
        {
            return true;
        }
    }
    false
}

/// Splits at commas that are not inside a quoted string.
fn split_outside_quotes(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The credential without waiting when the provider has one at hand (`token_now`), else from
/// `token()`.
pub(crate) async fn credential(provider: &dyn AuthProvider) -> auth_core::Result<auth_core::Token> {
    match provider.token_now() {
        Some(token) => Ok(token),
        None => provider.token().await,
    }
}

/// The copy of `request` kept for a replay: `None` when replay is off, or when the body is a
/// stream, which cannot be sent twice.
pub(crate) fn spare(policy: &ReplayPolicy, request: &reqwest::Request) -> Option<reqwest::Request> {
    if policy.enabled {
        request.try_clone()
    } else {
        None
    }
}

/// Sends `request` with a credential from `provider`; on a rejection, invalidates exactly that
/// credential and, if the body can be replayed, sends the request once more with a fresh one.
pub(crate) async fn send(
    client: &reqwest::Client,
    provider: &Arc<dyn AuthProvider>,
    policy: &ReplayPolicy,
    mut request: reqwest::Request,
) -> Result<reqwest::Response> {
    let token = credential(provider.as_ref()).await?;
    let spare = spare(policy, &request);
    authorize(&mut request, &token);
    let response = client.execute(request).await?;
    if !policy.is_rejection(&response) {
        return Ok(response);
    }
    provider.invalidate(&token);
    let Some(mut again) = spare else {
        tracing::debug!(
            target: "auth_http",
            status = response.status().as_u16(),
            "credential rejected; the body is a stream, so the request is not replayed"
        );
        return Ok(response);
    };
    tracing::debug!(
        target: "auth_http",
        status = response.status().as_u16(),
        "credential rejected; replaying once with a fresh one"
    );
    let fresh = credential(provider.as_ref()).await?;
    authorize(&mut again, &fresh);
    Ok(client.execute(again).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_token_challenges() {
        for yes in [
            r#"Bearer error="invalid_token""#,
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
            r#"Basic realm="x", Bearer error=invalid_token"#,
            r#"bearer ERROR="invalid_token""#,
        ] {
            assert!(is_invalid_token_challenge(yes), "{yes}");
        }
        for no in [
            r#"Bearer error="insufficient_scope""#,
            r#"Basic error="invalid_token""#,
            r#"Bearer realm="error=\"invalid_token\", x""#,
            "",
            "Bearer",
            ",,,=,\"",
        ] {
            assert!(!is_invalid_token_challenge(no), "{no}");
        }
    }
}
