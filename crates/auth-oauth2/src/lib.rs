#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cache;
mod checked;
mod checks;
mod client_auth;
mod config;
mod discovery;
mod endpoint;
mod error;
mod exchange;
mod fetch;
mod flight;
mod grant;
mod provider;
mod redact;
mod request;
mod response;
mod retry;
mod runtime;
#[cfg(feature = "store")]
mod store;
mod transport;

#[cfg(feature = "jwt")]
pub use client_auth::ClientAssertion;
pub use client_auth::{BasicEncoding, ClientAuth};
pub use config::{DEFAULT_TOKEN_EXP_TIME, MAX_TOKEN_LIFETIME, OAuth2Config, RefreshConfig};
pub use error::TokenEndpointError;
pub use exchange::{SubjectToken, TokenExchangeGrant};
pub use flight::MAX_FAILURE_PENALTY;
pub use grant::{Assertion, Grant, JwtBearerGrant, PasswordGrant, RefreshTokenGrant};
pub use provider::{
    DEFAULT_REFRESH_AHEAD, DEFAULT_TOKEN_REQUEST_TIMEOUT, OAuth2Provider, OAuth2ProviderBuilder,
};
pub use retry::RetryPolicy;
#[cfg(feature = "store")]
#[cfg_attr(docsrs, doc(cfg(feature = "store")))]
pub use store::{
    DEFAULT_LEASE_TTL, DEFAULT_STORE_TIMEOUT, FileStore, StoreEncryption, StoreSettings,
};
pub use transport::{MAX_RESPONSE_BYTES, TokenTransport, TransportError, TransportErrorKind};

/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`); not a stable API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Parses a token-endpoint response; `Ok` when it is a usable token response.
    pub fn parse_token_response(
        status: u16,
        content_type: &str,
        retry_after: &str,
        body: &[u8],
    ) -> bool {
        let Ok(response) = http::Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, content_type)
            .header(http::header::RETRY_AFTER, retry_after)
            .body(body.to_vec())
        else {
            return false;
        };
        let context = crate::response::Context {
            endpoint: "https://fuzz.invalid/token",
            grant: "client_credentials",
            secrets: &["fuzz-secret"],
            now: std::time::SystemTime::UNIX_EPOCH,
        };
        // A rotated refresh token handed on is never empty.
        let keep_rotated = |rotated: auth_core::SecretString| assert!(!rotated.is_empty());
        match crate::response::parse(&response, &context, keep_rotated) {
            Ok(parsed) => {
                // A usable token response must hold a non-empty access token.
                assert!(!parsed.access_token.is_empty());
                true
            }
            Err(error) => {
                let text = error.to_string();
                assert!(!text.contains("fuzz-secret"), "a secret reached an error");
                false
            }
        }
    }

    /// Cleans server text as error messages do, with `secrets` blanked.
    pub fn sanitize(text: &str, secrets: &[&str], max: usize) -> String {
        crate::redact::sanitize(text, secrets, max)
    }
}
