//! Sharing tokens between processes (feature `store`): replicas of a service, restarts, CLI
//! runs from cron. See [`StoreSettings`].

mod encryption;
mod file;
mod health;
mod identity;
mod record;
pub(crate) mod shared;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::store::TokenStore;

pub use encryption::StoreEncryption;
pub use file::FileStore;

/// The default time to live of a lease: how long another process waits for a holder that
/// died before it fetches in its place. A live holder renews its lease while it works.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(10);

/// The default longest time one store operation may take before the store counts as down.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(2);

/// A token store shared by every provider with the same config, in this process and others:
/// the local cache stays in front (a cached token is read as fast as without a store), and
/// the store is asked only when the local token is missing, expired or due for renewal.
///
/// - **One request for everybody.** On a local miss the provider takes a valid token from the
///   store; if there is none, one caller across all processes takes the store's lease and
///   fetches, the others wait for its token (woken by the store, or polling).
/// - **Rotated refresh tokens are stored before the access token is handed out**, and the
///   lease holder refreshes with the newest stored refresh token, so replicas never present a
///   superseded one.
/// - **Sealed.** Records are encrypted with AES-256-GCM under [`StoreEncryption`] keys, or,
///   without them, under a key derived (HKDF-SHA256) from the config's credential (client
///   secret, password, private key, initial refresh token), so a store's content alone never
///   yields a usable token, and configs with other credentials cannot open each other's
///   records. Record names are keyed hashes: no secret, no token.
/// - **Faults.** A record that does not open is a miss (with a warning). A store that does not
///   answer within its timeout is skipped: the provider fetches on its own, logs one warning,
///   and asks the store again after a pause. A holder that dies loses its lease after
///   [`lease_ttl`](Self::lease_ttl).
///
/// ```
/// use std::sync::Arc;
/// use auth_oauth2::{FileStore, StoreSettings};
///
/// # let dir = tempfile::tempdir().unwrap();
/// let store = FileStore::new(dir.path().join("tokens"))?; // created 0700; records 0600
/// let settings = StoreSettings::new(Arc::new(store));
/// // OAuth2Provider::builder(config, transport).store(settings).build()?
/// # let _ = settings;
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct StoreSettings {
    pub(crate) store: Arc<dyn TokenStore>,
    pub(crate) encryption: Option<StoreEncryption>,
    pub(crate) lease_ttl: Duration,
    pub(crate) timeout: Duration,
}

impl StoreSettings {
    /// Shares tokens through `store`, sealing records with a key derived from the credential.
    pub fn new(store: Arc<dyn TokenStore>) -> Self {
        Self {
            store,
            encryption: None,
            lease_ttl: DEFAULT_LEASE_TTL,
            timeout: DEFAULT_STORE_TIMEOUT,
        }
    }

    /// Seals records with `keys` instead of a key derived from the credential.
    pub fn encryption(mut self, keys: StoreEncryption) -> Self {
        self.encryption = Some(keys);
        self
    }

    /// The lease's time to live (default [`DEFAULT_LEASE_TTL`]).
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl;
        self
    }

    /// The longest one store operation may take (default [`DEFAULT_STORE_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn check(&self) -> auth_core::Result<()> {
        if self.lease_ttl < Duration::from_millis(300) {
            return Err(auth_core::Error::invalid_config(format!(
                "the token store's lease time to live is {} s; give at least 0.3 s (default {} s)",
                self.lease_ttl.as_secs_f64(),
                DEFAULT_LEASE_TTL.as_secs()
            )));
        }
        if self.timeout.is_zero() {
            return Err(auth_core::Error::invalid_config(
                "the token store's timeout must be greater than zero",
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSettings")
            .field("store", &self.store)
            .field("encryption", &self.encryption)
            .field("lease_ttl", &self.lease_ttl)
            .field("timeout", &self.timeout)
            .finish()
    }
}
