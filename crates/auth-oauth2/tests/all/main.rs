//! Integration tests for auth-oauth2, against a scripted in-memory transport and the test clock.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

mod cache;
mod concurrency;
mod config;
mod discovery;
#[cfg(feature = "dpop")]
mod dpop;
mod faults;
mod requests;
mod script;
#[cfg(feature = "store")]
mod store;
mod token_exchange;
