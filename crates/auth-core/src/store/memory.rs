//! A token store in this process's memory.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{ChangeFuture, Lease, StoreKey, StoredRecord, TokenStore};
use crate::error::Result;

/// A [`TokenStore`] in this process's memory: for tests, and for several providers of one
/// process that should share one token. Clones share the same records. Records and leases
/// expire by the monotonic clock; subscribers are woken on every change.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_core::Result<()> {
/// use std::time::Duration;
/// use auth_core::store::{MemoryStore, StoreKey, TokenStore};
///
/// let store = MemoryStore::new();
/// let key = StoreKey::new("auth:example")?;
/// let version = store.save(&key, None, b"sealed".to_vec(), None, None).await?;
/// assert!(version.is_some());
/// // A writer that read nothing cannot overwrite what is there now.
/// assert_eq!(store.save(&key, None, b"stale".to_vec(), None, None).await?, None);
///
/// let lease = store.try_lease(&key, Duration::from_secs(10)).await?.expect("free");
/// assert!(store.try_lease(&key, Duration::from_secs(10)).await?.is_none());
/// store.release_lease(&key, &lease).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    shared: Arc<Mutex<HashMap<StoreKey, Entry>>>,
}

#[derive(Default)]
struct Entry {
    record: Option<Held>,
    /// The last version and fencing token handed out (they never repeat).
    last_version: u64,
    last_fence: u64,
    lease: Option<(Lease, Instant)>,
    /// Counts changes, for subscribers.
    changes: u64,
    wakers: Vec<Waker>,
}

struct Held {
    version: u64,
    sealed: Vec<u8>,
    until: Option<Instant>,
}

impl Entry {
    fn live_record(&mut self, now: Instant) -> Option<&Held> {
        if self
            .record
            .as_ref()
            .and_then(|held| held.until)
            .is_some_and(|until| now >= until)
        {
            self.record = None;
        }
        self.record.as_ref()
    }

    fn live_lease(&mut self, now: Instant) -> Option<&Lease> {
        if self.lease.as_ref().is_some_and(|(_, until)| now >= *until) {
            self.lease = None;
        }
        self.lease.as_ref().map(|(lease, _)| lease)
    }

