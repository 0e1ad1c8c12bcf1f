//! Self-signed JWTs for the `auth-*` workspace: Ballerina's "self-signed JWT auth", usable as
//! an [`AuthProvider`](auth_core::AuthProvider) that puts `Bearer <jwt>` on requests
//! ([`JwtProvider`]), or alone as a synchronous signer ([`JwtIssuer`]) in a program with no
//! HTTP stack and no async runtime.
//!
//! ```
//! use auth_jwt_issuer::{Algorithm, JwtIssuer};
//!
//! let issuer = JwtIssuer::builder()
//!     .username("svc")
//!     .issuer("acme")
//!     .audience("api")
//!     .custom_claim("scp", "read write")
//!     .hmac_secret(Algorithm::Hs256, "a shared secret of at least 32 bytes!")
//!     .build()?;
//! let jwt = issuer.issue()?;
//! assert!(jwt.expose_secret().starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."));
//! # Ok::<(), auth_core::Error>(())
//! ```
//!
//! # Algorithms
//!
//! RS256 (default), RS384, RS512 as in Ballerina; PS256/384/512, ES256 (P-256), ES384
//! (P-384), EdDSA (Ed25519) and HS256/384/512 (shared secret) beyond it; `none` only when
//! asked for by name, emitted as `header.payload.` (RFC 7519 §6.1). Signing uses `ring`. A key
//! that does not fit the algorithm, or an RSA key under 2048 bits, is refused when the issuer
//! is built.
//!
//! # Keys
//!
//! Read once, when the issuer is built, and wiped from memory when dropped:
//!
//! - PEM `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY` (SEC1), with any
//!   text before `-----BEGIN` ignored; the same structures as DER;
//! - `ENCRYPTED PRIVATE KEY`: PBES2 (AES-128/192/256-CBC or DES-EDE3-CBC, PBKDF2 with
//!   HMAC-SHA1/SHA-2, or scrypt) and the PKCS#12 PBE schemes with SHA-1 and two- or three-key
//!   triple DES;
//! - OpenSSL's traditional encrypted PEM (`Proc-Type: 4,ENCRYPTED`, AES-*-CBC or DES-EDE3-CBC);
//! - PKCS#12 keystores by alias (matched ignoring case): OpenSSL 3, OpenSSL `-legacy` and Java
//!   keytool files, including a key password that differs from the store password.
//!
//! # Differences from Ballerina
//!
//! - A fresh random `jti` per token when none is configured.
//! - A custom claim may not override a registered claim; that is a configuration error.
//! - `none` must be asked for; a config with no signature config is an error, and the unsigned
//!   form ends with the `.` RFC 7519 requires.
//! - Compact JSON (`{"alg":"RS256","typ":"JWT"}`), so header prefixes differ from Ballerina's
//!   `{"alg":"RS256", "typ":"JWT"}`; both are valid JSON and verify the same way.
//! - HS* secrets must be as long as the hash (RFC 7518 §3.2): 32, 48 or 64 bytes.
//! - Tokens are cached (see [`JwtProvider`]).
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod config;
mod issuer;
mod keys;
mod provider;
mod signer;

pub use algorithm::Algorithm;
pub use config::{Audience, DEFAULT_EXP_TIME_SECS, IssuerConfig, KeyConfig, SignatureConfig};
pub use issuer::{IssuerBuilder, JwtIssuer};
pub use keys::decode_private_key_pem;
pub use provider::{DEFAULT_LEEWAY, JwtProvider};

/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`); not a stable API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    use auth_core::SecretString;

    /// Reads a PKCS#12 keystore from bytes and selects `alias`.
    pub fn load_keystore(data: &[u8], password: &str, alias: &str) -> bool {
        crate::keys::load_keystore_bytes(
            data,
            std::path::Path::new("fuzz input"),
            &SecretString::from(password),
            alias,
            None,
        )
        .is_ok()
    }
}
