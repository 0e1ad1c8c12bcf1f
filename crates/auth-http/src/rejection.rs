//! Which reqwest responses reject the credential they answered.

use reqwest::Url;

pub use auth_core::rejection::{ReplayPolicy, is_invalid_token_challenge};

/// Whether `response`, to a request whose credential was sent to `sent_to`, rejects that
/// credential under `policy`.
///
/// Only a response from the origin the credential was sent to counts: after a redirect to
/// another origin the credential was not forwarded (see [`AuthClient`](crate::AuthClient)),
/// so a 401 from there says nothing about it.
pub fn is_rejection(policy: &ReplayPolicy, sent_to: &Url, response: &reqwest::Response) -> bool {
    policy.rejects(response.status(), response.headers()) && same_origin(sent_to, response.url())
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
}
