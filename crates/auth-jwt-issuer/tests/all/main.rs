//! Integration tests for auth-jwt-issuer: one binary, one module per concern.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

mod algorithms;
mod ballerina;
mod claims;
mod dpop;
mod helpers;
mod key_formats;
mod plain_formats;
mod provider;
