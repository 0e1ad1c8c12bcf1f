//! The credential a provider hands out, with its `Authorization` header value precomputed.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::proof::RequestProof;
use crate::secret::{SecretString, constant_time_eq};
use crate::text::{TextRule, check_text, describe_char};

/// The authentication scheme of a [`Token`] (RFC 9110 §11.1), compared case-insensitively.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `Basic` (RFC 7617).
    Basic,
    /// `Bearer` (RFC 6750).
    Bearer,
    /// Any other scheme, spelled as given (`DPoP`, `Negotiate`, `AWS4-HMAC-SHA256`, ...).
    Other(Box<str>),
}

impl Scheme {
    /// Parses a scheme name; `basic` and `BEARER` become [`Scheme::Basic`] and [`Scheme::Bearer`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when `name` is empty or is
    /// not an RFC 9110 token (letters, digits and ``!#$%&'*+-.^_`|~``).
    pub fn parse(name: &str) -> Result<Self> {
        if name.is_empty() {
            return Err(Error::invalid_config(
                "the authentication scheme is empty; use e.g. `Bearer`",
            ));
        }
        if let Some(bad) = name.chars().find(|c| !is_tchar(*c)) {
            return Err(Error::invalid_config(format!(
                "the authentication scheme contains {}, which a scheme name cannot hold \
                 (letters, digits and !#$%&'*+-.^_`|~ only)",
                describe_char(bad)
            )));
        }
        Ok(if name.eq_ignore_ascii_case("basic") {
            Self::Basic
        } else if name.eq_ignore_ascii_case("bearer") {
            Self::Bearer
        } else {
            Self::Other(name.into())
        })
    }

    /// The scheme name as it goes on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Basic => "Basic",
            Self::Bearer => "Bearer",
            Self::Other(name) => name,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A credential ready to put on a request: a scheme, the credential itself and an optional
/// expiry.
///
/// The `Authorization` header value (`"Bearer abc..."`) is built once, when the token is made,
/// and marked sensitive; [`header_value`](Self::header_value) borrows it, and cloning the
/// returned [`HeaderValue`] bumps a reference count, so putting a token on a request never
/// allocates. Cloning a `Token` is a reference-count bump too and never copies the secret,
/// which is wiped from memory when the last clone is dropped.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::{Scheme, Token};
///
/// let now = SystemTime::now();
/// let token = Token::bearer("abc.def.ghi")?.with_expiry(now + Duration::from_secs(60));
/// assert_eq!(token.scheme(), &Scheme::Bearer);
/// assert_eq!(token.header_value(), "Bearer abc.def.ghi");
/// assert!(!token.is_expired_at(now, Duration::from_secs(30)));
/// assert!(token.is_expired_at(now, Duration::from_secs(60)));
/// assert_eq!(format!("{token:?}").contains("abc"), false);
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Token(Arc<TokenInner>);

#[derive(Clone)]
struct TokenInner {
    scheme: Scheme,
    /// `"<scheme> <credential>"`; the credential starts at `credential_start`.
    header: HeaderValue,
    credential_start: usize,
    expires_at: Option<SystemTime>,
    /// Set for a token bound to a key (DPoP): each request needs a proof made for it.
    proof: Option<Arc<dyn RequestProof>>,
}

/// The buffer the header value points into; wiped when the last `Bytes` handle goes.
struct WipedOnDrop(Zeroizing<Vec<u8>>);

impl AsRef<[u8]> for WipedOnDrop {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Token {
    /// A token of `scheme` carrying `credential`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when the credential is
    /// empty, or holds a character that cannot stand in an HTTP header value (CR, LF, NUL or
    /// another control character). The message says which character and where, never the
    /// credential itself.
    pub fn new(scheme: Scheme, credential: impl Into<SecretString>) -> Result<Self> {
        let credential = credential.into();
        let text = credential.expose_secret();
        // `format_args!`: the name is formatted only for an error, not for every token.
        check_text(
            format_args!("the {scheme} credential"),
            text,
            TextRule::NoControl,
        )?;
        let name = scheme.as_str();
        let mut buffer = Zeroizing::new(Vec::with_capacity(name.len() + 1 + text.len()));
        buffer.extend_from_slice(name.as_bytes());
        buffer.push(b' ');
        buffer.extend_from_slice(text.as_bytes());
        let mut header = HeaderValue::from_maybe_shared(Bytes::from_owner(WipedOnDrop(buffer)))
            .map_err(|_| {
                Error::invalid_config(format!(
                    "the {scheme} credential cannot stand in an HTTP header value"
                ))
            })?;
        header.set_sensitive(true);
        Ok(Self(Arc::new(TokenInner {
            credential_start: name.len() + 1,
            scheme,
            header,
            expires_at: None,
            proof: None,
        })))
    }

    /// A `Bearer` token (RFC 6750).
    ///
    /// # Errors
    ///
    /// As [`Token::new`].
    pub fn bearer(credential: impl Into<SecretString>) -> Result<Self> {
        Self::new(Scheme::Bearer, credential)
    }

