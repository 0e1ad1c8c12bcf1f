//! Which responses mean "this credential was rejected".

use http::StatusCode;
use http::header::WWW_AUTHENTICATE;
use reqwest::Url;

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

    /// Whether replay (and invalidation) is on.
    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether `response`, to a request whose credential was sent to `sent_to`, rejects that
    /// credential.
    ///
    /// Only a response from the origin the credential was sent to counts: after a redirect to
    /// another origin the credential was not forwarded (see [`AuthClient`](crate::AuthClient)),
    /// so a 401 from there says nothing about it.
    pub fn is_rejection(&self, sent_to: &Url, response: &reqwest::Response) -> bool {
        self.rejects_by_status(response) && same_origin(sent_to, response.url())
    }

    /// Whether `response` rejects a credential by its status and challenge alone (before the
    /// origin is asked).
    pub(crate) fn rejects_by_status(&self, response: &reqwest::Response) -> bool {
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

/// Whether `a` and `b` have the same origin: scheme, host and port (RFC 6454).
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let url = |s: &str| Url::parse(s).unwrap();
        assert!(same_origin(
            &url("https://a.example/x"),
            &url("https://a.example:443/y?q")
        ));
        assert!(same_origin(
            &url("http://127.0.0.1:80/"),
            &url("http://127.0.0.1/z")
        ));
        assert!(!same_origin(
            &url("https://a.example/"),
            &url("http://a.example/")
        ));
        assert!(!same_origin(
            &url("https://a.example/"),
            &url("https://b.example/")
        ));
        assert!(!same_origin(
            &url("http://127.0.0.1:1/"),
            &url("http://127.0.0.1:2/")
        ));
    }

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
