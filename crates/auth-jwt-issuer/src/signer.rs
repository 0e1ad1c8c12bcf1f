//! The signer trait: what a JWS needs from a key, wherever the key lives.

use std::fmt;
use std::sync::Arc;

use auth_core::{Result, SecretString};

use crate::algorithm::Algorithm;
use crate::jwk::PublicJwk;

/// Signs JWS signing inputs (`base64url(header) "." base64url(claims)`) for a
/// [`JwtIssuer`](crate::JwtIssuer): a self-signed token, a `private_key_jwt` client assertion,
/// a jwt-bearer assertion.
///
/// [`SigningKey`](crate::SigningKey) implements it for keys held in this process; implement it
/// yourself for a key in an HSM, a TPM or a cloud KMS, which never leaves it.
///
/// ```
/// use auth_core::Result;
/// use auth_jwt_issuer::{Algorithm, JwsSigner, JwtIssuer};
///
/// /// Stands in for a key that lives in a hardware module.
/// #[derive(Debug)]
/// struct Hsm;
///
/// impl JwsSigner for Hsm {
///     fn algorithm(&self) -> Algorithm {
///         Algorithm::Es256
///     }
///     fn key_id(&self) -> Option<&str> {
///         Some("hsm-key-7")
///     }
///     fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
///         // Send `signing_input` to the module; return its raw signature (for ES256, r || s).
///         Ok(vec![0; 64])
///     }
/// }
///
/// let issuer = JwtIssuer::builder().issuer("svc").signer(Hsm).build()?;
/// let jwt = issuer.issue()?;
/// assert!(jwt.expose_secret().starts_with("eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImhzbS1rZXktNyJ9."));
/// # Ok::<(), auth_core::Error>(())
/// ```
///
/// # Synchronous, on purpose
///
/// `sign` is a plain function. The JWT signer is used alone by programs with no async runtime
/// (`JwtIssuer::issue` is synchronous), per request for DPoP proofs, and by hardware modules
/// whose interfaces (PKCS#11, TPM) are synchronous. A signature is needed only when a token is
/// issued, never for each request that reuses it, so a remote signer that blocks for a network
/// round trip costs one blocked thread per renewal: `JwtProvider` signs on the task of the one
/// caller that found its token stale (the others wait without blocking; on a current-thread
/// runtime the whole runtime waits), and `auth-oauth2` signs its assertions on Tokio's blocking
/// threads, within its request timeout.
pub trait JwsSigner: Send + Sync + fmt::Debug {
    /// The `alg` the signature is made with. [`Algorithm::None`] signs nothing (an unsecured
    /// JWT, `header.payload.`); only [`SigningKey::unsigned`](crate::SigningKey::unsigned)
    /// should say so.
    fn algorithm(&self) -> Algorithm;

    /// The `kid` for the header, unless the issuer sets its own. Default: none.
    fn key_id(&self) -> Option<&str> {
        None
    }

    /// The raw signature of `signing_input` (for ECDSA the fixed-size `r || s` form JWS uses,
    /// RFC 7518 §3.4), or an empty vector for [`Algorithm::None`].
    ///
    /// # Errors
    ///
    /// An [`auth_core::Error`] when the signature cannot be made (a hardware module that is
    /// unreachable, say); it reaches the caller of `issue` or `token` unchanged.
    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>>;

    /// A secret that only holders of this key can compute and that stays the same for the
    /// same key: a keyed hash of the key material, never the key itself. Token stores derive
    /// their encryption key and record names from it when no encryption key is configured,
    /// so a store's content is of no use to anybody without the key. Default `None` (a key in
    /// a hardware module cannot be read): such a store then needs an encryption key of its own.
    fn key_fingerprint(&self) -> Option<SecretString> {
        None
    }

    /// The public key as a JWK, for proofs that carry it (DPoP). Default `None`: such a signer
    /// cannot make DPoP proofs until it says what its public key is.
    fn public_jwk(&self) -> Option<PublicJwk> {
        None
    }
}

impl<T: JwsSigner + ?Sized> JwsSigner for Arc<T> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }

    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
        (**self).sign(signing_input)
    }

    fn key_fingerprint(&self) -> Option<SecretString> {
        (**self).key_fingerprint()
    }

    fn public_jwk(&self) -> Option<PublicJwk> {
        (**self).public_jwk()
    }
}

impl<T: JwsSigner + ?Sized> JwsSigner for Box<T> {
    fn algorithm(&self) -> Algorithm {
        (**self).algorithm()
    }

    fn key_id(&self) -> Option<&str> {
        (**self).key_id()
    }

    fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>> {
        (**self).sign(signing_input)
    }

    fn key_fingerprint(&self) -> Option<SecretString> {
        (**self).key_fingerprint()
    }

    fn public_jwk(&self) -> Option<PublicJwk> {
        (**self).public_jwk()
    }
}

/// A signer behind an `Arc`, as issuers and OAuth2 configs hold it.
pub type SharedSigner = Arc<dyn JwsSigner>;
