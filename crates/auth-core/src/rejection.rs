//! Which responses mean "this credential was rejected", for every HTTP stack alike.
//!
//! The reqwest client, the reqwest middleware and the tower layer all judge a response with
//! the same [`ReplayPolicy`], so a server that rejects a credential is understood the same way
//! whichever stack sent the request.

use http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, StatusCode};

/// The gRPC status header; in a trailers-only response (an error before any message) it
/// arrives among the response headers.
const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");

/// gRPC's `UNAUTHENTICATED` status code, as it stands in the `grpc-status` header.
const GRPC_UNAUTHENTICATED: &[u8] = b"16";

/// When a response means the credential was rejected, so the provider should drop it and the
/// request be sent once more with a fresh one.
///
/// By default: `401 Unauthorized`, and, for gRPC ([`rejects_grpc`](Self::rejects_grpc)),
/// `UNAUTHENTICATED` (status 16) in the headers of a trailers-only response. Add `403` for servers that answer an expired bearer token with
/// `403` and `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1):
///
/// ```
/// use auth_core::rejection::ReplayPolicy;
/// use http::{HeaderMap, StatusCode};
///
/// let policy = ReplayPolicy::default().on_invalid_token_challenge(StatusCode::FORBIDDEN);
/// let mut headers = HeaderMap::new();
/// assert!(policy.rejects(StatusCode::UNAUTHORIZED, &headers));
/// assert!(!policy.rejects(StatusCode::FORBIDDEN, &headers));
/// headers.insert("www-authenticate", r#"Bearer error="invalid_token""#.parse()?);
/// assert!(policy.rejects(StatusCode::FORBIDDEN, &headers));
/// # Ok::<(), http::header::InvalidHeaderValue>(())
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ReplayPolicy {
    statuses: Vec<StatusCode>,
    challenge_statuses: Vec<StatusCode>,
    grpc_unauthenticated: bool,
    enabled: bool,
}

