//! The small, stable core of the `auth-*` workspace: the [`AuthProvider`] trait every
//! credential source implements, the [`Token`] it hands out, the one secret type
//! [`SecretString`], the [`Error`] every crate reports, and an injectable [`Clock`].
//!
//! It depends on no HTTP client and no async runtime, so a custom provider pulls in only
//! this crate.
//!
//! # A provider in a few lines
//!
//! ```
//! use std::sync::Arc;
//! use auth_core::{async_trait, AuthProvider, Result, Token};
//!
//! /// Hands out a token from some vault of ours.
//! #[derive(Debug)]
//! struct VaultProvider;
//!
//! #[async_trait]
//! impl AuthProvider for VaultProvider {
//!     async fn token(&self) -> Result<Token> {
//!         Token::bearer("token-from-the-vault")
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<()> {
//! let provider: Arc<dyn AuthProvider> = Arc::new(VaultProvider);
//! let token = provider.token().await?;
//! // The header value was computed once, when the token was made, and is marked sensitive.
//! assert!(token.header_value().is_sensitive());
//! assert_eq!(token.expose_credential(), "token-from-the-vault");
//! # Ok(())
//! # }
//! ```
//!
//! # Modules for provider authors
//!
//! - [`cache`]: the current token handed to each thread as its own copy ([`cache::TokenCell`],
//!   [`cache::StaticTokenCell`]) and a cheap wall clock (`CoarseClock`, feature `coarse-clock`),
//!   for providers called on every request;
//! - [`text`]: the one check for credentials and parameters that go into headers and forms;
//! - [`file`]: bounded reads of token, key and config files;
//! - [`clock`]: the [`Clock`] trait, the system clock and, with `test-util`, a manual clock.
//!
//! # Feature flags
//!
//! - `coarse-clock`: `cache::CoarseClock`, built on `coarsetime`.
//! - `serde`: `Deserialize` for [`SecretString`] whose errors never show the value.
//! - `test-util`: `clock::ManualClock`, a clock that moves only when told to.
//!
//! None is on by default, so the core's own dependencies stay async-trait, http, bytes and
//! zeroize.
//!
//! # Stability
//!
//! This crate is meant to change least often: provider crates and user code build on it.
//! Enums are `#[non_exhaustive]` so that adding a kind of error is not a breaking change.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cache;
pub mod clock;
mod error;
pub mod file;
mod provider;
mod secret;
pub mod text;
mod token;

pub use async_trait::async_trait;
pub use clock::{Clock, SystemClock};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use provider::{AuthProvider, ProviderFn, SharedAuthProvider, provider_fn};
pub use secret::SecretString;
pub use token::{Scheme, Token};
