//! The token exchange grant (RFC 8693): a subject token (and optionally an actor token),
//! read afresh for every request, exchanged for an access token.

mod checked;
mod grant;
mod read;
mod subject;

pub(crate) use checked::Exchange;
pub use grant::TokenExchangeGrant;
pub(crate) use read::{Presented, read};
pub use subject::SubjectToken;

/// The `grant_type` of RFC 8693 §2.1.
pub(crate) const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
