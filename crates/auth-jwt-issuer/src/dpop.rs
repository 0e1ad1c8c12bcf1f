//! DPoP (RFC 9449): a key that proves, request by request, that the client holding a token is
//! the one it was issued to. Each proof is a small JWT (`typ: dpop+jwt`, the public `jwk` in
//! its header; `jti`, `htm`, `htu`, `iat`, and `ath` and `nonce` when they apply), signed by
//! the same [`JwsSigner`] as every other JWT of this crate.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use auth_core::rejection::has_challenge_error;
use auth_core::{Clock, Error, Result, SystemClock};
use auth_keys::PrivateKey;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::WWW_AUTHENTICATE;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::algorithm::{Algorithm, KeyFamily};
use crate::jti::JtiSource;
use crate::jwk::PublicJwk;
use crate::signer::{JwsSigner, SharedSigner};
use crate::signing_key::SigningKey;

/// The request header a proof goes in, and the response header a server's nonce comes in.
pub const DPOP_HEADER: HeaderName = HeaderName::from_static("dpop");
/// The response header carrying the nonce the next proof must hold (RFC 9449 §8).
pub const DPOP_NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");

/// The longest nonce kept; a server's nonce is a short opaque string.
const MAX_NONCE_LEN: usize = 512;
/// Origins whose nonce is kept; beyond this the map starts afresh (a client talks to a few).
const MAX_ORIGINS: usize = 256;

/// A DPoP key: makes the proofs for token requests and for every request a DPoP-bound token
/// goes with, and keeps the latest nonce each server sent.
///
/// ```
/// use auth_jwt_issuer::{Algorithm, DpopKey};
///
/// let key = DpopKey::generate(Algorithm::Es256)?;
/// let proof = key.proof("POST", "https://idp.example/token?x=1", None)?;
/// assert_eq!(proof.split('.').count(), 3);
/// assert_eq!(key.thumbprint().len(), 43);
/// # Ok::<(), auth_core::Error>(())
/// ```
///
/// A token bound to this key carries it as its [`auth_core::RequestProof`], so every request
/// that token goes with gets a fresh proof with `ath`, the hash of the token.
pub struct DpopKey {
    signer: SharedSigner,
    jwk: PublicJwk,
    /// `base64url(header) + "."`, the same for every proof of this key.
    header_prefix: String,
    jti: JtiSource,
    clock: Arc<dyn Clock>,
    /// The latest `DPoP-Nonce` of each origin (`scheme://host:port`).
    nonces: Mutex<HashMap<String, Arc<str>>>,
}