    /// The same token, expiring at `at`.
    #[must_use]
    pub fn with_expiry(self, at: SystemTime) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.0);
        inner.expires_at = Some(at);
        Self(Arc::new(inner))
    }

    /// The same token, bound to a key: every request it goes with also carries the header
    /// `proof` makes for that request (DPoP, RFC 9449).
    #[must_use]
    pub fn with_proof(self, proof: Arc<dyn RequestProof>) -> Self {
        let mut inner = Arc::unwrap_or_clone(self.0);
        inner.proof = Some(proof);
        Self(Arc::new(inner))
    }

    /// What makes this token's per-request proofs, if it is bound to a key.
    pub fn proof(&self) -> Option<&Arc<dyn RequestProof>> {
        self.0.proof.as_ref()
    }

    /// The proof header a request of `method` to `url` needs beside `Authorization`: `None`
    /// for a token that is not bound to a key (the common case, one branch).
    ///
    /// # Errors
    ///
    /// As [`RequestProof::prove`]: the proof could not be made, so the request must not go.
    pub fn proof_header(
        &self,
        method: &str,
        url: &str,
    ) -> Result<Option<(HeaderName, HeaderValue)>> {
        match &self.0.proof {
            None => Ok(None),
            Some(proof) => {
                let value = proof.prove(method, url, self.expose_credential())?;
                Ok(Some((proof.header_name().clone(), value)))
            }
        }
    }

    /// Shows the response to a request this token went with to its proof maker (which keeps
    /// the server's nonce). `true` means the server asks for the request once more with a new
    /// proof and the same token; always `false` for a token that is not bound.
    pub fn observe_response(&self, url: &str, status: u16, headers: &HeaderMap) -> bool {
        self.0
            .proof
            .as_ref()
            .is_some_and(|proof| proof.observe(url, status, headers))
    }

