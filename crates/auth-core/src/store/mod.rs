//! Token stores: where caching providers of several processes (replicas, restarts, a CLI run
//! from cron) share the tokens they fetched, and agree on which one of them fetches next.
//!
//! A store keeps opaque, **already sealed** bytes under a [`StoreKey`]; it never sees a token in
//! the clear (the provider encrypts before it saves and decrypts after it loads). It offers:
//!
//! - [`load`](TokenStore::load) the current [`StoredRecord`] of a key, with its version;
//! - [`save`](TokenStore::save) with compare-and-set on that version, so a writer that read an
//!   older record cannot overwrite a newer token or a newer rotated refresh token;
//! - a [`Lease`] for single flight across processes: acquired with a time to live and a
//!   fencing token, renewed while the holder works, released only by its holder;
//! - [`subscribe`](TokenStore::subscribe), so waiters learn that a new record was stored or a
//!   lease released without polling (stores that cannot notify leave callers to poll).
//!
//! Versions of a key never repeat, even across [`remove`](TokenStore::remove): a writer that
//! read version 7 can only ever match version 7.
//!
//! [`MemoryStore`] keeps records in this process (tests, and several providers of one process);
//! `auth-oauth2` has a file store (one machine) and `auth-store-redis` a Redis store (many).

mod memory;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::{Error, Result};

pub use memory::MemoryStore;

/// The longest [`StoreKey`], in bytes.
pub const MAX_STORE_KEY_LEN: usize = 200;

/// The name a record is stored under: printable ASCII letters, digits and `: . _ - /`, at most
/// [`MAX_STORE_KEY_LEN`] bytes. Providers derive it from what identifies a token and a keyed
/// hash of the credential, so it never holds a secret.
///
/// ```
/// use auth_core::store::StoreKey;
///
/// let key = StoreKey::new("auth:oauth2:3f2a9c")?;
/// assert_eq!(key.as_str(), "auth:oauth2:3f2a9c");
/// assert!(StoreKey::new("has space").is_err());
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct StoreKey(String);

impl StoreKey {
    /// Checks `name` and makes it a key.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) for an empty or too long
    /// name, or one with a character outside `A-Z a-z 0-9 : . _ - /`.
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        if name.is_empty() || name.len() > MAX_STORE_KEY_LEN {
            return Err(Error::invalid_config(format!(
                "a token store key must be 1 to {MAX_STORE_KEY_LEN} bytes long, got {}",
                name.len()
            )));
        }
        if let Some(bad) = name.chars().find(|c| !is_key_char(*c)) {
            return Err(Error::invalid_config(format!(
                "a token store key may hold only letters, digits and `: . _ - /`, not {bad:?}; \
                 check the key prefix"
            )));
        }
        Ok(Self(name))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `c` may stand in a [`StoreKey`] (and so in a key prefix).
pub fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '/')
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A record as stored: its version and its sealed bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredRecord {
    version: u64,
    sealed: Vec<u8>,
}

impl StoredRecord {
    /// A record at `version` (at least 1) holding `sealed`.
    pub fn new(version: u64, sealed: Vec<u8>) -> Self {
        Self { version, sealed }
    }

    /// The version: it grows with every save of the key and never repeats.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The sealed bytes.
    pub fn sealed(&self) -> &[u8] {
        &self.sealed
    }

    /// The sealed bytes, by value.
    pub fn into_sealed(self) -> Vec<u8> {
        self.sealed
    }
}

impl fmt::Debug for StoredRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredRecord")
            .field("version", &self.version)
            .field("sealed_bytes", &self.sealed.len())
            .finish()
    }
}

/// The right to fetch the next token of a key, held by one caller across every process that
/// shares the store, until it is released or its time to live runs out.
///
/// The fencing token grows with every lease granted for the key, so a holder whose lease ran
/// out can be told apart from the one that holds it now. The holder id lets a store tell its
/// own leases from those of another process.
#[derive(Clone, PartialEq, Eq)]
pub struct Lease {
    fencing_token: u64,
    holder: String,
}

impl Lease {
    /// A lease with `fencing_token`, held by `holder` (a value unique to this acquisition).
    pub fn new(fencing_token: u64, holder: impl Into<String>) -> Self {
        Self {
            fencing_token,
            holder: holder.into(),
        }
    }

