//! PKCS#12 keystores (OpenSSL 3 default, OpenSSL `-legacy`, Java keytool), read with
//! `p12-keystore` (feature `pkcs12`): a private key by alias for signing, the first key and its
//! certificate chain for a TLS client identity, every certificate for a truststore.

use std::fmt;
use std::path::Path;

use auth_core::{Error, Result, SecretString};
use p12_keystore::error::Error as P12Error;
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};

use crate::classify::classify;
use crate::{PrivateKey, kdf_limits, read_key_file, separate_key_password};

/// An opened PKCS#12 file: its integrity checked and its contents decrypted with the store
/// password.
///
/// The key-derivation and MAC costs the file asks for are checked against this crate's limits
/// ([`MAX_KDF_ITERATIONS`](crate::MAX_KDF_ITERATIONS),
/// [`MAX_SCRYPT_WORK_BYTES`](crate::MAX_SCRYPT_WORK_BYTES)) before anything is derived.
///
/// What the walk cannot see: key bags inside an *encrypted* part of the keystore are readable
/// only after that part is decrypted with the store password (whose own cost was checked).
/// Their costs are bounded by the keystore reader, not by these limits: at most 1 000 000
/// iterations, and scrypt at most 1 GiB (`128·N·r`) with `p` at most 16. Reaching them needs the
/// store password, so a file from someone who does not know it stops at the cheap, checked
/// outer layer.
pub struct Pkcs12Store {
    store: KeyStore,
    origin: String,
}

impl fmt::Debug for Pkcs12Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs12Store")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Pkcs12Store {
    /// Opens the keystore at `path` (a regular file of at most 1 MiB). `what` names it in
    /// messages (`"truststore"`, `"keystore"`).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`]: the file cannot be read,
    /// the password is wrong, the scheme is unsupported or too costly.
    pub fn open(path: impl AsRef<Path>, password: &SecretString, what: &str) -> Result<Self> {
        let path = path.as_ref();
        let data = read_key_file(path, &format!("PKCS#12 {what}"))?;
        Self::from_bytes(&data, password, &format!("{what} `{}`", path.display()))
    }

    /// Opens a keystore already in memory; `origin` names it in messages.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn from_bytes(data: &[u8], password: &SecretString, origin: &str) -> Result<Self> {
        match decode(data, password, origin)? {
            Some(store) => Ok(Self {
                store,
                origin: origin.to_owned(),
            }),
            None => Err(not_decrypted(
                origin,
                "read the key with `PrivateKey::from_pkcs12_bytes`, which takes a key password",
            )),
        }
    }

    /// The private key under `alias` (matched ignoring case, as Java does).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when the alias is missing
    /// (the message lists the aliases present), names a certificate or secret-key entry, or
    /// holds a key that cannot be used.
    pub fn private_key(&self, alias: &str) -> Result<PrivateKey> {
        let origin = &self.origin;
        let found = self
            .store
            .entries()
            .find(|(name, _)| name.eq_ignore_ascii_case(alias));
        match found {
            Some((_, KeyStoreEntry::PrivateKeyChain(chain))) => classify(
                chain.key().as_der(),
                &format!("alias `{alias}` in {origin}"),
            ),
            Some((_, KeyStoreEntry::Certificate(_))) => Err(Error::key_material(format!(
                "alias `{alias}` in {origin} is a trusted certificate, not a private key"
            ))),
            Some((_, _)) => Err(Error::key_material(format!(
                "alias `{alias}` in {origin} is a secret-key entry, not a private key"
            ))),
            None => {
                let mut aliases: Vec<_> = self
                    .store
                    .entries()
                    .filter(|(_, entry)| matches!(entry, KeyStoreEntry::PrivateKeyChain(_)))
                    .map(|(name, _)| format!("`{name}`"))
                    .collect();
                aliases.sort();
                let present = if aliases.is_empty() {
                    "it holds no private keys".to_owned()
                } else {
                    format!("private-key aliases present: {}", aliases.join(", "))
                };
                Err(Error::key_material(format!(
                    "alias `{alias}` not found in {origin}; {present}"
                )))
            }
        }
    }

    /// The first private key and its certificate chain (DER, leaf first): a TLS client
    /// identity.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when the store holds no
    /// private key, or a key without its certificate.
    pub fn identity(&self) -> Result<(PrivateKey, Vec<Vec<u8>>)> {
        let origin = &self.origin;
        let Some((_, chain)) = self.store.private_key_chain() else {
            return Err(Error::key_material(format!(
                "{origin} holds no private key for a client certificate"
            )));
        };
        if chain.certs().is_empty() {
            return Err(Error::key_material(format!(
                "{origin} holds a key without its certificate"
            )));
        }
        let key = classify(chain.key().as_der(), origin)?;
        let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
        Ok((key, certs))
    }

    /// Every certificate in the store (trusted-certificate entries and the chains of key
    /// entries), DER: what a truststore offers.
    pub fn certificates(&self) -> Vec<Vec<u8>> {
        let mut certs = Vec::new();
        for (_, entry) in self.store.entries() {
            match entry {
                KeyStoreEntry::Certificate(cert) => certs.push(cert.as_der().to_vec()),
                KeyStoreEntry::PrivateKeyChain(chain) => {
                    certs.extend(chain.certs().iter().map(|c| c.as_der().to_vec()));
                }
                _ => {}
            }
        }
        certs
    }
}