    fn changed(&mut self) {
        self.changes += 1;
        for waker in self.wakers.drain(..) {
            waker.wake();
        }
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<StoreKey, Entry>> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every key with a record now (for tests that inspect what a provider stored).
    pub fn keys(&self) -> Vec<StoreKey> {
        let now = Instant::now();
        let mut entries = self.lock();
        entries
            .iter_mut()
            .filter_map(|(key, entry)| entry.live_record(now).map(|_| key.clone()))
            .collect()
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredRecord>> {
        let mut entries = self.lock();
        Ok(entries.get_mut(key).and_then(|entry| {
            entry
                .live_record(Instant::now())
                .map(|held| StoredRecord::new(held.version, held.sealed.clone()))
        }))
    }

    async fn save(
        &self,
        key: &StoreKey,
        expected: Option<u64>,
        sealed: Vec<u8>,
        expires_after: Option<Duration>,
        lease: Option<&Lease>,
    ) -> Result<Option<u64>> {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_default();
        if entry.live_record(now).map(|held| held.version) != expected {
            return Ok(None);
        }
        if let (Some(mine), Some(held)) = (lease, entry.live_lease(now))
            && mine != held
        {
            return Ok(None);
        }
        entry.last_version += 1;
        let version = entry.last_version;
        entry.record = Some(Held {
            version,
            sealed,
            until: expires_after.and_then(|after| now.checked_add(after)),
        });
        entry.changed();
        Ok(Some(version))
    }

    async fn remove(&self, key: &StoreKey, expected: u64) -> Result<bool> {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(key) else {
            return Ok(false);
        };
        if entry.live_record(Instant::now()).map(|held| held.version) != Some(expected) {
            return Ok(false);
        }
        entry.record = None;
        entry.changed();
        Ok(true)
    }

    async fn try_lease(&self, key: &StoreKey, ttl: Duration) -> Result<Option<Lease>> {
        let now = Instant::now();
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_default();
        if entry.live_lease(now).is_some() {
            return Ok(None);
        }
        entry.last_fence += 1;
        let lease = Lease::new(entry.last_fence, format!("memory-{}", entry.last_fence));
        entry.lease = Some((lease.clone(), now.checked_add(ttl).unwrap_or(now)));
        Ok(Some(lease))
    }

    async fn renew_lease(&self, key: &StoreKey, lease: &Lease, ttl: Duration) -> Result<bool> {
        let now = Instant::now();
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(key) else {
            return Ok(false);
        };
        if entry.live_lease(now) != Some(lease) {
            return Ok(false);
        }
        entry.lease = Some((lease.clone(), now.checked_add(ttl).unwrap_or(now)));
        Ok(true)
    }

    async fn release_lease(&self, key: &StoreKey, lease: &Lease) -> Result<()> {
        let mut entries = self.lock();
        if let Some(entry) = entries.get_mut(key)
            && entry.live_lease(Instant::now()) == Some(lease)
        {
            entry.lease = None;
            entry.changed();
        }
        Ok(())
    }

    async fn subscribe(&self, key: &StoreKey) -> ChangeFuture {
        let seen = self.lock().entry(key.clone()).or_default().changes;
        Box::pin(NextChange {
            store: self.clone(),
            key: key.clone(),
            seen,
        })
    }
}

/// Resolves once the entry's change count passes `seen`.
struct NextChange {
    store: MemoryStore,
    key: StoreKey,
    seen: u64,
}

impl Future for NextChange {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut entries = self.store.lock();
        let entry = entries.entry(self.key.clone()).or_default();
        if entry.changes > self.seen {
            return Poll::Ready(());
        }
        if !entry.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            entry.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.lock().len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StoreKey {
        StoreKey::new("test:key").unwrap()
    }

    #[tokio::test]
    async fn compare_and_set_refuses_stale_writers_and_versions_never_repeat() {
        let store = MemoryStore::new();
        let v1 = store
            .save(&key(), None, b"one".to_vec(), None, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            store
                .save(&key(), None, b"x".to_vec(), None, None)
                .await
                .unwrap(),
            None
        );
        let v2 = store
            .save(&key(), Some(v1), b"two".to_vec(), None, None)
            .await
            .unwrap()
            .unwrap();
        assert!(v2 > v1);
        assert_eq!(
            store
                .save(&key(), Some(v1), b"stale".to_vec(), None, None)
                .await
                .unwrap(),
            None,
            "a writer that read v1 cannot overwrite v2"
        );
        assert!(!store.remove(&key(), v1).await.unwrap());
        assert!(store.remove(&key(), v2).await.unwrap());
        assert!(store.load(&key()).await.unwrap().is_none());
        let v3 = store
            .save(&key(), None, b"three".to_vec(), None, None)
            .await
            .unwrap()
            .unwrap();
        assert!(v3 > v2, "versions do not repeat after a removal");
        assert_eq!(
            store.load(&key()).await.unwrap().unwrap().sealed(),
            b"three"
        );
    }

    #[tokio::test]
    async fn leases_exclude_expire_and_fence() {
        let store = MemoryStore::new();
        let ttl = Duration::from_millis(50);
        let first = store.try_lease(&key(), ttl).await.unwrap().unwrap();
        assert!(store.try_lease(&key(), ttl).await.unwrap().is_none());
        assert!(store.renew_lease(&key(), &first, ttl).await.unwrap());
        std::thread::sleep(Duration::from_millis(60));
        let second = store.try_lease(&key(), ttl).await.unwrap().unwrap();
        assert!(second.fencing_token() > first.fencing_token());
        assert!(!store.renew_lease(&key(), &first, ttl).await.unwrap());
        // The expired holder may not write while the new one holds the lease...
        assert_eq!(
            store
                .save(&key(), None, b"late".to_vec(), None, Some(&first))
                .await
                .unwrap(),
            None
        );
        // ...nor release it.
        store.release_lease(&key(), &first).await.unwrap();
        assert!(store.try_lease(&key(), ttl).await.unwrap().is_none());
        store.release_lease(&key(), &second).await.unwrap();
        assert!(store.try_lease(&key(), ttl).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn records_expire() {
        let store = MemoryStore::new();
        store
            .save(
                &key(),
                None,
                b"short".to_vec(),
                Some(Duration::from_millis(20)),
                None,
            )
            .await
            .unwrap();
        assert!(store.load(&key()).await.unwrap().is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(store.load(&key()).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn subscribers_wake_on_save_and_release_only_after_subscribing() {
        let store = MemoryStore::new();
        store
            .save(&key(), None, b"before".to_vec(), None, None)
            .await
            .unwrap();
        let change = store.subscribe(&key()).await;
        let waiter = tokio::spawn(change);
        tokio::task::yield_now().await;
        assert!(
            !waiter.is_finished(),
            "a change before subscribing does not count"
        );
        let lease = store
            .try_lease(&key(), Duration::from_secs(5))
            .await
            .unwrap()
            .unwrap();
        store.release_lease(&key(), &lease).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken by the release")
            .unwrap();
    }
}
