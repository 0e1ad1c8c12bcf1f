//! Sealing stored records: AES-256-GCM under a configured key (with ids, so keys can rotate)
//! or under a key derived from the credential the config already holds.

use std::fmt;

use auth_core::{Error, Result, SecretString};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

/// The first bytes of every sealed record: the format, then the key id's length.
const MAGIC: &[u8; 4] = b"ATS1";

/// The key id of a key derived from the credential.
const DERIVED_KEY_ID: &str = "credential";

/// Encryption keys for a token store: the first seals new records, every one opens them. Each
/// key's id (a hash of the key, not the key) is written beside the records it seals, so a
/// store can move to a new key: give the new key *after* the current one on every replica
/// first (they keep sealing with the old one and can open both), then put it first.
///
/// ```
/// use auth_oauth2::StoreEncryption;
///
/// // 32 random bytes, base64: `openssl rand -base64 32`
/// let keys = StoreEncryption::from_base64("q2dmPwDbtTIM3bp6NPX7+i8wQr0ORJFbcbrzPbCfjXU=")?;
/// assert_eq!(keys.key_ids().len(), 1);
/// // From an environment variable: several keys, comma-separated, the first seals.
/// // let keys = StoreEncryption::from_env("AUTH_STORE_KEY")?;
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct StoreEncryption {
    keys: Vec<(String, Zeroizing<[u8; 32]>)>,
}

impl StoreEncryption {
    /// Seals and opens with `key`.
    pub fn new(key: [u8; 32]) -> Self {
        let key = Zeroizing::new(key);
        Self {
            keys: vec![(key_id(&key), key)],
        }
    }

    /// Also opens (never seals) records sealed with `key`: the key being rotated out, or in.
    #[must_use]
    pub fn with_other_key(mut self, key: [u8; 32]) -> Self {
        let key = Zeroizing::new(key);
        let id = key_id(&key);
        if !self.keys.iter().any(|(known, _)| *known == id) {
            self.keys.push((id, key));
        }
        self
    }

    /// Keys written as base64 (standard or URL-safe, 32 bytes each), separated by commas; the
    /// first seals.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for text that is not a list of base64 32-byte
    /// keys; the message says which entry, never its text.
    pub fn from_base64(text: &str) -> Result<Self> {
        Self::parse(text, "the token store encryption key")
    }

    /// Keys from the environment variable `name`, written as for
    /// [`from_base64`](Self::from_base64).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the variable is unset, not Unicode, or not
    /// a list of base64 32-byte keys.
    pub fn from_env(name: &str) -> Result<Self> {
        let value = match std::env::var(name) {
            Ok(value) => SecretString::from(value),
            Err(std::env::VarError::NotPresent) => {
                return Err(Error::invalid_config(format!(
                    "the token store encryption key variable `{name}` is not set; set it to a \
                     base64 32-byte key (`openssl rand -base64 32`), or remove \
                     `encryption_key_env` to derive the key from the config's credential"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::invalid_config(format!(
                    "the token store encryption key variable `{name}` is not valid Unicode"
                )));
            }
        };
        Self::parse(value.expose_secret(), &format!("`{name}`"))
    }

    fn parse(text: &str, origin: &str) -> Result<Self> {
        let mut keys: Option<Self> = None;
        for (index, entry) in text.split(',').map(str::trim).enumerate() {
            let decoded = Zeroizing::new(
                STANDARD
                    .decode(entry)
                    .or_else(|_| URL_SAFE_NO_PAD.decode(entry.trim_end_matches('=')))
                    .map_err(|_| {
                        Error::invalid_config(format!(
                            "{origin}: entry {} is not base64; give 32 random bytes in base64 \
                             (`openssl rand -base64 32`), several separated by commas",
                            index + 1
                        ))
                    })?,
            );
            let key: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
                Error::invalid_config(format!(
                    "{origin}: entry {} is {} bytes long; an AES-256 key is 32 bytes \
                     (`openssl rand -base64 32`)",
                    index + 1,
                    decoded.len()
                ))
            })?;
            keys = Some(match keys {
                None => Self::new(key),
                Some(keys) => keys.with_other_key(key),
            });
        }
        keys.ok_or_else(|| Error::invalid_config(format!("{origin} holds no key")))
    }

