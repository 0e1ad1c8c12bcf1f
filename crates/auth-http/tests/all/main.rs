//! Integration tests for auth-http against real HTTP servers on 127.0.0.1.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

mod support;

#[cfg(feature = "blocking")]
mod blocking;
#[cfg(all(
    feature = "config",
    feature = "basic",
    feature = "bearer",
    feature = "jwt",
    feature = "oauth2"
))]
mod config;
#[cfg(all(feature = "dpop", feature = "middleware"))]
mod dpop;
#[cfg(feature = "oauth2")]
mod oauth2;
#[cfg(all(
    feature = "basic",
    feature = "bearer",
    feature = "jwt",
    feature = "oauth2",
    feature = "middleware"
))]
mod providers;
mod redirects;
mod replay;
#[cfg(all(feature = "config", feature = "store", feature = "basic"))]
mod store_config;
mod tls;
#[cfg(all(feature = "config", feature = "oauth2"))]
mod token_exchange;
