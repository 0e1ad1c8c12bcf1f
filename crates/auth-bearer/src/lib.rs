//! Bearer tokens (RFC 6750) for the `auth-*` workspace: a static token, a token read from an
//! environment variable, or a token read from a file and re-read when the file changes.
//!
//! ```
//! use auth_bearer::BearerProvider;
//! use auth_core::AuthProvider;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> auth_core::Result<()> {
//! let provider = BearerProvider::new("JlbmMiOiJBMTI4Q0JDLUhTMjU2In")?;
//! let token = provider.token().await?;
//! assert_eq!(token.header_value(), "Bearer JlbmMiOiJBMTI4Q0JDLUhTMjU2In");
//! # Ok(())
//! # }
//! ```
//!
//! A token mounted as a file (a Kubernetes secret, say) is picked up after rotation without
//! restarting the program and without reading the file on every request: see
//! [`BearerProvider::from_file`].
//!
//! # Differences from Ballerina
//!
//! Ballerina sends whatever it is given, so an empty token becomes `Authorization: Bearer `.
//! Here an empty token, and any character that cannot stand in a bearer token (control
//! characters such as CR and LF, spaces, non-ASCII text), is refused when the provider is
//! built, with an error that says which character and where, never the token itself.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod file;
mod provider;
mod validate;

pub use file::{DEFAULT_GRACE_PERIOD, FileOptions};
pub use provider::BearerProvider;