impl PrivateKey {
    /// Reads the private key under `alias` (matched ignoring case) from the PKCS#12 keystore at
    /// `path` (feature `pkcs12`).
    ///
    /// The keystore is opened, and its integrity checked, with the store password; a key
    /// encrypted with a different key password (the Java KeyStore API writes these) is then
    /// decrypted with `key_password`.
    ///
    /// # Errors
    ///
    /// As [`Pkcs12Store::open`] and [`Pkcs12Store::private_key`].
    pub fn from_pkcs12_file(
        path: impl AsRef<Path>,
        store_password: &SecretString,
        alias: &str,
        key_password: Option<&SecretString>,
    ) -> Result<Self> {
        let path = path.as_ref();
        let data = read_key_file(path, "PKCS#12 keystore")?;
        Self::from_pkcs12_bytes(
            &data,
            store_password,
            alias,
            key_password,
            &format!("keystore `{}`", path.display()),
        )
    }

    /// As [`from_pkcs12_file`](Self::from_pkcs12_file), with the keystore's bytes already read;
    /// `origin` names it in messages.
    ///
    /// # Errors
    ///
    /// As [`from_pkcs12_file`](Self::from_pkcs12_file).
    pub fn from_pkcs12_bytes(
        data: &[u8],
        store_password: &SecretString,
        alias: &str,
        key_password: Option<&SecretString>,
        origin: &str,
    ) -> Result<Self> {
        match decode(data, store_password, origin)? {
            Some(store) => Pkcs12Store {
                store,
                origin: origin.to_owned(),
            }
            .private_key(alias),
            // A bag would not decrypt with the store password. With a MAC the store password
            // has passed the integrity check by now, so the key has its own password; without
            // one the store password may simply be wrong. Only a distinct key password is worth
            // a try.
            None => match key_password {
                Some(key_password) if !key_password.ct_eq(store_password) => {
                    separate_key_password::load(data, origin, alias, key_password)
                }
                _ => Err(not_decrypted(origin, "set `key_password`")),
            },
        }
    }
}

/// Checks the costs the keystore asks for, then opens it with `password`: `None` when a bag
/// would not decrypt with it (a wrong password, or a key with its own).
fn decode(data: &[u8], password: &SecretString, origin: &str) -> Result<Option<KeyStore>> {
    kdf_limits::check_all(data, origin)?;
    match KeyStore::from_pkcs12(data, password.expose_secret(), Pkcs12ImportPolicy::Relaxed) {
        Ok(store) => Ok(Some(store)),
        Err(P12Error::Pkcs5Error(_) | P12Error::UnpadError) => Ok(None),
        Err(e) => Err(open_error(e, origin)),
    }
}

/// A keystore whose contents the password did not decrypt; `key_password_advice` says how to
/// give a key its own password.
fn not_decrypted(origin: &str, key_password_advice: &str) -> Error {
    Error::key_material(format!(
        "{origin} could not be decrypted with the keystore password: the password is wrong, or \
         the key has its own password ({key_password_advice})"
    ))
}

fn open_error(e: P12Error, origin: &str) -> Error {
    match e {
        P12Error::MacError(_) => Error::key_material(format!(
            "{origin} could not be opened: the keystore password is wrong (the integrity check \
             failed)"
        )),
        P12Error::UnsupportedEncryptionScheme | P12Error::UnsupportedMacAlgorithm => {
            Error::key_material(format!(
                "{origin} uses an encryption or integrity scheme that is not supported ({e}); \
                 re-export it with `openssl pkcs12 -export` (OpenSSL 3 defaults) or Java keytool"
            ))
        }
        P12Error::InvalidParameters => Error::key_material(format!(
            "{origin} asks for unreasonable key-derivation parameters"
        )),
        other => Error::key_material(format!(
            "{origin} is not a readable PKCS#12 keystore ({other})"
        )),
    }
}