    /// The ids of the keys, the sealing one first (hashes of the keys, safe to show).
    pub fn key_ids(&self) -> Vec<&str> {
        self.keys.iter().map(|(id, _)| id.as_str()).collect()
    }
}

impl fmt::Debug for StoreEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreEncryption")
            .field("key_ids", &self.key_ids())
            .finish()
    }
}

/// The id of a configured key: the start of its SHA-256, in hex.
fn key_id(key: &[u8; 32]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key);
    digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a record could not be opened; never holds the record's content.
#[derive(Debug)]
pub(crate) struct Unopened(pub(crate) &'static str);

/// Seals and opens records with AES-256-GCM, binding each to the store key it was written
/// under (as associated data), so a record moved to another key does not open.
pub(crate) struct Sealer {
    sealing: (String, LessSafeKey),
    opening: Vec<(String, LessSafeKey)>,
    random: SystemRandom,
}

impl Sealer {
    pub(crate) fn configured(keys: &StoreEncryption) -> Self {
        let make = |(id, key): &(String, Zeroizing<[u8; 32]>)| {
            let key = UnboundKey::new(&AES_256_GCM, key.as_slice())
                .map(LessSafeKey::new)
                .expect("a 32-byte key always fits AES-256-GCM");
            (id.clone(), key)
        };
        let mut all = keys.keys.iter().map(make);
        let sealing = all.next().expect("StoreEncryption holds at least one key");
        Self {
            opening: std::iter::once((sealing.0.clone(), sealing.1.clone()))
                .chain(all)
                .collect(),
            sealing,
            random: SystemRandom::new(),
        }
    }

    /// A sealer whose key is derived from the credential with HKDF-SHA256.
    pub(crate) fn derived(credential: &ring::hkdf::Prk) -> Self {
        let okm = credential
            .expand(
                &[b"auth-oauth2 token store: record sealing key"],
                &AES_256_GCM,
            )
            .expect("one AES-256 key is well within HKDF-SHA256's output limit");
        let key = LessSafeKey::new(UnboundKey::from(okm));
        Self {
            opening: vec![(DERIVED_KEY_ID.to_owned(), key.clone())],
            sealing: (DERIVED_KEY_ID.to_owned(), key),
            random: SystemRandom::new(),
        }
    }

    /// `plain` sealed for `store_key`: magic, key id, nonce, ciphertext and tag.
    pub(crate) fn seal(&self, plain: &[u8], store_key: &str) -> Result<Vec<u8>, Unopened> {
        let (id, key) = &self.sealing;
        let mut nonce = [0u8; NONCE_LEN];
        self.random
            .fill(&mut nonce)
            .map_err(|_| Unopened("the system's random number generator failed"))?;
        let mut sealed =
            Vec::with_capacity(MAGIC.len() + 1 + id.len() + NONCE_LEN + plain.len() + 16);
        sealed.extend_from_slice(MAGIC);
        sealed.push(u8::try_from(id.len()).map_err(|_| Unopened("key id too long"))?);
        sealed.extend_from_slice(id.as_bytes());
        sealed.extend_from_slice(&nonce);
        let header = sealed.len();
        sealed.extend_from_slice(plain);
        let mut body = sealed.split_off(header);
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            aad(store_key),
            &mut body,
        )
        .map_err(|_| Unopened("sealing failed"))?;
        sealed.append(&mut body);
        Ok(sealed)
    }

    /// The plaintext of a record sealed for `store_key`, wiped when dropped.
    pub(crate) fn open(
        &self,
        sealed: &[u8],
        store_key: &str,
    ) -> Result<Zeroizing<Vec<u8>>, Unopened> {
        let rest = sealed
            .strip_prefix(MAGIC.as_slice())
            .ok_or(Unopened("not a sealed token record (unknown format)"))?;
        let (&id_len, rest) = rest
            .split_first()
            .ok_or(Unopened("the record is cut short"))?;
        let id_len = usize::from(id_len);
        if rest.len() < id_len + NONCE_LEN + 16 {
            return Err(Unopened("the record is cut short"));
        }
        let (id, rest) = rest.split_at(id_len);
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let id =
            std::str::from_utf8(id).map_err(|_| Unopened("the record's key id is not text"))?;
        let Some((_, key)) = self.opening.iter().find(|(known, _)| known == id) else {
            return Err(Unopened(
                "the record is sealed with a key this config does not have (another \
                 encryption key, or a key derived from other credentials)",
            ));
        };
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|_| Unopened("the record's nonce is malformed"))?;
        let mut buffer = Zeroizing::new(ciphertext.to_vec());
        let plain_len = key
            .open_in_place(nonce, aad(store_key), &mut buffer)
            .map_err(|_| {
                Unopened("the record does not authenticate (tampered with, or a wrong key)")
            })?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }
}

