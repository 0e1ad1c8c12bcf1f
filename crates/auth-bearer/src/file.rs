//! A bearer token read from a file and re-read when the file changes.

use std::fs::Metadata;
use std::io::ErrorKind as IoErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{CachedToken, Clock, Error, Result, SecretString, SystemClock, Token, TokenCell};
use zeroize::Zeroizing;

use crate::validate::bearer_token;

/// How a file-backed [`BearerProvider`](crate::BearerProvider) watches its file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FileOptions {
    /// The longest time a changed file can go unnoticed (default 1 s). Zero checks the file's
    /// metadata on every call (it is still read only when it changed).
    pub check_interval: Duration,
    /// The clock the interval is measured with (default: the system clock).
    pub clock: Arc<dyn Clock>,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            check_interval: Duration::from_secs(1),
            clock: Arc::new(SystemClock::new()),
        }
    }
}

impl FileOptions {
    /// Sets [`check_interval`](Self::check_interval).
    #[must_use]
    pub fn check_interval(mut self, interval: Duration) -> Self {
        self.check_interval = interval;
        self
    }

    /// Sets [`clock`](Self::clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

/// What identifies one version of the file without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    #[cfg(unix)]
    dev_ino: (u64, u64),
}

impl Fingerprint {
    fn of(metadata: &Metadata) -> Self {
        Self {
            modified: metadata.modified().ok(),
            len: metadata.len(),
            #[cfg(unix)]
            dev_ino: {
                use std::os::unix::fs::MetadataExt as _;
                (metadata.dev(), metadata.ino())
            },
        }
    }
}

struct Loaded {
    token: Token,
    fingerprint: Fingerprint,
}

pub(crate) struct FileSource {
    path: PathBuf,
    options: FileOptions,
    /// The current token: per-thread copies, no shared reference count on the hot path.
    cell: TokenCell,
    /// Milliseconds since the Unix epoch before which the file is not looked at again.
    next_check_ms: AtomicU64,
    /// The fingerprint of the file the current token came from (`None`: read it again). Only
    /// one caller checks and re-reads the file at a time; the others keep the current token.
    reload: Mutex<Option<Fingerprint>>,
    /// How many times the file's contents were read (for tests and diagnostics).
    reads: AtomicU64,
}

impl FileSource {
    pub(crate) fn open(path: PathBuf, options: FileOptions) -> Result<Self> {
        let loaded = read_token(&path)?;
        let source = Self {
            path,
            cell: TokenCell::with(CachedToken::forever(loaded.token)),
            next_check_ms: AtomicU64::new(0),
            reload: Mutex::new(Some(loaded.fingerprint)),
            reads: AtomicU64::new(1),
            options,
        };
        source.schedule_next_check(source.options.clock.now());
        Ok(source)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn token(&self) -> Result<Token> {
        let now = self.options.clock.now();
        if millis(now) < self.next_check_ms.load(Ordering::Acquire) {
            return self.current_token();
        }
        let Ok(mut fingerprint) = self.reload.try_lock() else {
            // Someone else is checking right now; the token we have is as good as theirs was.
            return self.current_token();
        };
        let metadata = std::fs::metadata(&self.path).map_err(|e| read_error(&self.path, &e))?;
        if fingerprint.as_ref() != Some(&Fingerprint::of(&metadata)) {
            let loaded = read_token(&self.path)?;
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.cell.set(Some(CachedToken::forever(loaded.token)));
            *fingerprint = Some(loaded.fingerprint);
        }
        self.schedule_next_check(now);
        self.current_token()
    }

    fn current_token(&self) -> Result<Token> {
        self.cell
            .get()
            .map(|cached| cached.token)
            .ok_or_else(|| Error::other("the bearer token file has no token loaded"))
    }

    /// A 401 for the current token: check and re-read the file on the next call, even if its
    /// metadata looks unchanged (a rewrite within the file system's timestamp resolution).
    pub(crate) fn invalidate(&self, rejected: &Token) {
        let mut fingerprint = self.reload.lock().unwrap_or_else(PoisonError::into_inner);
        if self
            .cell
            .get()
            .is_some_and(|cached| cached.token.same_credential(rejected))
        {
            *fingerprint = None;
            self.next_check_ms.store(0, Ordering::Release);
        }
    }

    fn schedule_next_check(&self, now: SystemTime) {
        let next = millis(now).saturating_add(
            u64::try_from(self.options.check_interval.as_millis()).unwrap_or(u64::MAX),
        );
        self.next_check_ms.store(next, Ordering::Release);
    }

    #[cfg(test)]
    fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn read_error(path: &Path, error: &std::io::Error) -> Error {
    let what = match error.kind() {
        IoErrorKind::NotFound => "does not exist".to_owned(),
        IoErrorKind::PermissionDenied => "cannot be read (permission denied)".to_owned(),
        _ => format!("cannot be read ({error})"),
    };
    Error::invalid_config(format!(
        "bearer token file `{}` {what}; check the path",
        path.display()
    ))
}

fn read_token(path: &Path) -> Result<Loaded> {
    // Fingerprint before reading: if the file changes in between, the next check sees a
    // different fingerprint and reads it again, so a rotation is never missed.
    let metadata = std::fs::metadata(path).map_err(|e| read_error(path, &e))?;
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| read_error(path, &e))?);
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(Error::invalid_config(format!(
            "bearer token file `{}` is not UTF-8 text",
            path.display()
        )));
    };
    let text = text.trim_end_matches(['\n', '\r']);
    let token = bearer_token(
        SecretString::from(text),
        &format!("bearer token file `{}`", path.display()),
    )?;
    Ok(Loaded {
        token,
        fingerprint: Fingerprint::of(&metadata),
    })
}