    /// The scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.0.scheme
    }

    /// The whole `Authorization` header value (`"<scheme> <credential>"`), marked sensitive.
    ///
    /// Borrowing it is free; `.clone()` it to put it on a request (a reference-count bump).
    pub fn header_value(&self) -> &HeaderValue {
        &self.0.header
    }

    /// The credential alone: the access token, the JWT, the base64 of `user:password`.
    ///
    /// # Security
    ///
    /// Do not log the returned text or put it in an error.
    pub fn expose_credential(&self) -> &str {
        let bytes = &self.0.header.as_bytes()[self.0.credential_start..];
        // The buffer was built from a `&str` at a char boundary, so this cannot fail.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// When the token stops being valid, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.0.expires_at
    }

    /// Whether the token is expired at `now`, or will be within `leeway` of it.
    ///
    /// A token without an expiry never expires. Pure: the caller supplies the time.
    pub fn is_expired_at(&self, now: SystemTime, leeway: Duration) -> bool {
        match self.0.expires_at {
            None => false,
            Some(expires_at) => match now.checked_add(leeway) {
                Some(deadline) => deadline >= expires_at,
                None => true,
            },
        }
    }

    /// An independent copy: same scheme, credential and expiry, in a buffer of its own.
    ///
    /// Clones share one reference count; a detached copy does not, so threads that each hold
    /// one never write to the same memory when they clone it. See
    /// [`TokenCell`](crate::cache::TokenCell).
    pub fn detached_copy(&self) -> Self {
        match Self::new(self.0.scheme.clone(), self.expose_credential()) {
            Ok(copy) => {
                let copy = match self.0.expires_at {
                    Some(at) => copy.with_expiry(at),
                    None => copy,
                };
                match &self.0.proof {
                    Some(proof) => copy.with_proof(Arc::clone(proof)),
                    None => copy,
                }
            }
            // The credential was valid when this token was made; it still is.
            Err(_) => self.clone(),
        }
    }

    /// Whether `other` carries the same scheme and credential (compared in constant time).
    ///
    /// Caching providers use this in [`invalidate`](crate::AuthProvider::invalidate) to drop
    /// exactly the token a server rejected and not a newer one.
    pub fn same_credential(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || constant_time_eq(self.0.header.as_bytes(), other.0.header.as_bytes())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("scheme", &self.0.scheme)
            .field("credential", &"[redacted]")
            .field("expires_at", &self.0.expires_at)
            .field("bound", &self.0.proof.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn header_value_is_precomputed_sensitive_and_shared_by_clones() {
        let token = Token::bearer("abc").unwrap();
        assert_eq!(token.header_value(), "Bearer abc");
        assert!(token.header_value().is_sensitive());
        assert_eq!(token.expose_credential(), "abc");
        let clone = token.clone();
        assert!(std::ptr::eq(
            token.header_value().as_bytes().as_ptr(),
            clone.header_value().as_bytes().as_ptr()
        ));
        let value = token.header_value().clone();
        assert_eq!(
            value.as_bytes().as_ptr(),
            token.header_value().as_bytes().as_ptr()
        );
    }

    #[test]
    fn debug_shows_no_credential() {
        let token = Token::new(Scheme::parse("DPoP").unwrap(), "marker-42").unwrap();
        let debug = format!("{token:?} {token:#?}");
        assert!(!debug.contains("marker-42"), "{debug}");
        assert!(debug.contains("DPoP"));
        assert!(!format!("{:?}", token.header_value()).contains("marker"));
    }

    #[test]
    fn rejects_empty_and_control_characters_without_echoing_them() {
        let err = Token::bearer("").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.message().contains("empty"), "{err}");
        for (credential, named) in [
            ("secret\r\nX-Evil: 1", "carriage return"),
            ("secret\n", "line feed"),
            ("sec\0ret", "NUL"),
            ("sec\u{7f}ret", "U+007F"),
        ] {
            let err = Token::bearer(credential).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(err.message().contains(named), "{err}");
            assert!(!err.to_string().contains(credential), "{err}");
            assert!(!err.to_string().contains("sec"), "{err}");
        }
    }

    #[test]
    fn scheme_parsing_normalises_known_names_and_rejects_bad_ones() {
        assert_eq!(Scheme::parse("bearer").unwrap(), Scheme::Bearer);
        assert_eq!(Scheme::parse("BASIC").unwrap(), Scheme::Basic);
        assert_eq!(Scheme::parse("DPoP").unwrap().as_str(), "DPoP");
        assert!(Scheme::parse("").unwrap_err().message().contains("empty"));
        assert!(
            Scheme::parse("Bear er")
                .unwrap_err()
                .message()
                .contains("space")
        );
    }

    #[test]
    fn expiry_with_leeway() {
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let token = Token::bearer("t").unwrap();
        assert!(!token.is_expired_at(start, Duration::MAX));
        let token = token.with_expiry(start + Duration::from_secs(100));
        assert_eq!(token.expires_at(), Some(start + Duration::from_secs(100)));
        assert!(!token.is_expired_at(start, Duration::ZERO));
        assert!(!token.is_expired_at(start + Duration::from_secs(89), Duration::from_secs(10)));
        assert!(token.is_expired_at(start + Duration::from_secs(90), Duration::from_secs(10)));
        assert!(token.is_expired_at(start + Duration::from_secs(100), Duration::ZERO));
        assert!(token.is_expired_at(start, Duration::MAX));
    }

    #[test]
    fn same_credential_compares_contents() {
        let a = Token::bearer("one").unwrap();
        assert!(a.same_credential(&a.clone()));
        assert!(a.same_credential(&Token::bearer("one").unwrap()));
        assert!(!a.same_credential(&Token::bearer("two").unwrap()));
        assert!(!a.same_credential(&Token::new(Scheme::Basic, "one").unwrap()));
    }

    #[derive(Debug, Default)]
    struct RecordingProof {
        seen: std::sync::Mutex<Vec<String>>,
    }

    impl RequestProof for RecordingProof {
        fn header_name(&self) -> &HeaderName {
            static NAME: HeaderName = HeaderName::from_static("dpop");
            &NAME
        }

        fn prove(&self, method: &str, url: &str, access_token: &str) -> Result<HeaderValue> {
            let line = format!("{method} {url} {access_token}");
            self.seen.lock().unwrap().push(line.clone());
            Ok(HeaderValue::from_str(&line.replace(' ', "_")).unwrap())
        }

        fn observe(&self, _url: &str, status: u16, _headers: &HeaderMap) -> bool {
            status == 401
        }
    }

    #[test]
    fn a_bound_token_makes_a_proof_per_request_and_an_unbound_one_none() {
        let plain = Token::bearer("abc").unwrap();
        assert!(plain.proof_header("GET", "https://a/x").unwrap().is_none());
        assert!(!plain.observe_response("https://a/x", 401, &HeaderMap::new()));

        let proof = Arc::new(RecordingProof::default());
        let bound = Token::new(Scheme::parse("DPoP").unwrap(), "abc")
            .unwrap()
            .with_expiry(SystemTime::UNIX_EPOCH)
            .with_proof(proof.clone());
        assert_eq!(bound.header_value(), "DPoP abc");
        let (name, value) = bound
            .proof_header("POST", "https://a/x?q")
            .unwrap()
            .unwrap();
        assert_eq!(name, "dpop");
        assert_eq!(value, "POST_https://a/x?q_abc");
        assert!(bound.observe_response("https://a/x", 401, &HeaderMap::new()));
        assert!(!bound.observe_response("https://a/x", 200, &HeaderMap::new()));
        // A detached copy stays bound, with its expiry.
        let copy = bound.detached_copy();
        assert!(copy.proof().is_some());
        assert_eq!(copy.expires_at(), Some(SystemTime::UNIX_EPOCH));
        copy.proof_header("GET", "https://b/").unwrap();
        assert_eq!(proof.seen.lock().unwrap().len(), 2);
        assert!(format!("{bound:?}").contains("bound: true"));
        assert!(!format!("{bound:?}").contains("abc"));
    }
}
