//! The error of an authenticated request.

use std::fmt;

/// Why an authenticated request failed.
///
/// A URL inside it never shows user info, a query or a fragment, which can carry API keys and
/// tokens (`?api_key=...`): they are removed when the error is made.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The provider could not produce a credential (token endpoint down, bad key, ...).
    Auth(auth_core::Error),
    /// Sending the request failed.
    Http(reqwest::Error),
    /// The request could not be built (an invalid URL or header, say).
    Build(reqwest::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auth(error) => write!(f, "could not authenticate the request: {error}"),
            Self::Http(error) => write!(f, "request failed: {error}"),
            Self::Build(error) => write!(f, "could not build the request: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Auth(error) => Some(error),
            Self::Http(error) => Some(error),
            Self::Build(error) => Some(error),
        }
    }
}

impl From<auth_core::Error> for Error {
    fn from(error: auth_core::Error) -> Self {
        Self::Auth(error)
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(redact_url(error))
    }
}

/// `url` without user info, query or fragment.
pub fn shown_url(url: &reqwest::Url) -> reqwest::Url {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown
}

/// `error` with its URL (if any) reduced to [`shown_url`].
pub fn redact_url(error: reqwest::Error) -> reqwest::Error {
    match error.url().map(shown_url) {
        Some(shown) => error.with_url(shown),
        None => error,
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_urls_keep_only_scheme_host_port_and_path() {
        let url = reqwest::Url::parse("https://user:pw@api.example:8443/v1/items?api_key=k#frag")
            .unwrap();
        assert_eq!(
            shown_url(&url).as_str(),
            "https://api.example:8443/v1/items"
        );
    }

    #[tokio::test]
    async fn request_errors_never_show_the_query() {
        // Nothing listens on port 1 of 127.0.0.1: the error carries the URL.
        let error = reqwest::Client::new()
            .get("http://127.0.0.1:1/x?api_key=query-marker")
            .send()
            .await
            .unwrap_err();
        let error = Error::from(error);
        let text = format!("{error} {error:?}");
        assert!(!text.contains("query-marker"), "{text}");
        assert!(text.contains("127.0.0.1:1/x"), "{text}");
    }
}
