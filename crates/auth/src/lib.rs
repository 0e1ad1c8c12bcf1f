#![doc = include_str!("../README.md")]
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

/// The Redis token store for OAuth2 providers shared by many processes (feature `redis`).
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use auth_store_redis as store_redis;

/// reqwest integration (feature `http`).
#[cfg(feature = "http")]
#[cfg_attr(docsrs, doc(cfg(feature = "http")))]
pub use auth_http as http;

/// The tower layer for hyper and tonic clients (feature `tower`; `tonic` adds its interceptor).
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use auth_tower as tower;
