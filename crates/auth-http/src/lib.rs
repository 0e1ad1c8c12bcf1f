//! Attach `auth-*` providers to reqwest: the equivalent of Ballerina's `http:Client` with
//! `auth = {...}` and `secureSocket = {...}`.
//!
//! - [`RequestBuilderExt::authorize`]: put a provider's credential on one request;
//! - [`AuthClient`]: a client that authenticates every request and, on `401`, invalidates the
//!   rejected credential and replays the request once with a fresh one;
//! - `AuthMiddleware` (feature `middleware`): the same for reqwest-middleware;
//! - `ReqwestTransport` (feature `oauth2`): the pooled token-endpoint client for auth-oauth2;
//! - [`SecureSocket`]: TLS settings (trusted CAs, client certificates);
//! - `ClientFileConfig` (feature `config`): the declarative config, whose `[auth]` table's
//!   shape selects the provider.
//!
//! ```no_run
//! # async fn example() -> Result<(), auth_http::Error> {
//! use auth_core::Token;
//! use auth_http::AuthClient;
//!
//! let client = AuthClient::new(reqwest::Client::new(), Token::bearer("abc")?);
//! let response = client.get("https://api.example/items").send().await?;
//! # let _ = response;
//! # Ok(())
//! # }
//! ```
//!
//! # Replay
//!
//! A rejected request is replayed only when its body can be sent again (no body, bytes, a
//! string); a streaming body's rejection is returned to the caller as it came. There is never
//! more than one replay.
//!
//! # Redirects
//!
//! `Authorization` is dropped when a redirect leaves the origin (scheme, host, port); token
//! requests never follow redirects.
//!
//! # Feature flags
//!
//! `basic`, `bearer`, `jwt`, `oauth2` (each provider in the declarative config; `oauth2` also the
//! transport; `jwt` also encrypted mTLS key files), `middleware`, `config`. None is on by
//! default, so a Basic-only user compiles neither the JWT nor the OAuth2 crate.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apply;
mod client;
#[cfg(feature = "config")]
mod config;
mod error;
#[cfg(feature = "middleware")]
mod middleware;
mod replay;
mod tls;
#[cfg(feature = "oauth2")]
mod transport;

pub use apply::{RequestBuilderExt, authorize};
pub use client::{AuthClient, AuthRequestBuilder};
#[cfg(feature = "config")]
pub use config::{AuthConfig, ClientFileConfig};
pub use error::{Error, Result};
#[cfg(feature = "middleware")]
pub use middleware::AuthMiddleware;
pub use replay::{ReplayPolicy, is_invalid_token_challenge};
pub use tls::{ClientKey, SecureSocket, TrustConfig};
#[cfg(feature = "oauth2")]
pub use transport::ReqwestTransport;
