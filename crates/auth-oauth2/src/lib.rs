//! OAuth2 access tokens for the `auth-*` workspace: the client credentials, password,
//! refresh-token and jwt-bearer grants of Ballerina's OAuth2 client, behind an
//! [`AuthProvider`](auth_core::AuthProvider) that caches tokens and renews them correctly under
//! concurrency, cancellation and a misbehaving token endpoint.
//!
//! This crate speaks HTTP only through [`TokenTransport`], an object-safe trait over `http`
//! types, so it depends on no HTTP client; `auth-http` provides the reqwest transport.
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::{async_trait, AuthProvider};
//! use auth_oauth2::{OAuth2Config, OAuth2Provider, TokenTransport, TransportError};
//!
//! /// A stand-in token endpoint (use auth-http's reqwest transport in real code).
//! #[derive(Debug)]
//! struct Fixed;
//!
//! #[async_trait]
//! impl TokenTransport for Fixed {
//!     async fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
//!         Ok(http::Response::new(br#"{"access_token":"abc","expires_in":3600}"#.to_vec()))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> auth_core::Result<()> {
//! let config = OAuth2Config::client_credentials("https://idp.example/token", "svc", "s3cr3t");
//! let provider = OAuth2Provider::new(config, Arc::new(Fixed))?;
//! assert_eq!(provider.token().await?.header_value(), "Bearer abc");
//! # Ok(())
//! # }
//! ```
//!
//! # Semantics
//!
//! - A token is valid while `now < issued + expires_in - clock_skew`; the skew is clamped to
//!   half the lifetime, so a large skew cannot cause a request on every call. `expires_in` may
//!   be an integer, a numeric string or a float; when missing, `default_token_exp_time`
//!   applies; zero means the token serves only the callers of that request.
//! - Renewal: client credentials runs the grant again; password and jwt-bearer use the refresh
//!   token when they got one and run the grant again when the refresh is refused with
//!   `invalid_grant` (switchable); the refresh-token grant keeps the newest rotated refresh
//!   token.
//! - Every form parameter is form-encoded; the `Authorization: Basic` client credential is
//!   form-encoded before base64 as RFC 6749 §2.3.1 says (switchable to raw).
//! - Token URLs must be `https`, except loopback hosts, unless `allow_insecure_http` is set.
//! - Errors carry the endpoint, status, OAuth `error` and `error_description`
//!   ([`TokenEndpointError`]) and never a secret, a token or a whole response body.
//! - `tracing`: a span `oauth2.token_request` per request (grant, endpoint host, attempt,
//!   status, outcome, latency) and events for cache hits (TRACE) and misses (DEBUG).
//!
//! # Differences from Ballerina
//!
//! Ballerina fetches a token in the constructor and panics when that fails; here building sends
//! nothing and never panics. It also shares one lock per grant type across all clients, sends
//! unencoded parameters, never falls back from a refused refresh, and embeds the response body
//! in errors; see the list above for what this crate does instead.
//!
//! # Feature flags
//!
//! - `jwt`: fresh jwt-bearer assertions (`assertion_config`) and `private_key_jwt` /
//!   `client_secret_jwt` client authentication (`client_assertion`), signed by
//!   `auth-jwt-issuer`.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod error;
mod plan;
mod provider;
mod request;
mod response;
mod retry;
mod transport;

pub use config::{
    Assertion, BasicEncoding, ClientConfig, CredentialBearer, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_TOKEN_EXP_TIME, Grant, HttpVersion, OAuth2Config,
    RefreshConfig,
};
pub use error::TokenEndpointError;
pub use provider::{
    DEFAULT_REFRESH_AHEAD, MAX_FAILURE_PENALTY, OAuth2Provider, OAuth2ProviderBuilder,
};
pub use retry::RetryPolicy;
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
        match crate::response::parse(&response, &context) {
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
}
