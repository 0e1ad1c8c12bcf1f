//! The small, stable core of the `auth-*` workspace: the [`AuthProvider`] trait every
//! credential source implements, the [`Token`] it hands out, the one secret type
//! [`SecretString`], the [`Error`] every crate reports, and an injectable [`Clock`].
//!
//! It depends on no HTTP client and no async runtime, so a custom provider pulls in only
//! this crate.
//!
//! For caching providers it also offers [`TokenCell`] (the current token, handed to each thread
//! as its own copy so that readers on different cores never write shared memory) and, with the
//! `coarse-clock` feature, `CoarseClock` (wall time for per-request expiry checks at a few
//! nanoseconds a read).
//!
//! # Feature flags
//!
//! - `coarse-clock`: `CoarseClock`, built on `coarsetime` (off by default, so the core's own
//!   dependency list stays at async-trait, http, bytes and zeroize).
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
//! # Stability
//!
//! This crate is meant to change least often: provider crates and user code build on it.
//! Enums are `#[non_exhaustive]` so that adding a kind of error is not a breaking change.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cell;
mod clock;
#[cfg(feature = "coarse-clock")]
mod coarse;
mod error;
mod provider;
mod secret;
mod token;

pub use async_trait::async_trait;
pub use cell::{CachedToken, TokenCell};
pub use clock::{Clock, ManualClock, SystemClock};
#[cfg(feature = "coarse-clock")]
#[cfg_attr(docsrs, doc(cfg(feature = "coarse-clock")))]
pub use coarse::CoarseClock;
pub use error::{BoxError, Error, ErrorKind, Result};
pub use provider::{AuthProvider, ProviderFn, SharedAuthProvider, provider_fn};
pub use secret::SecretString;
pub use token::{Scheme, Token};
