#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod classify;
#[cfg(all(feature = "encrypted-pkcs8", any(test, feature = "fuzzing")))]
mod crafted;
mod der_walk;
#[cfg(feature = "encrypted-pkcs8")]
mod encrypted_pkcs8;
#[cfg(feature = "encrypted-pkcs8")]
mod kdf_limits;
mod pem_out;
#[cfg(feature = "pkcs12")]
pub mod pkcs12;
#[cfg(feature = "pkcs12")]
mod separate_key_password;
#[cfg(feature = "legacy-pem")]
mod traditional;

use std::fmt;
use std::path::Path;

use auth_core::file::{MAX_FILE_BYTES, read_bounded};
use auth_core::{Error, ErrorKind, Result, SecretString};
use zeroize::Zeroizing;

#[cfg(feature = "encrypted-pkcs8")]
#[cfg_attr(docsrs, doc(cfg(feature = "encrypted-pkcs8")))]
pub use kdf_limits::{MAX_KDF_ITERATIONS, MAX_SCRYPT_WORK_BYTES};

/// What kind of key a [`PrivateKey`] is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA, with the modulus size in bits.
    #[non_exhaustive]
    Rsa {
        /// The modulus size.
        bits: usize,
    },
    /// EC on P-256 (ES256).
    EcP256,
    /// EC on P-384 (ES384).
    EcP384,
    /// Ed25519 (EdDSA).
    Ed25519,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "an RSA key of {bits} bits"),
            Self::EcP256 => f.write_str("an EC P-256 key"),
            Self::EcP384 => f.write_str("an EC P-384 key"),
            Self::Ed25519 => f.write_str("an Ed25519 key"),
        }
    }
}

/// A decoded, unencrypted private key, wiped from memory when dropped.
///
/// Its DER is in the form signers and TLS libraries take: PKCS#1 `RSAPrivateKey` for RSA,
/// PKCS#8 v1 (with the public key inside) for EC and PKCS#8 for Ed25519.
#[derive(Clone)]
pub struct PrivateKey {
    kind: KeyKind,
    der: Zeroizing<Vec<u8>>,
    origin: String,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    pub(crate) fn new(kind: KeyKind, der: Zeroizing<Vec<u8>>, origin: &str) -> Self {
        Self {
            kind,
            der,
            origin: origin.to_owned(),
        }
    }

    /// Decodes a key from PEM text (anything before `-----BEGIN` is ignored) or DER bytes,
    /// decrypting it with `password` when it is encrypted. A password given for an unencrypted
    /// key is ignored, as in Ballerina. `origin` names the key in messages
    /// (`` "key file `client.key`" ``).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] naming `origin`: not a
    /// private key, an unsupported algorithm or curve, encrypted without a password, a wrong
    /// password, an unsupported or too costly encryption scheme, or a format whose feature is
    /// off.
    pub fn from_pem_or_der(
        bytes: &[u8],
        password: Option<&SecretString>,
        origin: &str,
    ) -> Result<Self> {
        if bytes.first() == Some(&0x30) {
            return from_der(bytes, password, origin);
        }
        let Some(start) = find(bytes, b"-----BEGIN ") else {
            return Err(Error::key_material(format!(
                "{origin} is neither PEM (no `-----BEGIN` line) nor DER"
            )));
        };
        let block = pem::parse(&bytes[start..]).map_err(|e| {
            Error::key_material(format!("{origin} holds a malformed PEM block ({e})"))
        })?;
        let tag = block.tag().to_owned();
        let dek_info = block.headers().get("DEK-Info").map(str::to_owned);
        // Move the decoded bytes (the key itself, for an unencrypted block) into a wiped buffer.
        let body = Zeroizing::new(block.into_contents());
        match tag.as_str() {
            "PRIVATE KEY" => classify::classify(&body, origin),
            "ENCRYPTED PRIVATE KEY" => {
                let password = need_password(password, "PKCS#8 key", origin)?;
                decrypt_pkcs8(&body, password, origin)
            }
            "RSA PRIVATE KEY" | "EC PRIVATE KEY" => match dek_info.as_deref() {
                None => classify::classify(&body, origin),
                Some(dek_info) => {
                    let password = need_password(password, "PEM key", origin)?;
                    decrypt_traditional(&body, dek_info, password, origin)
                }
            },
            "CERTIFICATE" | "PUBLIC KEY" | "RSA PUBLIC KEY" | "TRUSTED CERTIFICATE" => {
                Err(Error::key_material(format!(
                    "{origin} holds a {} (a public part), not a private key",
                    tag.to_lowercase()
                )))
            }
            other => Err(Error::key_material(format!(
                "{origin} holds a PEM block labelled `{other}`; expected PRIVATE KEY, ENCRYPTED \
                 PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY"
            ))),
        }
    }

    /// Reads and decodes a key file (PEM or DER, at most 1 MiB, a regular file).
    ///
    /// # Errors
    ///
    /// As [`from_pem_or_der`](Self::from_pem_or_der), and when the file cannot be read.
    pub fn from_file(path: impl AsRef<Path>, password: Option<&SecretString>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_key_file(path, "key file")?;
        Self::from_pem_or_der(&bytes, password, &format!("key file `{}`", path.display()))
    }

    /// What kind of key this is.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// Where the key came from, as error messages name it (`` key file `k.pem` ``).
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The key's DER: PKCS#1 for RSA, PKCS#8 for EC and Ed25519.
    ///
    /// # Security
    ///
    /// This is the private key. Hand it to a crypto library; do not copy it into a buffer that
    /// is not wiped, log it or put it in an error.
    pub fn expose_der(&self) -> &[u8] {
        &self.der
    }

