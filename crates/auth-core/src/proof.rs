//! Proof of possession: a header that must go with every request a token is sent on, made for
//! that request (DPoP, RFC 9449). A token that carries a [`RequestProof`] is *bound* to a key:
//! without a fresh proof from that key, a server refuses it.
//!
//! The HTTP integrations (`auth-http`'s client, middleware and request extension, the tower
//! layer) call [`Token::proof_header`](crate::Token::proof_header) where they put the
//! `Authorization` header, and [`Token::observe_response`](crate::Token::observe_response) on
//! each response, so a server's nonce reaches the next proof and a `use_dpop_nonce` challenge
//! is answered once.

use std::fmt;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::Result;

/// Makes the proof-of-possession header for each request a bound token goes with.
///
/// `auth-jwt-issuer`'s `DpopKey` implements it; implement it for another proof scheme.
pub trait RequestProof: Send + Sync + fmt::Debug {
    /// The header the proof goes in (`DPoP`).
    fn header_name(&self) -> &HeaderName;

    /// The proof for one request: `method` (`GET`), the request's absolute `url` (query and
    /// fragment are the implementation's to drop) and the access token it carries.
    ///
    /// # Errors
    ///
    /// An [`Error`](crate::Error) when the proof cannot be signed; the request is then not sent.
    fn prove(&self, method: &str, url: &str, access_token: &str) -> Result<HeaderValue>;

    /// Learns from the response to a request that carried a proof (the server's next nonce).
    /// Returns `true` when the response asks for the same request again with a new proof
    /// (RFC 9449 §9: `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"`): the caller
    /// then sends it once more, with the same token.
    fn observe(&self, url: &str, status: u16, headers: &HeaderMap) -> bool;
}
