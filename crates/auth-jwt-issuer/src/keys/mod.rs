//! Reading private keys: PEM and DER, encrypted or not, and PKCS#12 keystores. Everything here
//! runs once, when an issuer is built.

mod classify;
mod der_walk;
mod encrypted_pkcs8;
mod keystore;
mod separate_key_password;
mod traditional;

use std::path::Path;

use auth_core::{Error, Result, SecretString};
use zeroize::Zeroizing;

pub(crate) use keystore::load as load_keystore;
#[cfg(feature = "fuzzing")]
pub(crate) use keystore::load_bytes as load_keystore_bytes;

/// An EC curve the signer supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
}

/// A decoded, unencrypted private key, wiped from memory when dropped.
pub(crate) enum KeyMaterial {
    /// PKCS#1 RSAPrivateKey DER and the modulus size.
    Rsa {
        pkcs1: Zeroizing<Vec<u8>>,
        bits: usize,
    },
    /// PKCS#8 v1 DER in the form ring accepts.
    Ec {
        curve: Curve,
        pkcs8: Zeroizing<Vec<u8>>,
    },
    /// PKCS#8 (v1 or v2) DER.
    Ed25519 { pkcs8: Zeroizing<Vec<u8>> },
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyMaterial({} [redacted])", self.describe())
    }
}

impl KeyMaterial {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Rsa { bits, .. } => format!("an RSA key of {bits} bits"),
            Self::Ec {
                curve: Curve::P256, ..
            } => "an EC P-256 key".to_owned(),
            Self::Ec {
                curve: Curve::P384, ..
            } => "an EC P-384 key".to_owned(),
            Self::Ed25519 { .. } => "an Ed25519 key".to_owned(),
        }
    }
}

pub(crate) fn read_file(path: &Path, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    std::fs::read(path).map(Zeroizing::new).map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::NotFound => "not found".to_owned(),
            std::io::ErrorKind::PermissionDenied => "not readable (permission denied)".to_owned(),
            _ => format!("not readable ({e})"),
        };
        Error::key_material(format!("{what} `{}` {reason}", path.display())).with_source(e)
    })
}

/// Loads a key file: PEM (anything before `-----BEGIN` is ignored) or DER.
pub(crate) fn load_file(path: &Path, password: Option<&SecretString>) -> Result<KeyMaterial> {
    let bytes = read_file(path, "key file")?;
    from_bytes(&bytes, password, &format!("key file `{}`", path.display()))
}

/// Decodes a key from PEM text or DER bytes, decrypting it with `password` when it is
/// encrypted. A password given for an unencrypted key is ignored, as in Ballerina.
pub(crate) fn from_bytes(
    bytes: &[u8],
    password: Option<&SecretString>,
    origin: &str,
) -> Result<KeyMaterial> {
    if bytes.first() == Some(&0x30) {
        return from_der(bytes, password, origin);
    }
    let Some(start) = find(bytes, b"-----BEGIN ") else {
        return Err(Error::key_material(format!(
            "{origin} is neither PEM (no `-----BEGIN` line) nor DER"
        )));
    };
    let block = pem::parse(&bytes[start..])
        .map_err(|e| Error::key_material(format!("{origin} holds a malformed PEM block ({e})")))?;
    let tag = block.tag().to_owned();
    let dek_info = block.headers().get("DEK-Info").map(str::to_owned);
    // Move the decoded bytes (the key itself, for an unencrypted block) into a wiped buffer.
    let body = Zeroizing::new(block.into_contents());
    let need_password = |kind: &str| {
        password.map(SecretString::expose_secret).ok_or_else(|| {
            Error::key_material(format!(
                "{origin} holds an encrypted {kind} but no password was given; set `key_password`"
            ))
        })
    };
    match tag.as_str() {
        "PRIVATE KEY" => classify::classify(&body, origin),
        "ENCRYPTED PRIVATE KEY" => {
            let der = encrypted_pkcs8::decrypt(&body, need_password("PKCS#8 key")?, origin)?;
            classify_decrypted(&der, origin)
        }
        "RSA PRIVATE KEY" | "EC PRIVATE KEY" => match dek_info.as_deref() {
            None => classify::classify(&body, origin),
            Some(dek_info) => {
                let der = traditional::decrypt(&body, dek_info, need_password("PEM key")?, origin)?;
                classify_decrypted(&der, origin)
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

fn from_der(bytes: &[u8], password: Option<&SecretString>, origin: &str) -> Result<KeyMaterial> {
    match classify::classify(bytes, origin) {
        Ok(key) => Ok(key),
        // Perhaps DER of an EncryptedPrivateKeyInfo.
        Err(plain_error) => match password {
            Some(password) if looks_encrypted(bytes) => {
                let der = encrypted_pkcs8::decrypt(bytes, password.expose_secret(), origin)?;
                classify_decrypted(&der, origin)
            }
            None if looks_encrypted(bytes) => Err(Error::key_material(format!(
                "{origin} holds an encrypted PKCS#8 key but no password was given; set `key_password`"
            ))),
            _ => Err(plain_error),
        },
    }
}

/// `SEQUENCE { SEQUENCE { OID, ... }, OCTET STRING }`: the shape of EncryptedPrivateKeyInfo.
fn looks_encrypted(der: &[u8]) -> bool {
    matches!(der_walk::sequence_items(der).as_deref(),
        Some([algorithm, data]) if algorithm.tag == der_walk::SEQUENCE && data.tag == der_walk::OCTET_STRING)
}

/// A decryption that "succeeds" with a wrong password yields garbage, not a key.
fn classify_decrypted(der: &[u8], origin: &str) -> Result<KeyMaterial> {
    classify::classify(der, origin).map_err(|_| encrypted_pkcs8::wrong_password(origin))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Decodes a private key in any format a key file may hold (PEM or DER; PKCS#8, PKCS#1 or
/// SEC1; encrypted PKCS#8 or traditional encrypted PEM) and returns it as unencrypted PEM:
/// `RSA PRIVATE KEY` (PKCS#1) for RSA, `PRIVATE KEY` (PKCS#8) otherwise. For TLS client keys,
/// which TLS libraries want unencrypted.
///
/// # Errors
///
/// [`ErrorKind::KeyMaterial`](auth_core::ErrorKind::KeyMaterial) as for a key file: not a key,
/// encrypted without a password, wrong password, unsupported scheme. `origin` names the key in
/// messages (`"key file `client.key`"`).
pub fn decode_private_key_pem(
    bytes: &[u8],
    password: Option<&SecretString>,
    origin: &str,
) -> Result<Zeroizing<String>> {
    let key = from_bytes(bytes, password, origin)?;
    let (tag, der): (&str, &[u8]) = match &key {
        KeyMaterial::Rsa { pkcs1, .. } => ("RSA PRIVATE KEY", pkcs1),
        KeyMaterial::Ec { pkcs8, .. } | KeyMaterial::Ed25519 { pkcs8 } => ("PRIVATE KEY", pkcs8),
    };
    let block = pem::Pem::new(tag, der.to_vec());
    let text = Zeroizing::new(pem::encode(&block));
    // Wipe the copy the PEM block holds.
    drop(Zeroizing::new(block.into_contents()));
    Ok(text)
}
