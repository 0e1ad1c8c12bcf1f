#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod cache;
pub mod clock;
mod error;
pub mod file;
pub mod proof;
mod provider;
pub mod rejection;
mod secret;
pub mod store;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod text;
mod token;

pub use async_trait::async_trait;
pub use clock::{Clock, SystemClock};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use proof::RequestProof;
pub use provider::{AuthProvider, ProviderFn, SharedAuthProvider, provider_fn};
pub use secret::SecretString;
pub use token::{Scheme, Token};
