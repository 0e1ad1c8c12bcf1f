//! A token store in a directory: one file per key, written by atomic rename, mode 0600, and
//! OS file locks (flock) for compare-and-set and for the lease, so processes on one machine
//! (CLI runs from cron, several workers) share tokens.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use auth_core::store::{Lease, StoreKey, StoredRecord, TokenStore};
use auth_core::{Error, Result, async_trait};

/// The first bytes of a record file.
const MAGIC: &[u8; 4] = b"ATF1";

/// The largest record file read: sealed records are a few kilobytes.
const MAX_RECORD_FILE: u64 = 1024 * 1024;

/// A [`TokenStore`] in a directory, for processes on one machine.
///
/// - The directory is created with mode 0700 if missing, and refused if other users may
///   write to it. Each key has a record file (mode 0600, replaced by an atomic rename, so a
///   reader never sees half a record), a lock file and a lease file.
/// - Compare-and-set holds an exclusive OS lock on the key's lock file for the moment of the
///   write.
/// - The lease is an OS lock on the key's lease file, held until it is released or the holder
///   exits: a process killed mid-request loses it at once, whatever the lease's time to live.
/// - There are no change notifications: waiters poll (every 10 ms at first, at most every
///   200 ms).
///
/// Operations run on Tokio's blocking threads, so a Tokio runtime must be running.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use auth_oauth2::FileStore;
///
/// let store = FileStore::new(dir.path().join("tokens"))?;
/// assert!(dir.path().join("tokens").is_dir());
/// # let _ = store;
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    /// The lease files this process holds locked, by lease holder.
    leases: Mutex<HashMap<String, File>>,
    /// Makes lease holders unique within this process.
    acquisitions: AtomicU64,
}