impl DpopKey {
    /// A fresh key of `algorithm` (ES256, ES384 or EdDSA), made in memory and never written
    /// anywhere: tokens bound to it are good for this process only.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for an RSA algorithm (RSA keys are slow to make
    /// and this crate does not make them: give a key file) or one DPoP cannot use.
    pub fn generate(algorithm: Algorithm) -> Result<Self> {
        use ring::signature::{
            ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
            Ed25519KeyPair,
        };
        let rng = ring::rand::SystemRandom::new();
        let failed = |_| Error::key_material("the system could not make a new DPoP key");
        let pkcs8 = match algorithm {
            Algorithm::Es256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(failed)?
            }
            Algorithm::Es384 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P384_SHA384_FIXED_SIGNING, &rng)
                    .map_err(failed)?
            }
            Algorithm::EdDsa => Ed25519KeyPair::generate_pkcs8(&rng).map_err(failed)?,
            other if other.key_family() == KeyFamily::Rsa => {
                return Err(Error::invalid_config(format!(
                    "a DPoP key for {other} is not generated here (RSA keys are slow to make); \
                     give a key file (`key_file`), or choose ES256, ES384 or EdDSA"
                )));
            }
            other => return Err(not_for_dpop(other)),
        };
        let key = PrivateKey::from_pem_or_der(pkcs8.as_ref(), None, "the generated DPoP key")?;
        Self::new(SigningKey::new(algorithm, &key)?)
    }

    /// A DPoP key signing with `signer`, whose public key it publishes in each proof.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the signer's algorithm is symmetric or
    /// `none` (RFC 9449 §4.2), or when it does not say what its public key is
    /// ([`JwsSigner::public_jwk`]).
    pub fn new(signer: impl JwsSigner + 'static) -> Result<Self> {
        Self::from_shared(Arc::new(signer))
    }

    /// As [`new`](Self::new), for a signer already shared.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn from_shared(signer: SharedSigner) -> Result<Self> {
        let algorithm = signer.algorithm();
        if matches!(
            algorithm.key_family(),
            KeyFamily::Secret | KeyFamily::Nothing
        ) {
            return Err(not_for_dpop(algorithm));
        }
        let jwk = signer.public_jwk().ok_or_else(|| {
            Error::invalid_config(format!(
                "the {algorithm} signer does not say what its public key is \
                 (`JwsSigner::public_jwk`), which every DPoP proof carries"
            ))
        })?;
        let header = format!(
            r#"{{"typ":"dpop+jwt","alg":"{}","jwk":{}}}"#,
            algorithm.as_str(),
            jwk.json()
        );
        Ok(Self {
            header_prefix: format!("{}.", URL_SAFE_NO_PAD.encode(header)),
            signer,
            jwk,
            jti: JtiSource::new(),
            clock: Arc::new(SystemClock::default()),
            nonces: Mutex::new(HashMap::new()),
        })
    }

    /// The same key, taking `iat` from `clock` (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The algorithm proofs are signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.signer.algorithm()
    }

    /// The public key every proof carries.
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// The key's RFC 7638 thumbprint: what a server binds tokens to (`cnf.jkt`), and what the
    /// token request's `dpop_jkt` would name.
    pub fn thumbprint(&self) -> &str {
        self.jwk.thumbprint()
    }

    /// A proof for a request of `method` to `url`, with `ath` when it goes with
    /// `access_token`, and the latest nonce the server at `url`'s origin sent, if any.
    ///
    /// # Errors
    ///
    /// As the signer's [`sign`](JwsSigner::sign).
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> Result<String> {
        let nonce = self.nonce_for(url);
        self.proof_with_nonce(method, url, access_token, nonce.as_deref())
    }

    /// As [`proof`](Self::proof), with `nonce` in place of the remembered one.
    ///
    /// # Errors
    ///
    /// As the signer's [`sign`](JwsSigner::sign).
    pub fn proof_with_nonce(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let ath = access_token.map(access_token_hash);
        self.sign_proof(method, url, ath.as_deref(), nonce)
    }

    /// A proof with `ath` already hashed (see [`DpopBinding`]).
    fn sign_proof(
        &self,
        method: &str,
        url: &str,
        ath: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String> {
        let iat = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let jti = URL_SAFE_NO_PAD.encode(self.jti.next()?);
        let mut claims = String::with_capacity(160 + url.len() + nonce.map_or(0, str::len));
        claims.push_str(r#"{"jti":""#);
        claims.push_str(&jti);
        claims.push_str(r#"","htm":"#);
        push_json_string(&mut claims, method);
        claims.push_str(r#","htu":"#);
        push_json_string(&mut claims, &target_uri(url));
        claims.push_str(r#","iat":"#);
        claims.push_str(&iat.to_string());
        if let Some(ath) = ath {
            claims.push_str(r#","ath":""#);
            claims.push_str(ath);
            claims.push('"');
        }
        if let Some(nonce) = nonce {
            claims.push_str(r#","nonce":"#);
            push_json_string(&mut claims, nonce);
        }
        claims.push('}');

        let mut jwt = String::with_capacity(self.header_prefix.len() + 2 * claims.len() + 350);
        jwt.push_str(&self.header_prefix);
        URL_SAFE_NO_PAD.encode_string(claims.as_bytes(), &mut jwt);
        let signature = self.signer.sign(jwt.as_bytes())?;
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
        Ok(jwt)
    }

    /// This key bound to one access token: the [`auth_core::RequestProof`] a DPoP-bound token
    /// carries, whose proofs hold that token's `ath`, hashed once rather than per request.
    pub fn bind(key: &Arc<Self>, access_token: &str) -> DpopBinding {
        DpopBinding {
            key: Arc::clone(key),
            ath: access_token_hash(access_token),
        }
    }

    /// The latest nonce the server at `url`'s origin sent, if any.
    pub fn nonce_for(&self, url: &str) -> Option<Arc<str>> {
        self.lock_nonces().get(&*origin(url)).cloned()
    }

    /// Keeps `nonce` for the next proofs to `url`'s origin. A value that cannot be a nonce
    /// (RFC 9449 §8: printable ASCII, no `"` or `\`) or is over 512 bytes is ignored, and so
    /// returns `false`; a nonce that changes what is kept returns `true`.
    pub fn remember_nonce(&self, url: &str, nonce: &str) -> bool {
        let valid = !nonce.is_empty()
            && nonce.len() <= MAX_NONCE_LEN
            && nonce
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
        if !valid {
            return false;
        }
        let mut nonces = self.lock_nonces();
        let origin = origin(url);
        if nonces.get(&*origin).is_some_and(|kept| &**kept == nonce) {
            return false;
        }
        if nonces.len() >= MAX_ORIGINS && !nonces.contains_key(&*origin) {
            nonces.clear();
        }
        nonces.insert(origin.into_owned(), Arc::from(nonce));
        true
    }

    /// Keeps the `DPoP-Nonce` of a response from `url`; `true` when the response carried a
    /// usable nonce (new or not).
    pub fn observe_headers(&self, url: &str, headers: &HeaderMap) -> bool {
        let Some(nonce) = headers
            .get(DPOP_NONCE_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
        else {
            return false;
        };
        self.remember_nonce(url, nonce);
        self.nonce_for(url).is_some_and(|kept| &*kept == nonce)
    }

    fn lock_nonces(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<str>>> {
        self.nonces.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl auth_core::RequestProof for DpopKey {
    fn header_name(&self) -> &HeaderName {
        static NAME: HeaderName = DPOP_HEADER;
        &NAME
    }

    fn prove(&self, method: &str, url: &str, access_token: &str) -> Result<HeaderValue> {
        let proof = self.proof(method, url, Some(access_token))?;
        // base64url and dots only.
        HeaderValue::try_from(proof)
            .map_err(|_| Error::other("the DPoP proof is not a valid header value"))
    }

    fn observe(&self, url: &str, status: u16, headers: &HeaderMap) -> bool {
        // Asked again whether or not the nonce is new to this key: a concurrent request may
        // have stored it after this request's proof was made. Callers send once more at most.
        let nonce_given = self.observe_headers(url, headers);
        nonce_given
            && status == 401
            && headers
                .get_all(WWW_AUTHENTICATE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .any(|value| has_challenge_error(value, "DPoP", "use_dpop_nonce"))
    }
}

/// A [`DpopKey`] bound to one access token (see [`DpopKey::bind`]): every proof it makes
/// carries that token's `ath`, and the key's latest nonce for the request's server.
pub struct DpopBinding {
    key: Arc<DpopKey>,
    /// base64url(SHA-256(access token)).
    ath: String,
}

impl DpopBinding {
    /// The key the proofs are signed with.
    pub fn key(&self) -> &Arc<DpopKey> {
        &self.key
    }
}

impl auth_core::RequestProof for DpopBinding {
    fn header_name(&self) -> &HeaderName {
        self.key.header_name()
    }

    fn prove(&self, method: &str, url: &str, _access_token: &str) -> Result<HeaderValue> {
        let nonce = self.key.nonce_for(url);
        let proof = self
            .key
            .sign_proof(method, url, Some(&self.ath), nonce.as_deref())?;
        HeaderValue::try_from(proof)
            .map_err(|_| Error::other("the DPoP proof is not a valid header value"))
    }

    fn observe(&self, url: &str, status: u16, headers: &HeaderMap) -> bool {
        self.key.observe(url, status, headers)
    }
}

impl fmt::Debug for DpopBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopBinding")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.algorithm())
            .field("thumbprint", &self.thumbprint())
            .field("origins_with_nonce", &self.lock_nonces().len())
            .finish_non_exhaustive()
    }
}

/// `ath`: base64url(SHA-256(access token)) (RFC 9449 §4.2).
fn access_token_hash(access_token: &str) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.as_ref())
}

fn not_for_dpop(algorithm: Algorithm) -> Error {
    Error::invalid_config(format!(
        "DPoP proofs need an asymmetric algorithm (RFC 9449 §4.2), not {algorithm}; choose \
         ES256 (the default), ES384, EdDSA, RS256 or PS256"
    ))
}

/// The `htu` of a request: its URL without query and fragment (RFC 9449 §4.2), and without
/// user info, which would otherwise travel in the proof.
fn target_uri(url: &str) -> std::borrow::Cow<'_, str> {
    let url = url.find(['?', '#']).map_or(url, |end| &url[..end]);
    let (scheme_end, authority, rest) = split_authority(url);
    match authority.rfind('@') {
        Some(at) => format!("{}{}{rest}", &url[..scheme_end], &authority[at + 1..]).into(),
        None => url.into(),
    }
}

/// `scheme://authority` of `url` without user info, the key nonces are kept under (RFC 9449
/// §8: per server).
fn origin(url: &str) -> std::borrow::Cow<'_, str> {
    let (scheme_end, authority, _) = split_authority(url);
    match authority.rfind('@') {
        // Rare enough to allocate for.
        Some(at) => format!("{}{}", &url[..scheme_end], &authority[at + 1..]).into(),
        None => url[..scheme_end + authority.len()].into(),
    }
}

/// Where the authority starts (after `://`), the authority, and what follows it.
fn split_authority(url: &str) -> (usize, &str, &str) {
    let start = url.find("://").map_or(0, |at| at + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |at| start + at);
    (start, &url[start..end], &url[end..])
}

fn push_json_string(out: &mut String, text: &str) {
    // Infallible for a `&str`; serde_json escapes quotes, backslashes and control characters.
    if let Ok(quoted) = serde_json::to_string(text) {
        out.push_str(&quoted);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_and_origin_drop_what_they_should() {
        assert_eq!(
            target_uri("https://a.example:8443/p/q?x=1#f"),
            "https://a.example:8443/p/q"
        );
        assert_eq!(target_uri("https://a/p#f?x"), "https://a/p");
        assert_eq!(
            origin("https://a.example:8443/p?x"),
            "https://a.example:8443"
        );
        assert_eq!(origin("https://a.example?x"), "https://a.example");
        assert_eq!(origin("https://a.example"), "https://a.example");
        assert_eq!(
            target_uri("https://user:pw@a.example/p?x"),
            "https://a.example/p",
            "no user info in a proof"
        );
        assert_eq!(
            origin("https://user:pw@a.example:1/p"),
            "https://a.example:1"
        );
    }

    #[test]
    fn nonces_are_kept_per_origin_and_bad_ones_ignored() {
        let key = DpopKey::generate(Algorithm::Es256).unwrap();
        assert!(key.remember_nonce("https://a/x", "n-1"));
        assert!(!key.remember_nonce("https://a/y", "n-1"), "not new");
        assert_eq!(key.nonce_for("https://a/z?q").as_deref(), Some("n-1"));
        assert!(key.nonce_for("https://b/").is_none());
        for bad in ["", "with space", "quo\"te", "back\\slash", &"n".repeat(513)] {
            assert!(!key.remember_nonce("https://b/", bad), "{bad}");
        }
        assert!(key.nonce_for("https://b/").is_none());
    }

    #[test]
    fn symmetric_and_rsa_generation_are_refused_with_what_to_do() {
        let hmac = SigningKey::hmac(Algorithm::Hs256, "a shared secret of 32 bytes!!!!!").unwrap();
        let error = DpopKey::new(hmac).unwrap_err();
        assert!(error.message().contains("asymmetric"), "{error}");
        let error = DpopKey::generate(Algorithm::Rs256).unwrap_err();
        assert!(error.message().contains("key_file"), "{error}");
        assert!(DpopKey::generate(Algorithm::None).is_err());
    }
}
