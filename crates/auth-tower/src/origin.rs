//! Where the credential went, and whether a response came from there.

use http::Uri;

/// The origin a request was sent to, kept only while a response could come from elsewhere.
///
/// A tower stack sends a request to its own URI unless a redirect-following layer sits inside
/// this one; tower-http's `FollowRedirect` records the final URI in the response (feature
/// `follow-redirect`), and a rejection from another origin says nothing about a credential that
/// was never sent there (its `FilterCredentials` policy drops `Authorization` across origins).
#[derive(Debug)]
pub(crate) struct SentTo {
    #[cfg(feature = "follow-redirect")]
    uri: Uri,
}

impl SentTo {
    /// What to keep of `uri`: nothing unless a response can say it came from elsewhere.
    pub(crate) fn of(uri: &Uri) -> Self {
        #[cfg(feature = "follow-redirect")]
        return Self { uri: uri.clone() };
        #[cfg(not(feature = "follow-redirect"))]
        {
            let _ = uri;
            Self {}
        }
    }

    /// Whether a response with `extensions` came from the origin the credential was sent to.
    /// Whether the response came from another URL than the request went to (a redirect was
    /// followed); always `false` without the `follow-redirect` feature.
    pub(crate) fn redirected(&self, extensions: &http::Extensions) -> bool {
        #[cfg(feature = "follow-redirect")]
        if let Some(tower_http::follow_redirect::RequestUri(last)) = extensions.get() {
            return *last != self.uri;
        }
        let _ = extensions;
        false
    }

    pub(crate) fn answered(&self, extensions: &http::Extensions) -> bool {
        #[cfg(feature = "follow-redirect")]
        if let Some(tower_http::follow_redirect::RequestUri(last)) = extensions.get() {
            return same_origin(&self.uri, last);
        }
        let _ = extensions;
        true
    }
}

#[cfg(any(feature = "follow-redirect", test))]
/// Whether `a` and `b` have the same origin: scheme, host and port (RFC 6454). A URI without a
/// scheme or host (a relative one, as some stacks send) is its own origin only when both are.
pub(crate) fn same_origin(a: &Uri, b: &Uri) -> bool {
    a.scheme() == b.scheme()
        && a.host().map(str::to_ascii_lowercase) == b.host().map(str::to_ascii_lowercase)
        && port_or_default(a) == port_or_default(b)
}

#[cfg(any(feature = "follow-redirect", test))]
fn port_or_default(uri: &Uri) -> Option<u16> {
    use http::uri::Scheme;
    uri.port_u16().or_else(|| match uri.scheme() {
        Some(scheme) if *scheme == Scheme::HTTPS => Some(443),
        Some(scheme) if *scheme == Scheme::HTTP => Some(80),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(same_origin(
            &uri("https://a.example/x"),
            &uri("https://A.example:443/y?q")
        ));
        assert!(same_origin(
            &uri("http://127.0.0.1:80/"),
            &uri("http://127.0.0.1/z")
        ));
        assert!(!same_origin(
            &uri("https://a.example/"),
            &uri("http://a.example/")
        ));
        assert!(!same_origin(
            &uri("https://a.example/"),
            &uri("https://b.example/")
        ));
        assert!(!same_origin(
            &uri("http://127.0.0.1:1/"),
            &uri("http://127.0.0.1:2/")
        ));
        assert!(same_origin(&uri("/relative"), &uri("/other")));
        assert!(!same_origin(&uri("/relative"), &uri("http://127.0.0.1/")));
    }
}
