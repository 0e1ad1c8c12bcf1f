//! A Redis (or Valkey) [`TokenStore`](auth_core::store::TokenStore) for `auth-*` caching
//! providers: many replicas of a service share one token per identity, refresh once between
//! them, and never present a superseded rotated refresh token.
//!
//! ```no_run
//! use std::sync::Arc;
//! use auth_store_redis::RedisStore;
//!
//! let store = RedisStore::new("redis://127.0.0.1:6379/0")?;
//! // With auth-oauth2's `store` feature:
//! // OAuth2Provider::builder(config, transport)
//! //     .store(StoreSettings::new(Arc::new(store)))
//! //     .build()?;
//! # let _ = Arc::new(store);
//! # Ok::<(), auth_core::Error>(())
//! ```
//!
//! See [`RedisStore`] for the key layout's guarantees and the failure behaviour.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod connection;
mod errors;
mod listener;
mod scripts;
mod store;
#[cfg(feature = "test-util")]
pub mod testing;

pub use store::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_RESPONSE_TIMEOUT, MAX_KEY_PREFIX_LEN,
    RedisStore, RedisStoreBuilder,
};
