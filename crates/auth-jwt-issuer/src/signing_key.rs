//! The built-in signer: a key held in this process, parsed once.

use std::fmt;
use std::path::Path;

use auth_core::{Error, Result, SecretString};
use auth_keys::PrivateKey;

use crate::algorithm::{Algorithm, KeyFamily};
use crate::backend::{Backend, BackendKey, KeyInput};
use crate::jwk::PublicJwk;
use crate::signer::JwsSigner;

/// A signing key held in this process: an RSA, EC or Ed25519 private key, an HMAC secret, or
/// nothing (`alg: none`). It is decoded, checked against its algorithm and parsed into the
/// crypto library's key once, when it is made; signing then costs one signature.
///
/// ```
/// use auth_jwt_issuer::{Algorithm, JwsSigner, SigningKey};
///
/// let key = SigningKey::hmac(Algorithm::Hs256, "a shared secret of at least 32 bytes!")?
///     .with_key_id("hmac-1");
/// assert_eq!(key.algorithm(), Algorithm::Hs256);
/// assert_eq!(key.sign(b"input")?.len(), 32);
/// # Ok::<(), auth_core::Error>(())
/// ```
///
/// A key that does not fit the algorithm (an EC key for RS256, an RSA key under 2048 bits, an
/// HMAC secret shorter than the hash) is refused with a message naming both.
pub struct SigningKey {
    algorithm: Algorithm,
    key_id: Option<String>,
    /// `None` for `alg: none`.
    key: Option<BackendKey>,
    /// A keyed hash of the key material (see [`JwsSigner::key_fingerprint`]).
    fingerprint: Option<SecretString>,
    /// The public key, for DPoP proofs; `None` for HMAC and `none`.
    public_jwk: Option<PublicJwk>,
}

impl SigningKey {
    /// Signs with `key` for `algorithm`, on the default [`Backend`].
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when the key does not fit
    /// the algorithm or the crypto library refuses it;
    /// [`auth_core::ErrorKind::InvalidConfig`] for
    /// [`Algorithm::None`] (use [`unsigned`](Self::unsigned)).
    pub fn new(algorithm: Algorithm, key: &PrivateKey) -> Result<Self> {
        Self::with_backend(algorithm, key, Backend::default())
    }

    /// As [`new`](Self::new), on a chosen backend.
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_backend(algorithm: Algorithm, key: &PrivateKey, backend: Backend) -> Result<Self> {
        if algorithm == Algorithm::None {
            return Err(none_with_a_key(key.origin()));
        }
        let parsed = BackendKey::new(backend, algorithm, &KeyInput::Private(key))?;
        let public_jwk = match parsed.public_key() {
            Some(public) => Some(PublicJwk::from_public_key(algorithm, &public)?),
            None => None,
        };
        Ok(Self {
            algorithm,
            key_id: None,
            key: Some(parsed),
            fingerprint: Some(fingerprint(key.expose_der())),
            public_jwk,
        })
    }

    /// Reads a key file (PEM or DER, possibly encrypted) and signs with it for `algorithm`.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when the file cannot be
    /// read, decrypted or used with the algorithm; messages name the file, never the password.
    pub fn from_file(
        algorithm: Algorithm,
        path: impl AsRef<Path>,
        password: Option<SecretString>,
    ) -> Result<Self> {
        Self::new(algorithm, &PrivateKey::from_file(path, password.as_ref())?)
    }

    /// Signs with a key given as PEM text or DER bytes, possibly encrypted.
    ///
    /// # Errors
    ///
    /// As [`from_file`](Self::from_file).
    pub fn from_pem_or_der(
        algorithm: Algorithm,
        bytes: &[u8],
        password: Option<SecretString>,
    ) -> Result<Self> {
        let key = PrivateKey::from_pem_or_der(bytes, password.as_ref(), "the key bytes given")?;
        Self::new(algorithm, &key)
    }

    /// Signs with the key under `alias` (matched ignoring case) in a PKCS#12 keystore; the key
    /// password is needed only when it differs from the store password (feature `pkcs12`).
    ///
    /// # Errors
    ///
    /// As [`from_file`](Self::from_file); a missing alias is named with the aliases present.
    #[cfg(feature = "pkcs12")]
    #[cfg_attr(docsrs, doc(cfg(feature = "pkcs12")))]
    pub fn from_pkcs12_file(
        algorithm: Algorithm,
        path: impl AsRef<Path>,
        store_password: impl Into<SecretString>,
        alias: &str,
        key_password: Option<SecretString>,
    ) -> Result<Self> {
        let key = PrivateKey::from_pkcs12_file(
            path,
            &store_password.into(),
            alias,
            key_password.as_ref(),
        )?;
        Self::new(algorithm, &key)
    }