    /// The fencing token: larger for every later lease of the same key.
    pub fn fencing_token(&self) -> u64 {
        self.fencing_token
    }

    /// What identifies this acquisition to the store.
    pub fn holder(&self) -> &str {
        &self.holder
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("fencing_token", &self.fencing_token)
            .finish_non_exhaustive()
    }
}

/// A future that resolves when a key's record or lease changes; see
/// [`TokenStore::subscribe`].
pub type ChangeFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where caching providers share sealed token records, with compare-and-set saves, leases for
/// single flight, and change notifications. See the [module docs](self).
///
/// Implementations must be safe to call from many tasks and processes at once. Errors should
/// be [`ErrorKind::Transport`](crate::ErrorKind::Transport) when the store cannot be reached
/// (the provider then fetches on its own and tries the store again later) and must not carry
/// credentials (a password in a store URL, say).
#[async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The record stored under `key`, if there is one.
    ///
    /// # Errors
    ///
    /// The store cannot be read.
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredRecord>>;

    /// Stores `sealed` under `key` if the key's record is still at version `expected` (`None`:
    /// there is no record), and returns the new version; returns `None`, storing nothing, if
    /// the record has changed since, or if `lease` is given and another caller holds the key's
    /// lease now. `expires_after` lets the store drop the record when it is no longer useful
    /// (`None`: keep it until it is replaced or removed).
    ///
    /// # Errors
    ///
    /// The store cannot be written.
    async fn save(
        &self,
        key: &StoreKey,
        expected: Option<u64>,
        sealed: Vec<u8>,
        expires_after: Option<Duration>,
        lease: Option<&Lease>,
    ) -> Result<Option<u64>>;

    /// Removes the record under `key` if it is still at version `expected`; says whether it
    /// did.
    ///
    /// # Errors
    ///
    /// The store cannot be written.
    async fn remove(&self, key: &StoreKey, expected: u64) -> Result<bool>;

    /// Takes the lease of `key` for `ttl` if nobody holds it.
    ///
    /// # Errors
    ///
    /// The store cannot be reached.
    async fn try_lease(&self, key: &StoreKey, ttl: Duration) -> Result<Option<Lease>>;

    /// Extends `lease` to `ttl` from now if it is still held; says whether it is.
    ///
    /// # Errors
    ///
    /// The store cannot be reached.
    async fn renew_lease(&self, key: &StoreKey, lease: &Lease, ttl: Duration) -> Result<bool>;

    /// Gives `lease` back, if it is still held by its holder (a lease that ran out and was
    /// taken by another caller stays theirs).
    ///
    /// # Errors
    ///
    /// The store cannot be reached.
    async fn release_lease(&self, key: &StoreKey, lease: &Lease) -> Result<()>;

    /// A future that resolves at the next save, removal or lease release of `key` after this
    /// call returned. Subscribe before looking, then wait: a change between the look and the
    /// wait is not missed.
    ///
    /// The default never resolves: callers wait with a bounded poll, as they must anyway for
    /// a store that loses notifications.
    async fn subscribe(&self, key: &StoreKey) -> ChangeFuture {
        let _ = key;
        Box::pin(std::future::pending())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_take_only_safe_characters() {
        assert!(StoreKey::new("auth:oauth2/ab_c-d.e").is_ok());
        for bad in ["", "a b", "a\nb", "ä", "a*b", "{a}"] {
            let error = StoreKey::new(bad).unwrap_err();
            assert_eq!(error.kind(), crate::ErrorKind::InvalidConfig, "{bad:?}");
        }
        assert!(StoreKey::new("k".repeat(MAX_STORE_KEY_LEN)).is_ok());
        assert!(StoreKey::new("k".repeat(MAX_STORE_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn debug_shows_no_sealed_bytes_or_holder() {
        let record = StoredRecord::new(3, b"sealed-bytes".to_vec());
        assert_eq!(
            format!("{record:?}"),
            "StoredRecord { version: 3, sealed_bytes: 12 }"
        );
        let lease = Lease::new(9, "holder-nonce");
        let shown = format!("{lease:?}");
        assert!(
            shown.contains('9') && !shown.contains("holder-nonce"),
            "{shown}"
        );
    }
}