/// The associated data: the store key. (The key id needs no authenticating: a changed id
/// selects another key, which fails.)
fn aad(store_key: &str) -> Aad<&[u8]> {
    Aad::from(store_key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(byte: u8) -> Sealer {
        Sealer::configured(&StoreEncryption::new([byte; 32]))
    }

    #[test]
    fn sealed_records_open_only_with_their_key_and_their_store_key() {
        let sealer = configured(1);
        let sealed = sealer.seal(b"access-token-marker", "k1").unwrap();
        assert!(
            !sealed.windows(6).any(|w| w == b"marker"),
            "no plaintext in the sealed bytes"
        );
        assert_eq!(
            sealer.open(&sealed, "k1").unwrap().as_slice(),
            b"access-token-marker"
        );
        assert!(
            sealer.open(&sealed, "k2").is_err(),
            "bound to its store key"
        );
        assert!(configured(2).open(&sealed, "k1").is_err(), "another key");
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(sealer.open(&tampered, "k1").is_err());
        for garbage in [
            &b""[..],
            b"ATS1",
            b"ATS1\x05ab",
            b"not a record at all, just text",
        ] {
            assert!(sealer.open(garbage, "k1").is_err(), "{garbage:?}");
        }
        assert_ne!(
            sealer.seal(b"same", "k1").unwrap(),
            sealer.seal(b"same", "k1").unwrap(),
            "a fresh nonce every time"
        );
    }

    #[test]
    fn rotation_opens_with_the_other_key_and_seals_with_the_first() {
        let old = StoreEncryption::new([1; 32]);
        let sealed_old = Sealer::configured(&old).seal(b"t", "k").unwrap();
        let rotating = StoreEncryption::new([2; 32]).with_other_key([1; 32]);
        let sealer = Sealer::configured(&rotating);
        assert_eq!(sealer.open(&sealed_old, "k").unwrap().as_slice(), b"t");
        let sealed_new = sealer.seal(b"t", "k").unwrap();
        assert!(Sealer::configured(&old).open(&sealed_new, "k").is_err());
    }

    #[test]
    fn base64_keys_are_checked_and_never_shown() {
        let key = STANDARD.encode([7u8; 32]);
        let two = format!("{key}, {}", URL_SAFE_NO_PAD.encode([8u8; 32]));
        assert_eq!(
            StoreEncryption::from_base64(&two).unwrap().key_ids().len(),
            2
        );
        let short = STANDARD.encode([7u8; 16]);
        let error = StoreEncryption::from_base64(&short)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("16 bytes") && !error.contains(&short),
            "{error}"
        );
        let error = StoreEncryption::from_base64("not base64 !!")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("entry 1 is not base64") && !error.contains("!!"),
            "{error}"
        );
        let debug = format!("{:?}", StoreEncryption::from_base64(&key).unwrap());
        assert!(!debug.contains(&key), "{debug}");
    }

    #[test]
    fn an_unset_variable_is_named() {
        let error = StoreEncryption::from_env("AUTH_OAUTH2_TEST_SURELY_UNSET_VARIABLE")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("AUTH_OAUTH2_TEST_SURELY_UNSET_VARIABLE") && error.contains("not set")
        );
    }
}
