//! HTTP client authentication for Rust, in one dependency.
//!
//! This crate only re-exports the `auth-*` crates; pick what you need with features. The
//! core types ([`AuthProvider`], [`Token`], [`SecretString`], [`Error`], [`Clock`]) are always
//! here.
//!
//! # Feature flags
//!
//! | feature  | module          | crate         | what it gives you |
//! |----------|-----------------|---------------|-------------------|
//! | `basic`  | [`basic`]       | `auth-basic`  | RFC 7617 Basic authentication |
//! | `bearer` | [`bearer`]      | `auth-bearer` | static, environment and file-backed bearer tokens |
//! | `jwt`    | [`jwt`]         | `auth-jwt-issuer` | self-signed JWTs (RS/PS/ES/EdDSA/HS) and the `JwsSigner` trait, keys from PEM, encrypted PEM, PKCS#12 |
//! | `oauth2` | [`oauth2`]      | `auth-oauth2` | client credentials, password, refresh-token and jwt-bearer grants with a single-flight cache |
//! | `http`   | [`http`]        | `auth-http`   | reqwest: `AuthClient` with 401 replay, middleware, TLS, the OAuth2 transport, the declarative config |
//! | `full`   |                 |               | all of the above, wired together |
//!
//! No feature is on by default.
//!
//! # Example
//!
//! ```
//! # #[cfg(all(feature = "basic", feature = "bearer"))]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> auth::Result<()> {
//! use std::sync::Arc;
//! use auth::AuthProvider;
//!
//! let providers: Vec<Arc<dyn AuthProvider>> = vec![
//!     Arc::new(auth::basic::BasicProvider::new("admin", "123")?),
//!     Arc::new(auth::bearer::BearerProvider::new("JlbmMiOiJBMTI4Q0JDLUhTMjU2In")?),
//! ];
//! for provider in &providers {
//!     let token = provider.token().await?;
//!     println!("{}", token.scheme());
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "basic", feature = "bearer")))]
//! # fn main() {}
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use auth_core::{
    AuthProvider, BoxError, Clock, Error, ErrorKind, ProviderFn, Result, Scheme, SecretString,
    SharedAuthProvider, SystemClock, Token, async_trait, provider_fn,
};

/// The core crate, for items not re-exported at the root.
pub use auth_core as core;

/// RFC 7617 Basic authentication (feature `basic`).
#[cfg(feature = "basic")]
#[cfg_attr(docsrs, doc(cfg(feature = "basic")))]
pub use auth_basic as basic;

/// Bearer tokens: static, from the environment, from a rotating file (feature `bearer`).
#[cfg(feature = "bearer")]
#[cfg_attr(docsrs, doc(cfg(feature = "bearer")))]
pub use auth_bearer as bearer;

/// Self-signed JWTs: [`JwtIssuer`](auth_jwt_issuer::JwtIssuer), its signers and
/// [`JwtProvider`](auth_jwt_issuer::JwtProvider) (feature `jwt`).
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
pub use auth_jwt_issuer as jwt;

/// OAuth2 grants and the token cache (feature `oauth2`).
#[cfg(feature = "oauth2")]
#[cfg_attr(docsrs, doc(cfg(feature = "oauth2")))]
pub use auth_oauth2 as oauth2;

/// reqwest integration (feature `http`).
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use auth_http as http;