impl FileStore {
    /// A store in `dir`, which is created (mode 0700, with its parents) if missing.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when `dir` cannot be created, is not a
    /// directory, or may be written by other users.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self> {
        let dir = dir.into();
        let shown = dir.display().to_string();
        match std::fs::metadata(&dir) {
            Ok(metadata) if !metadata.is_dir() => {
                return Err(Error::invalid_config(format!(
                    "the token store path `{shown}` is not a directory; give a directory (it is \
                     created if missing)"
                )));
            }
            Ok(metadata) => check_permissions(&shown, &metadata)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(&dir).map_err(|e| {
                    Error::invalid_config(format!(
                        "cannot create the token store directory `{shown}` ({e})"
                    ))
                })?;
            }
            Err(error) => {
                return Err(Error::invalid_config(format!(
                    "cannot read the token store directory `{shown}` ({error})"
                )));
            }
        }
        Ok(Self {
            inner: Arc::new(Inner {
                dir,
                leases: Mutex::new(HashMap::new()),
                acquisitions: AtomicU64::new(0),
            }),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Runs `work` on a blocking thread.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|_| Error::other("a token store file operation panicked"))?
    }
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn check_permissions(shown: &str, metadata: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(Error::invalid_config(format!(
            "the token store directory `{shown}` may be written by other users (mode {mode:o}); \
             make it private (`chmod 700`) or give another directory"
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &str, _: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

/// A file this store creates: read and write, mode 0600.
fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)
}

fn io_error(what: &str, path: &Path, error: &std::io::Error) -> Error {
    Error::other(format!(
        "token store: cannot {what} `{}` ({error})",
        path.display()
    ))
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A record file: its version (the last one handed out), and the record if there is one.
struct RecordFile {
    version: u64,
    /// `None`: removed, or never written.
    sealed: Option<Vec<u8>>,
    /// Milliseconds since the epoch after which the record is gone (0: never).
    expires_at: u64,
}

impl RecordFile {
    fn live_version(&self, now_ms: u64) -> Option<u64> {
        (self.sealed.is_some() && (self.expires_at == 0 || now_ms < self.expires_at))
            .then_some(self.version)
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(21 + self.sealed.as_ref().map_or(0, Vec::len));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.expires_at.to_be_bytes());
        match &self.sealed {
            Some(sealed) => {
                out.push(1);
                out.extend_from_slice(sealed);
            }
            None => out.push(0),
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        if rest.len() < 17 {
            return None;
        }
        let version = u64::from_be_bytes(rest[..8].try_into().ok()?);
        let expires_at = u64::from_be_bytes(rest[8..16].try_into().ok()?);
        let sealed = match rest[16] {
            1 => Some(rest[17..].to_vec()),
            0 if rest.len() == 17 => None,
            _ => return None,
        };
        Some(Self {
            version,
            sealed,
            expires_at,
        })
    }
}

impl Inner {
    /// The key's file name stem: the key with `:` and `/` (not allowed or awkward in file
    /// names) mapped to characters keys never hold, so different keys never share a file.
    fn path(&self, key: &StoreKey, suffix: &str) -> PathBuf {
        let stem: String = key
            .as_str()
            .chars()
            .map(|c| match c {
                ':' => '=',
                '/' => '+',
                c => c,
            })
            .collect();
        self.dir.join(format!("{stem}.{suffix}"))
    }

    /// The key's record file; a missing or unreadable one reads as empty (version 0), so a
    /// garbled file is replaced by the next save.
    fn read(&self, key: &StoreKey) -> Result<RecordFile> {
        let path = self.path(key, "record");
        let empty = RecordFile {
            version: 0,
            sealed: None,
            expires_at: 0,
        };
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(empty),
            Err(error) => return Err(io_error("read", &path, &error)),
        };
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAX_RECORD_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error("read", &path, &e))?;
        if bytes.len() as u64 > MAX_RECORD_FILE {
            return Ok(empty);
        }
        // A garbled file reads as empty; the next save replaces it.
        Ok(RecordFile::decode(&bytes).unwrap_or(empty))
    }

    /// Replaces the key's record file atomically: a temporary file, synced, renamed over it.
    fn write(&self, key: &StoreKey, record: &RecordFile) -> Result<()> {
        let path = self.path(key, "record");
        let temporary = self.path(
            key,
            &format!(
                "record.{}.{}.tmp",
                std::process::id(),
                self.acquisitions.fetch_add(1, Ordering::Relaxed)
            ),
        );
        let written = (|| {
            let mut file = open_private(&temporary, true)?;
            file.write_all(&record.encode())?;
            file.sync_all()?;
            std::fs::rename(&temporary, &path)?;
            // The rename itself is durable once the directory is synced.
            File::open(&self.dir)?.sync_all()
        })();
        written.map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            io_error("write", &path, &e)
        })
    }

    /// Runs `change` with the key's lock file locked, so compare and write are one step for
    /// every process.
    fn locked<T>(&self, key: &StoreKey, change: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        let path = self.path(key, "lock");
        let lock = open_private(&path, false).map_err(|e| io_error("open", &path, &e))?;
        lock.lock().map_err(|e| io_error("lock", &path, &e))?;
        let result = change(self);
        // Unlocked when `lock` is closed; said explicitly for the reader.
        let _ = lock.unlock();
        result
    }

    /// Whether someone other than `lease`'s holder holds the key's lease.
    fn leased_by_another(&self, key: &StoreKey, lease: &Lease) -> Result<bool> {
        if self.leases_held().contains_key(lease.holder()) {
            return Ok(false);
        }
        let path = self.path(key, "lease");
        let file = open_private(&path, false).map_err(|e| io_error("open", &path, &e))?;
        match file.try_lock() {
            Ok(()) => {
                let _ = file.unlock();
                Ok(false)
            }
            Err(TryLockError::WouldBlock) => Ok(true),
            Err(TryLockError::Error(e)) => Err(io_error("lock", &path, &e)),
        }
    }

    fn leases_held(&self) -> std::sync::MutexGuard<'_, HashMap<String, File>> {
        self.leases.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl TokenStore for FileStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredRecord>> {
        let key = key.clone();
        self.blocking(move |inner| {
            let record = inner.read(&key)?;
            let now = millis(SystemTime::now());
            Ok(match (record.live_version(now), record.sealed) {
                (Some(version), Some(sealed)) => Some(StoredRecord::new(version, sealed)),
                _ => None,
            })
        })
        .await
    }

    async fn save(
        &self,
        key: &StoreKey,
        expected: Option<u64>,
        sealed: Vec<u8>,
        expires_after: Option<Duration>,
        lease: Option<&Lease>,
    ) -> Result<Option<u64>> {
        let key = key.clone();
        let lease = lease.cloned();
        self.blocking(move |inner| {
            inner.locked(&key, |inner| {
                let now = SystemTime::now();
                let current = inner.read(&key)?;
                if current.live_version(millis(now)) != expected {
                    return Ok(None);
                }
                if let Some(lease) = &lease
                    && inner.leased_by_another(&key, lease)?
                {
                    return Ok(None);
                }
                let version = current.version + 1;
                inner.write(
                    &key,
                    &RecordFile {
                        version,
                        sealed: Some(sealed),
                        expires_at: expires_after
                            .and_then(|after| now.checked_add(after))
                            .map_or(0, millis),
                    },
                )?;
                Ok(Some(version))
            })
        })
        .await
    }

    async fn remove(&self, key: &StoreKey, expected: u64) -> Result<bool> {
        let key = key.clone();
        self.blocking(move |inner| {
            inner.locked(&key, |inner| {
                let current = inner.read(&key)?;
                if current.live_version(millis(SystemTime::now())) != Some(expected) {
                    return Ok(false);
                }
                // Kept as an empty record with the next version, so versions never repeat.
                inner.write(
                    &key,
                    &RecordFile {
                        version: current.version + 1,
                        sealed: None,
                        expires_at: 0,
                    },
                )?;
                Ok(true)
            })
        })
        .await
    }

    async fn try_lease(&self, key: &StoreKey, _ttl: Duration) -> Result<Option<Lease>> {
        let key = key.clone();
        self.blocking(move |inner| {
            let path = inner.path(&key, "lease");
            let mut file = open_private(&path, false).map_err(|e| io_error("open", &path, &e))?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(io_error("lock", &path, &e)),
            }
            // The lease file holds the last fencing token.
            let mut last = [0u8; 8];
            let fence = match file.read_exact(&mut last) {
                Ok(()) => u64::from_be_bytes(last) + 1,
                Err(_) => 1,
            };
            let stored = (|| {
                file.seek(SeekFrom::Start(0))?;
                file.write_all(&fence.to_be_bytes())?;
                file.set_len(8)
            })();
            if let Err(e) = stored {
                let _ = file.unlock();
                return Err(io_error("write", &path, &e));
            }
            let holder = format!(
                "{}-{}-{fence}",
                std::process::id(),
                inner.acquisitions.fetch_add(1, Ordering::Relaxed)
            );
            inner.leases_held().insert(holder.clone(), file);
            Ok(Some(Lease::new(fence, holder)))
        })
        .await
    }

    async fn renew_lease(&self, _key: &StoreKey, lease: &Lease, _ttl: Duration) -> Result<bool> {
        // Held until released or the process exits; nothing runs out.
        Ok(self.inner.leases_held().contains_key(lease.holder()))
    }

    async fn release_lease(&self, _key: &StoreKey, lease: &Lease) -> Result<()> {
        if let Some(file) = self.inner.leases_held().remove(lease.holder()) {
            let _ = file.unlock();
        }
        Ok(())
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StoreKey {
        StoreKey::new("oauth2:abc/def").unwrap()
    }

    #[tokio::test]
    async fn compare_and_set_removal_and_versions() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("a/b")).unwrap();
        assert!(store.load(&key()).await.unwrap().is_none());
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
        let loaded = store.load(&key()).await.unwrap().unwrap();
        assert_eq!((loaded.version(), loaded.sealed()), (v1, &b"one"[..]));
        let v2 = store
            .save(&key(), Some(v1), b"two".to_vec(), None, None)
            .await
            .unwrap()
            .unwrap();
        assert!(!store.remove(&key(), v1).await.unwrap());
        assert!(store.remove(&key(), v2).await.unwrap());
        assert!(store.load(&key()).await.unwrap().is_none());
        let v3 = store
            .save(&key(), None, b"three".to_vec(), None, None)
            .await
            .unwrap()
            .unwrap();
        assert!(v3 > v2);
        // Another store on the same directory (another process) sees the same record.
        let other = FileStore::new(dir.path().join("a/b")).unwrap();
        assert_eq!(
            other.load(&key()).await.unwrap().unwrap().sealed(),
            b"three"
        );
    }

    #[tokio::test]
    async fn expired_records_read_as_absent() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        store
            .save(
                &key(),
                None,
                b"short".to_vec(),
                Some(Duration::from_millis(30)),
                None,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(store.load(&key()).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(store.load(&key()).await.unwrap().is_none());
        assert!(
            store
                .save(&key(), None, b"next".to_vec(), None, None)
                .await
                .unwrap()
                .is_some(),
            "an expired record is no record for compare-and-set"
        );
    }

    #[tokio::test]
    async fn a_lease_excludes_other_holders_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let one = FileStore::new(dir.path()).unwrap();
        let two = FileStore::new(dir.path()).unwrap();
        let ttl = Duration::from_secs(1);
        let first = one.try_lease(&key(), ttl).await.unwrap().unwrap();
        assert!(two.try_lease(&key(), ttl).await.unwrap().is_none());
        assert!(
            one.try_lease(&key(), ttl).await.unwrap().is_none(),
            "even in one store"
        );
        assert!(one.renew_lease(&key(), &first, ttl).await.unwrap());
        assert!(!two.renew_lease(&key(), &first, ttl).await.unwrap());
        // While `one` holds the lease, `two` cannot write under a lease of its own.
        let stale = Lease::new(first.fencing_token(), "someone-else");
        assert_eq!(
            two.save(&key(), None, b"x".to_vec(), None, Some(&stale))
                .await
                .unwrap(),
            None
        );
        assert!(
            one.save(&key(), None, b"y".to_vec(), None, Some(&first))
                .await
                .unwrap()
                .is_some()
        );
        one.release_lease(&key(), &first).await.unwrap();
        let second = two.try_lease(&key(), ttl).await.unwrap().unwrap();
        assert!(second.fencing_token() > first.fencing_token());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn files_are_private_and_a_shared_directory_is_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        let store = FileStore::new(&path).unwrap();
        store
            .save(&key(), None, b"s".to_vec(), None, None)
            .await
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o700);
        for entry in std::fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap().path();
            assert_eq!(mode(&entry), 0o600, "{}", entry.display());
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = FileStore::new(&path).unwrap_err().to_string();
        assert!(
            error.contains("chmod 700") && error.contains("777"),
            "{error}"
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(
            FileStore::new(&file)
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
    }

    #[tokio::test]
    async fn a_garbled_record_file_reads_as_absent_and_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path()).unwrap();
        std::fs::write(store.inner.path(&key(), "record"), b"garbage").unwrap();
        assert!(store.load(&key()).await.unwrap().is_none());
        assert!(
            store
                .save(&key(), None, b"ok".to_vec(), None, None)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(store.load(&key()).await.unwrap().unwrap().sealed(), b"ok");
    }
}
