#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "blocking")]
pub mod blocking;
mod client;
#[cfg(feature = "config")]
pub mod config;
mod credential;
mod error;
#[cfg(feature = "middleware")]
mod middleware;
mod rejection;
mod replay;
mod settings;
mod tls;
#[cfg(feature = "oauth2")]
mod transport;

pub use client::{AuthClient, AuthRequestBuilder};
#[cfg(feature = "config")]
pub use config::{AuthConfig, ClientFileConfig};
pub use credential::{RequestBuilderExt, authorize};
pub use error::{Error, Result, redact_url, shown_url};
#[cfg(feature = "middleware")]
pub use middleware::AuthMiddleware;
pub use rejection::{ReplayPolicy, is_invalid_token_challenge, is_rejection};
pub use settings::{ClientSettings, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, HttpVersion};
pub use tls::{ClientKey, SecureSocket, TrustConfig};
#[cfg(feature = "oauth2")]
pub use transport::ReqwestTransport;