impl Default for ReplayPolicy {
    fn default() -> Self {
        Self {
            statuses: vec![StatusCode::UNAUTHORIZED],
            challenge_statuses: Vec::new(),
            grpc_unauthenticated: true,
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

    /// Whether a gRPC `UNAUTHENTICATED` in the response headers counts (it does by default).
    #[must_use]
    pub fn on_grpc_unauthenticated(mut self, counts: bool) -> Self {
        self.grpc_unauthenticated = counts;
        self
    }

    /// Whether replay (and invalidation) is on; when it is off, a client need not keep a copy
    /// of a request to send it again.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Whether an HTTP response with `status` and `headers` rejects the credential it answered,
    /// by its status and challenge alone. Where the response came from is the caller's
    /// question: only a response from the origin the credential was sent to can reject it.
    ///
    /// A DPoP nonce challenge (`WWW-Authenticate: DPoP error="use_dpop_nonce"`, RFC 9449 §9)
    /// never rejects the token: the server wants a new proof, not a new token.
    pub fn rejects(&self, status: StatusCode, headers: &HeaderMap) -> bool {
        if !self.enabled {
            return false;
        }
        let challenges = || {
            headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|v| v.to_str().ok())
        };
        if status == StatusCode::UNAUTHORIZED
            && challenges().any(|value| has_challenge_error(value, "DPoP", "use_dpop_nonce"))
        {
            return false;
        }
        self.statuses.contains(&status)
            || (self.challenge_statuses.contains(&status)
                && headers
                    .get_all(WWW_AUTHENTICATE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .any(is_invalid_token_challenge))
    }

    /// Whether a gRPC response (`content-type: application/grpc...`) rejects the credential:
    /// `UNAUTHENTICATED` in the headers of a trailers-only response (unless [turned off](Self::on_grpc_unauthenticated)).
    ///
    /// Asked by the stacks that carry gRPC (the tower layer), on top of [`rejects`](Self::rejects);
    /// reqwest reads no trailers and carries no gRPC, so its client does not pay for the lookup.
    pub fn rejects_grpc(&self, headers: &HeaderMap) -> bool {
        // `content-type` is a standard header, found without hashing its name: responses that
        // are not gRPC are passed over before the costlier lookup of `grpc-status`.
        self.enabled
            && self.grpc_unauthenticated
            && headers
                .get(CONTENT_TYPE)
                .is_some_and(|kind| kind.as_bytes().starts_with(b"application/grpc"))
            && headers
                .get(GRPC_STATUS)
                .is_some_and(|code| code.as_bytes() == GRPC_UNAUTHENTICATED)
    }
}

/// Whether a `WWW-Authenticate` value holds a Bearer or DPoP challenge with
/// `error="invalid_token"`.
pub fn is_invalid_token_challenge(header: &str) -> bool {
    has_challenge_error(header, "Bearer", "invalid_token")
        || has_challenge_error(header, "DPoP", "invalid_token")
}

/// Whether a `WWW-Authenticate` value holds a challenge of `scheme` (compared
/// case-insensitively) whose `error` parameter is `error`: `DPoP error="use_dpop_nonce"`.
pub fn has_challenge_error(header: &str, scheme: &str, error: &str) -> bool {
    // Challenges are `scheme param=value, param="value", ...`, possibly several per header.
    let mut in_scheme = false;
    for part in split_outside_quotes(header) {
        let part = part.trim();
        let (first, rest) = part.split_once(' ').unwrap_or((part, ""));
        let param = if first.contains('=') {
            part
        } else {
            // A new challenge starts with its scheme.
            in_scheme = first.eq_ignore_ascii_case(scheme);
            rest.trim()
        };
        if in_scheme
            && let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("error")
            && value.trim().trim_matches('"') == error
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

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn invalid_token_challenges() {
        for yes in [
            r#"Bearer error="invalid_token""#,
            r#"Bearer realm="example", error="invalid_token", error_description="The access token expired""#,
            r#"Basic realm="x", Bearer error=invalid_token"#,
            r#"bearer ERROR="invalid_token""#,
            r#"DPoP algs="ES256", error="invalid_token""#,
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
            r#"DPoP error="use_dpop_nonce""#,
        ] {
            assert!(!is_invalid_token_challenge(no), "{no}");
        }
        let nonce = r#"Bearer realm="r", DPoP error="use_dpop_nonce", error_description="fresh""#;
        assert!(has_challenge_error(nonce, "dpop", "use_dpop_nonce"));
        assert!(!has_challenge_error(nonce, "Bearer", "use_dpop_nonce"));
        assert!(!has_challenge_error(
            r#"DPoP error="invalid_token""#,
            "DPoP",
            "use_dpop_nonce"
        ));
    }

    fn grpc(code: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/grpc+proto"),
        );
        headers.insert(GRPC_STATUS, HeaderValue::from_static(code));
        headers
    }

    #[test]
    fn grpc_unauthenticated_counts_unless_turned_off() {
        let policy = ReplayPolicy::default();
        assert!(policy.rejects_grpc(&grpc("16")));
        assert!(
            !policy.rejects(StatusCode::OK, &grpc("16")),
            "HTTP alone does not look"
        );
        for other in ["0", "7", "1", "160"] {
            assert!(!policy.rejects_grpc(&grpc(other)), "{other}");
        }
        let mut not_grpc = grpc("16");
        not_grpc.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(
            !policy.rejects_grpc(&not_grpc),
            "only a gRPC response says UNAUTHENTICATED"
        );
        assert!(
            !policy
                .on_grpc_unauthenticated(false)
                .rejects_grpc(&grpc("16"))
        );
    }

    #[test]
    fn statuses_and_never() {
        let none = HeaderMap::new();
        let policy = ReplayPolicy::default().on_status(StatusCode::FORBIDDEN);
        assert!(policy.rejects(StatusCode::UNAUTHORIZED, &none));
        assert!(policy.rejects(StatusCode::FORBIDDEN, &none));
        assert!(!policy.rejects(StatusCode::OK, &none));
        assert!(!policy.rejects(StatusCode::INTERNAL_SERVER_ERROR, &none));
        let never = ReplayPolicy::never();
        assert!(!never.is_enabled());
        assert!(!never.rejects(StatusCode::UNAUTHORIZED, &none));
        assert!(!never.rejects_grpc(&grpc("16")));
    }

    #[test]
    fn a_dpop_nonce_challenge_is_not_a_rejection() {
        let mut nonce = HeaderMap::new();
        nonce.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"DPoP error="use_dpop_nonce", error_description="x""#),
        );
        let policy = ReplayPolicy::default();
        assert!(!policy.rejects(StatusCode::UNAUTHORIZED, &nonce));
        let mut invalid = HeaderMap::new();
        invalid.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"DPoP error="invalid_token""#),
        );
        assert!(policy.rejects(StatusCode::UNAUTHORIZED, &invalid));
    }
}