    /// Signs with HS256/384/512 and a shared secret at least as long as the hash (RFC 7518
    /// §3.2).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for an algorithm other than HS256/384/512;
    /// [`auth_core::ErrorKind::KeyMaterial`] for a short secret.
    pub fn hmac(algorithm: Algorithm, secret: impl Into<SecretString>) -> Result<Self> {
        let secret = secret.into();
        match algorithm.key_family() {
            KeyFamily::Secret => {}
            KeyFamily::Nothing => return Err(none_with_a_key("the shared secret")),
            _ => {
                return Err(Error::invalid_config(format!(
                    "{algorithm} signs with a private key, not a shared secret; use \
                     `SigningKey::from_file` (or another key constructor) for it, or choose \
                     HS256, HS384 or HS512 for a shared secret"
                )));
            }
        }
        Ok(Self {
            algorithm,
            key_id: None,
            key: Some(BackendKey::new(
                Backend::default(),
                algorithm,
                &KeyInput::Secret(&secret),
            )?),
            fingerprint: Some(fingerprint(secret.expose_secret().as_bytes())),
            public_jwk: None,
        })
    }

    /// Signs nothing: unsecured JWTs, `alg: none`, `header.payload.` (RFC 7519 §6.1). Only for
    /// peers that ask for it.
    pub fn unsigned() -> Self {
        Self {
            algorithm: Algorithm::None,
            key_id: None,
            key: None,
            fingerprint: None,
            public_jwk: None,
        }
    }

    /// The same key, naming itself `key_id` in the header's `kid`.
    #[must_use]
    pub fn with_key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    /// The library that signs (`None` for an unsigned key).
    pub fn backend(&self) -> Option<Backend> {
        self.key.as_ref().map(BackendKey::backend)
    }
}

/// HMAC-SHA256 keyed with the key material over a fixed label, base64url: the same for the
/// same key, and of no use for signing or for recovering the key.
fn fingerprint(material: &[u8]) -> SecretString {
    use base64::Engine as _;
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, material);
    let tag = ring::hmac::sign(&key, b"auth-jwt-issuer key fingerprint v1");
    SecretString::from(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

fn none_with_a_key(origin: &str) -> Error {
    Error::invalid_config(format!(
        "algorithm `none` signs nothing, but {origin} was given; use `SigningKey::unsigned()` \
         (`algorithm = \"none\"` with no key config) or choose a signing algorithm"
    ))
}

impl JwsSigner for SigningKey {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn key_fingerprint(&self) -> Option<SecretString> {
        self.fingerprint.clone()
    }

    fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    fn public_jwk(&self) -> Option<PublicJwk> {
        self.public_jwk.clone()
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
        match &self.key {
            Some(key) => key.sign(signing_input),
            None => Ok(Vec::new()),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    /// RFC 7515 Appendix A.2: RS256 is deterministic, so the published key and signing input
    /// must give the published signature byte for byte, on every backend.
    #[test]
    fn rfc7515_appendix_a2_rs256_byte_for_byte() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/rfc7515-a2.pem");
        let key = PrivateKey::from_file(&path, None).unwrap();
        let input = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        for backend in Backend::all() {
            let signer = SigningKey::with_backend(Algorithm::Rs256, &key, *backend).unwrap();
            assert_eq!(signer.backend(), Some(*backend));
            let signature = signer.sign(input).unwrap();
            assert_eq!(
                URL_SAFE_NO_PAD.encode(signature),
                "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw",
                "{}",
                backend.name()
            );
        }
    }

    #[test]
    fn fingerprints_are_stable_per_key_distinct_between_keys_and_not_the_key() {
        let secret = "hmac-secret-marker-long-enough-for-hs384-which-wants-48-bytes!!";
        let one = SigningKey::hmac(Algorithm::Hs256, secret).unwrap();
        let same = SigningKey::hmac(Algorithm::Hs384, secret).unwrap();
        let other = SigningKey::hmac(Algorithm::Hs256, "another-secret-of-32-bytes-or-so").unwrap();
        let print = |key: &SigningKey| key.key_fingerprint().unwrap().expose_secret().to_owned();
        assert_eq!(
            print(&one),
            print(&same),
            "a property of the key, not the algorithm"
        );
        assert_ne!(print(&one), print(&other));
        assert!(!print(&one).contains("marker"));
        assert_eq!(print(&one).len(), 43, "32 bytes, base64url");

        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/rfc7515-a2.pem");
        let key = PrivateKey::from_file(&path, None).unwrap();
        let rsa = SigningKey::new(Algorithm::Rs256, &key).unwrap();
        let again = SigningKey::new(Algorithm::Ps256, &key).unwrap();
        assert_eq!(print(&rsa), print(&again));
        assert_ne!(print(&rsa), print(&one));
        assert!(SigningKey::unsigned().key_fingerprint().is_none());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key = SigningKey::hmac(Algorithm::Hs256, "hmac-secret-marker-of-32-bytes!!").unwrap();
        let debug = format!("{key:?}");
        assert!(!debug.contains("marker"), "{debug}");
        assert!(debug.contains("Hs256"), "{debug}");
    }
}