#[cfg(test)]
mod tests {
    use auth_core::{AuthProvider, ErrorKind, ManualClock};

    use super::*;
    use crate::BearerProvider;

    fn write(path: &Path, contents: &str) {
        // Write a new file and rename it over the old one, as secret rotators do.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    #[test]
    fn rotation_is_picked_up_and_unchanged_file_is_not_reread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write(&path, "first-token\n");
        let clock = ManualClock::starting_now();
        let options = FileOptions::default()
            .check_interval(Duration::from_secs(10))
            .clock(Arc::new(clock.clone()));
        let source = FileSource::open(path.clone(), options).unwrap();
        assert_eq!(source.token().unwrap().expose_credential(), "first-token");

        for _ in 0..100 {
            assert_eq!(source.token().unwrap().expose_credential(), "first-token");
        }
        clock.advance(Duration::from_secs(11));
        assert_eq!(source.token().unwrap().expose_credential(), "first-token");
        assert_eq!(
            source.reads(),
            1,
            "an unchanged file must not be read again"
        );

        write(&path, "second-token-longer\r\n");
        // Within the interval, the old token is still served without touching the file.
        assert_eq!(source.token().unwrap().expose_credential(), "first-token");
        clock.advance(Duration::from_secs(11));
        assert_eq!(
            source.token().unwrap().expose_credential(),
            "second-token-longer"
        );
        assert_eq!(source.reads(), 2);
    }

    #[tokio::test]
    async fn invalidate_forces_an_immediate_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write(&path, "old");
        let clock = ManualClock::starting_now();
        let options = FileOptions::default()
            .check_interval(Duration::from_secs(3600))
            .clock(Arc::new(clock));
        let provider = BearerProvider::from_file_with(&path, options).unwrap();
        let old = provider.token().await.unwrap();
        write(&path, "rotated");
        assert_eq!(provider.token().await.unwrap().expose_credential(), "old");
        // A stale token (not the current one) does not force a check.
        provider.invalidate(&Token::bearer("unrelated").unwrap());
        assert_eq!(provider.token().await.unwrap().expose_credential(), "old");
        provider.invalidate(&old);
        assert_eq!(
            provider.token().await.unwrap().expose_credential(),
            "rotated"
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_path_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        let err = BearerProvider::from_file(&missing).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.message().contains("does not exist"), "{err}");
        assert!(err.message().contains("missing"), "{err}");

        let empty = dir.path().join("empty");
        write(&empty, "\n");
        let err = BearerProvider::from_file(&empty).unwrap_err();
        assert!(err.message().contains("is empty"), "{err}");

        let two_lines = dir.path().join("two-lines");
        write(&two_lines, "secret-one\nsecret-two\n");
        let err = BearerProvider::from_file(&two_lines).unwrap_err();
        assert!(err.message().contains("line feed (LF) at byte 10"), "{err}");
        assert!(!err.to_string().contains("secret-"), "{err}");
    }

    #[test]
    fn a_bad_rotation_is_reported_and_recovered_from() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write(&path, "good");
        let options = FileOptions::default().check_interval(Duration::ZERO);
        let source = FileSource::open(path.clone(), options).unwrap();
        write(&path, "bad token");
        assert!(source.token().unwrap_err().message().contains("a space"));
        write(&path, "good-again");
        assert_eq!(source.token().unwrap().expose_credential(), "good-again");
    }

    #[test]
    fn debug_names_the_path_not_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mounted.secret");
        write(&path, "file-marker-secret");
        let provider = BearerProvider::from_file(&path).unwrap();
        let debug = format!("{provider:?}");
        assert!(debug.contains("mounted.secret"), "{debug}");
        assert!(!debug.contains("file-marker-secret"), "{debug}");
    }
}