    /// The key as unencrypted PEM, `RSA PRIVATE KEY` (PKCS#1) or `PRIVATE KEY` (PKCS#8), in a
    /// buffer sized once and wiped when dropped. For TLS libraries, which take PEM.
    pub fn to_pem(&self) -> Zeroizing<String> {
        let label = match self.kind {
            KeyKind::Rsa { .. } => "RSA PRIVATE KEY",
            _ => "PRIVATE KEY",
        };
        pem_out::encode(label, &self.der)
    }
}

/// Reads a key or keystore file: a regular file of at most 1 MiB, as key material.
pub(crate) fn read_key_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    read_bounded(path, what, MAX_FILE_BYTES, ErrorKind::KeyMaterial)
}

/// `der` as PEM labelled `label`, in a buffer sized once and wiped when dropped (for
/// certificates that go into the same buffer as a key).
pub fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    pem_out::encode(label, der)
}

fn need_password<'a>(
    password: Option<&'a SecretString>,
    kind: &str,
    origin: &str,
) -> Result<&'a str> {
    password.map(SecretString::expose_secret).ok_or_else(|| {
        Error::key_material(format!(
            "{origin} holds an encrypted {kind} but no password was given; set `key_password`"
        ))
    })
}

fn from_der(bytes: &[u8], password: Option<&SecretString>, origin: &str) -> Result<PrivateKey> {
    match classify::classify(bytes, origin) {
        Ok(key) => Ok(key),
        // Perhaps DER of an EncryptedPrivateKeyInfo.
        Err(_) if looks_encrypted(bytes) => {
            let password = need_password(password, "PKCS#8 key", origin)?;
            decrypt_pkcs8(bytes, password, origin)
        }
        Err(plain_error) => Err(plain_error),
    }
}

/// `SEQUENCE { SEQUENCE { OID, ... }, OCTET STRING }`: the shape of EncryptedPrivateKeyInfo.
fn looks_encrypted(der: &[u8]) -> bool {
    matches!(der_walk::sequence_items(der).as_deref(),
        Some([algorithm, data]) if algorithm.tag == der_walk::SEQUENCE && data.tag == der_walk::OCTET_STRING)
}

#[cfg(feature = "encrypted-pkcs8")]
fn decrypt_pkcs8(der: &[u8], password: &str, origin: &str) -> Result<PrivateKey> {
    let plain = encrypted_pkcs8::decrypt(der, password, origin)?;
    classify_decrypted(&plain, origin)
}

#[cfg(not(feature = "encrypted-pkcs8"))]
fn decrypt_pkcs8(_: &[u8], _: &str, origin: &str) -> Result<PrivateKey> {
    Err(Error::key_material(format!(
        "{origin} holds an encrypted PKCS#8 key; decrypting it needs the `encrypted-pkcs8` \
         feature of auth-keys (on by default), or decrypt it first with `openssl pkcs8`"
    )))
}

#[cfg(feature = "legacy-pem")]
fn decrypt_traditional(
    body: &[u8],
    dek_info: &str,
    password: &str,
    origin: &str,
) -> Result<PrivateKey> {
    let plain = traditional::decrypt(body, dek_info, password, origin)?;
    classify_decrypted(&plain, origin)
}

#[cfg(not(feature = "legacy-pem"))]
fn decrypt_traditional(_: &[u8], _: &str, _: &str, origin: &str) -> Result<PrivateKey> {
    Err(Error::key_material(format!(
        "{origin} is OpenSSL's traditional encrypted PEM (`Proc-Type: 4,ENCRYPTED`); decrypting \
         it needs the `legacy-pem` feature of auth-keys (on by default), or convert it with \
         `openssl pkcs8 -topk8`"
    )))
}

/// A decryption that "succeeds" with a wrong password yields garbage, not a key.
#[cfg(any(feature = "encrypted-pkcs8", feature = "legacy-pem"))]
fn classify_decrypted(der: &[u8], origin: &str) -> Result<PrivateKey> {
    classify::classify(der, origin).map_err(|_| wrong_password(origin))
}

#[cfg(any(feature = "encrypted-pkcs8", feature = "legacy-pem"))]
pub(crate) fn wrong_password(origin: &str) -> Error {
    Error::key_material(format!(
        "{origin} could not be decrypted: the key password is wrong (or the file is damaged)"
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Entry points for the fuzz targets in `fuzz/` (feature `fuzzing`); not a stable API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// The key-derivation check of an encrypted PKCS#8 key, without decrypting: `Ok` when its
    /// parameters are within the limits.
    #[cfg(feature = "encrypted-pkcs8")]
    pub fn check_kdf_params(der: &[u8]) -> Result<(), String> {
        crate::encrypted_pkcs8::check_cost(der, "fuzz input").map_err(|e| e.message().to_owned())
    }

    /// An encrypted PKCS#8 key (PBES2, made-up contents) derived with PBKDF2 over `iterations`.
    #[cfg(feature = "encrypted-pkcs8")]
    pub fn pbkdf2_key(iterations: u64) -> Vec<u8> {
        crate::crafted::pbkdf2_key(iterations)
    }

    /// An encrypted PKCS#8 key (PBES2, made-up contents) derived with scrypt(N, r, p).
    #[cfg(feature = "encrypted-pkcs8")]
    pub fn scrypt_key(n: u64, r: u64, p: u64) -> Vec<u8> {
        crate::crafted::scrypt_key(n, r, p)
    }
}
