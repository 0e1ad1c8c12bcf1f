//! PKCS#12 keystores (OpenSSL 3 default, OpenSSL `-legacy`, Java keytool), read by alias.

use std::path::Path;

use auth_core::{Error, Result, SecretString};
use p12_keystore::error::Error as P12Error;
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};

use super::{KeyMaterial, classify::classify, read_file, separate_key_password};

/// Loads the private key stored under `alias` (matched ignoring case, as Java does).
///
/// The keystore is opened, and its integrity checked, with the store password; a key
/// encrypted with a different key password is decrypted with that one.
pub(crate) fn load(
    path: &Path,
    store_password: &SecretString,
    alias: &str,
    key_password: Option<&SecretString>,
) -> Result<KeyMaterial> {
    let data = read_file(path, "PKCS#12 keystore")?;
    load_bytes(&data, path, store_password, alias, key_password)
}

/// As [`load`], with the keystore's bytes already read (`path` names it in messages).
pub(crate) fn load_bytes(
    data: &[u8],
    path: &Path,
    store_password: &SecretString,
    alias: &str,
    key_password: Option<&SecretString>,
) -> Result<KeyMaterial> {
    let shown = path.display();
    let store = match KeyStore::from_pkcs12(
        data,
        store_password.expose_secret(),
        Pkcs12ImportPolicy::Relaxed,
    ) {
        Ok(store) => store,
        // A bag would not decrypt with the store password. With a MAC the store password has
        // passed the integrity check by now, so the key has its own password; without one the
        // store password may simply be wrong. Only a distinct key password is worth a try.
        Err(P12Error::Pkcs5Error(_) | P12Error::UnpadError) => {
            return match key_password {
                Some(key_password) if !key_password.ct_eq(store_password) => {
                    separate_key_password::load(data, path, alias, key_password)
                }
                _ => Err(Error::key_material(format!(
                    "keystore `{shown}` could not be decrypted with the keystore password: the \
                     password is wrong, or the key has its own password (set `key_password`)"
                ))),
            };
        }
        Err(e) => return Err(open_error(e, path)),
    };

    let found = store
        .entries()
        .find(|(name, _)| name.eq_ignore_ascii_case(alias));
    match found {
        Some((_, KeyStoreEntry::PrivateKeyChain(chain))) => classify(
            chain.key().as_der(),
            &format!("alias `{alias}` in keystore `{shown}`"),
        ),
        Some((_, KeyStoreEntry::Certificate(_))) => Err(Error::key_material(format!(
            "alias `{alias}` in keystore `{shown}` is a trusted certificate, not a private key"
        ))),
        Some((_, _)) => Err(Error::key_material(format!(
            "alias `{alias}` in keystore `{shown}` is a secret-key entry, not a private key"
        ))),
        None => {
            let mut aliases: Vec<_> = store
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
                "alias `{alias}` not found in keystore `{shown}`; {present}"
            )))
        }
    }
}

fn open_error(e: P12Error, path: &Path) -> Error {
    let shown = path.display();
    match e {
        P12Error::MacError(_) => Error::key_material(format!(
            "keystore `{shown}` could not be opened: the keystore password is wrong (the \
             integrity check failed)"
        )),
        P12Error::UnsupportedEncryptionScheme | P12Error::UnsupportedMacAlgorithm => {
            Error::key_material(format!(
                "keystore `{shown}` uses an encryption or integrity scheme that is not \
                 supported ({e}); re-export it with `openssl pkcs12 -export` (OpenSSL 3 \
                 defaults) or Java keytool"
            ))
        }
        P12Error::InvalidParameters => Error::key_material(format!(
            "keystore `{shown}` asks for an unreasonable number of key-derivation iterations"
        )),
        other => Error::key_material(format!(
            "`{shown}` is not a readable PKCS#12 keystore ({other})"
        )),
    }
}
