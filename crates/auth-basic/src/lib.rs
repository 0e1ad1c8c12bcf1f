//! HTTP Basic authentication (RFC 7617) for the `auth-*` workspace.
//!
//! [`BasicProvider`] computes `Basic base64(utf8(username ":" password))` once, when it is
//! built, and hands out the same [`Token`](auth_core::Token) on every call.
//!
//! ```
//! use auth_basic::BasicProvider;
//! use auth_core::AuthProvider;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> auth_core::Result<()> {
//! let provider = BasicProvider::new("admin", "123")?;
//! let token = provider.token().await?;
//! assert_eq!(token.header_value(), "Basic YWRtaW46MTIz");
//! # Ok(())
//! # }
//! ```
//!
//! # Differences from Ballerina
//!
//! - An empty password is accepted, as RFC 7617 allows; Ballerina rejects it with
//!   "Username or password cannot be empty."
//! - A `:` in the username is rejected, as RFC 7617 §2 requires; Ballerina accepts it and sends
//!   a credential the server will split in the wrong place.
//! - Control characters (CR, LF, NUL, ...) in either part are rejected.
//! - The header value is computed once, not on every request.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod provider;

pub use provider::BasicProvider;
