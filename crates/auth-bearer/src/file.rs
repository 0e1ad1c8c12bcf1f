//! A bearer token read from a file and re-read when the file changes.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use auth_core::cache::{CachedToken, TokenCell};
use auth_core::clock::unix_nanos;
use auth_core::file::{MAX_SECRET_FILE_BYTES, read_bounded_with_metadata};
use auth_core::{Clock, Error, ErrorKind, Result, SecretString, SystemClock, Token};

use crate::validate::bearer_token;

/// The default time the last good token is served while its file is missing or bad.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);

/// How a file-backed [`BearerProvider`](crate::BearerProvider) watches its file.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FileOptions {
    /// The longest time a changed file can go unnoticed (default 1 s). Zero checks the file's
    /// metadata on every call (it is still read only when it changed).
    pub check_interval: Duration,
    /// How long the last good token is still served while the file is missing, empty,
    /// unreadable or holds an invalid token (default [`DEFAULT_GRACE_PERIOD`]); after that,
    /// calls fail until the file is good again.
    pub grace_period: Duration,
    /// The clock the interval and the grace period are measured with (default: the system
    /// clock).
    pub clock: Arc<dyn Clock>,
}

impl Default for FileOptions {
    fn default() -> Self {
        Self {
            check_interval: Duration::from_secs(1),
            grace_period: DEFAULT_GRACE_PERIOD,
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

    /// Sets [`grace_period`](Self::grace_period).
    #[must_use]
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_period = grace;
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

/// What the last look at the file found.
struct Seen {
    /// The fingerprint of the file the current token came from (`None`: read it again).
    fingerprint: Option<Fingerprint>,
    /// Since when the file has been bad, while the last good token is still served.
    failing_since: Option<SystemTime>,
}

pub(crate) struct FileSource {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: FileOptions,
    /// The current token: per-thread copies, no shared reference count on the hot path.
    cell: TokenCell,
    /// Nanoseconds since the Unix epoch before which the file is not looked at again.
    next_check: AtomicU64,
    /// Set while one caller checks the file; the others keep the current token meanwhile.
    checking: AtomicBool,
    /// Set by `invalidate`: the next check reads the file whatever its metadata says.
    reread: AtomicBool,
    /// Touched only by the check, on a blocking thread, never by an async caller.
    seen: Mutex<Seen>,
    /// How many times the file's contents were read.
    #[cfg(test)]
    reads: AtomicU64,
}

impl FileSource {
    pub(crate) fn open(path: PathBuf, options: FileOptions) -> Result<Self> {
        let (token, fingerprint) = read_token(&path)?;
        let cell = TokenCell::new();
        cell.set(Some(CachedToken::new(token)));
        let inner = Inner {
            path,
            cell,
            next_check: AtomicU64::new(0),
            checking: AtomicBool::new(false),
            reread: AtomicBool::new(false),
            seen: Mutex::new(Seen {
                fingerprint: Some(fingerprint),
                failing_since: None,
            }),
            #[cfg(test)]
            reads: AtomicU64::new(1),
            options,
        };
        inner.schedule_next_check(inner.options.clock.now());
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The current token when no check of the file is due; never touches the file.
    pub(crate) fn token_now(&self) -> Option<Token> {
        let inner = &self.inner;
        if unix_nanos(inner.options.clock.now()) >= inner.next_check.load(Ordering::Acquire) {
            return None;
        }
        inner.current()
    }

    pub(crate) async fn token(&self) -> Result<Token> {
        let inner = &self.inner;
        let now = inner.options.clock.now();
        if unix_nanos(now) < inner.next_check.load(Ordering::Acquire)
            || inner
                .checking
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            // Not due, or someone else is checking: the token we have is as good as theirs.
            return inner.current().ok_or_else(|| inner.failed_for_good());
        }
        run_blocking(check_task(CheckInProgress(Arc::clone(inner)), now)).await
    }

    /// A 401 for the current token: check and re-read the file on the next call, even if its
    /// metadata looks unchanged (a rewrite within the file system's timestamp resolution).
    pub(crate) fn invalidate(&self, rejected: &Token) {
        let inner = &self.inner;
        if inner
            .cell
            .get()
            .is_some_and(|cached| cached.token().same_credential(rejected))
        {
            // Flags only: `seen` is locked by a check doing file I/O, which an async caller
            // must not wait for.
            inner.reread.store(true, Ordering::Release);
            inner.next_check.store(0, Ordering::Release);
        }
    }

    #[cfg(test)]
    fn reads(&self) -> u64 {
        self.inner.reads.load(Ordering::Relaxed)
    }
}

impl Inner {
    fn current(&self) -> Option<Token> {
        self.cell.get().map(CachedToken::into_token)
    }

    fn failed_for_good(&self) -> Error {
        Error::invalid_config(format!(
            "bearer token file `{}` has been unusable for longer than the grace period; fix the \
             file (it is read again at the next check)",
            self.path.display()
        ))
    }

    /// Looks at the file (blocking) and re-reads it if it changed.
    fn check(&self, now: SystemTime) -> Result<Token> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if self.reread.swap(false, Ordering::AcqRel) {
            seen.fingerprint = None;
        }
        let result = std::fs::metadata(&self.path)
            .map_err(|e| file_error(&self.path, &e))
            .and_then(|metadata| {
                if seen.fingerprint.as_ref() == Some(&Fingerprint::of(&metadata)) {
                    return Ok(None);
                }
                #[cfg(test)]
                self.reads.fetch_add(1, Ordering::Relaxed);
                read_token(&self.path).map(Some)
            });
        self.schedule_next_check(now);
        match result {
            Ok(unchanged_or_new) => {
                if let Some((token, fingerprint)) = unchanged_or_new {
                    self.cell.set(Some(CachedToken::new(token)));
                    seen.fingerprint = Some(fingerprint);
                }
                seen.failing_since = None;
                self.current().ok_or_else(|| self.failed_for_good())
            }
            Err(error) => {
                // Read again once the file comes back, whatever its metadata.
                seen.fingerprint = None;
                let since = *seen.failing_since.get_or_insert(now);
                let within_grace = now
                    .duration_since(since)
                    .map_or(true, |bad_for| bad_for <= self.options.grace_period);
                match self.current() {
                    Some(last_good) if within_grace => {
                        tracing::warn!(
                            target: "auth_bearer",
                            error = %error,
                            "bearer token file unusable; serving the last good token within the grace period"
                        );
                        Ok(last_good)
                    }
                    _ => {
                        self.cell.set(None);
                        Err(error)
                    }
                }
            }
        }
    }

    fn schedule_next_check(&self, now: SystemTime) {
        let interval = u64::try_from(self.options.check_interval.as_nanos()).unwrap_or(u64::MAX);
        self.next_check
            .store(unix_nanos(now).saturating_add(interval), Ordering::Release);
    }
}

/// The right to check the file, held by one check at a time; dropping it clears the flag.
struct CheckInProgress(Arc<Inner>);

impl Drop for CheckInProgress {
    fn drop(&mut self) {
        self.0.checking.store(false, Ordering::Release);
    }
}

/// The blocking check, owning its [`CheckInProgress`]. The flag is cleared however the task
/// ends: run to the end, panicked, or dropped unrun (Tokio drops queued blocking tasks when its
/// runtime shuts down) — and not by the caller, who may be dropped while waiting (a timeout,
/// say) while the check still runs. A flag left set would stop every later check for good.
fn check_task(held: CheckInProgress, now: SystemTime) -> impl FnOnce() -> Result<Token> + Send {
    move || held.0.check(now)
}

/// Runs `work` on Tokio's blocking threads when a Tokio runtime is current, inline otherwise
/// (a caller on another executor, or none, is allowed to block).
async fn run_blocking(work: impl FnOnce() -> Result<Token> + Send + 'static) -> Result<Token> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime.spawn_blocking(work).await.unwrap_or_else(|e| {
            Err(Error::other(if e.is_panic() {
                "the check of the bearer token file panicked; it is tried again at the next call"
            } else {
                "the check of the bearer token file did not run: the runtime is shutting down"
            }))
        }),
        Err(_) => work(),
    }
}

fn file_error(path: &Path, error: &std::io::Error) -> Error {
    let reason = match error.kind() {
        std::io::ErrorKind::NotFound => "does not exist".to_owned(),
        std::io::ErrorKind::PermissionDenied => "cannot be read (permission denied)".to_owned(),
        _ => format!("cannot be read ({error})"),
    };
    Error::invalid_config(format!(
        "bearer token file `{}` {reason}; check the path",
        path.display()
    ))
}

fn read_token(path: &Path) -> Result<(Token, Fingerprint)> {
    // The fingerprint is of the file actually read, taken before reading: if the file changes
    // meanwhile, the next check sees a different fingerprint and reads it again, so a rotation
    // is never missed.
    let (bytes, metadata) = read_bounded_with_metadata(
        path,
        "bearer token file",
        MAX_SECRET_FILE_BYTES,
        ErrorKind::InvalidConfig,
    )?;
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
    Ok((token, Fingerprint::of(&metadata)))
}

#[cfg(test)]
mod tests {
    use auth_core::clock::ManualClock;
    use auth_core::{AuthProvider, ErrorKind};

    use super::*;
    use crate::BearerProvider;

    fn write(path: &Path, contents: &str) {
        // Write a new file and rename it over the old one, as secret rotators do.
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, contents).unwrap();
        std::fs::rename(&tmp, path).unwrap();
    }

    /// A token file holding `contents` in a fresh directory (kept alive by the caller), and a
    /// clock the test moves.
    fn token_file(contents: &str) -> (tempfile::TempDir, PathBuf, ManualClock) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        write(&path, contents);
        (dir, path, ManualClock::starting_now())
    }

    fn options(clock: &ManualClock, interval: u64) -> FileOptions {
        FileOptions::default()
            .check_interval(Duration::from_secs(interval))
            .clock(Arc::new(clock.clone()))
    }

    #[tokio::test]
    async fn rotation_is_picked_up_and_unchanged_file_is_not_reread() {
        let (_dir, path, clock) = token_file("first-token\n");
        let source = FileSource::open(path.clone(), options(&clock, 10)).unwrap();
        assert_eq!(
            source.token().await.unwrap().expose_credential(),
            "first-token"
        );

        for _ in 0..100 {
            assert_eq!(
                source.token().await.unwrap().expose_credential(),
                "first-token"
            );
        }
        clock.advance(Duration::from_secs(11));
        assert!(
            source.token_now().is_none(),
            "a due check is left to token()"
        );
        assert_eq!(
            source.token().await.unwrap().expose_credential(),
            "first-token"
        );
        assert_eq!(
            source.reads(),
            1,
            "an unchanged file must not be read again"
        );

        write(&path, "second-token-longer\r\n");
        // Within the interval, the old token is still served without touching the file.
        assert_eq!(
            source.token().await.unwrap().expose_credential(),
            "first-token"
        );
        assert_eq!(
            source.token_now().unwrap().expose_credential(),
            "first-token"
        );
        clock.advance(Duration::from_secs(11));
        assert_eq!(
            source.token().await.unwrap().expose_credential(),
            "second-token-longer"
        );
        assert_eq!(source.reads(), 2);
    }

    #[tokio::test]
    async fn invalidate_forces_an_immediate_check() {
        let (_dir, path, clock) = token_file("old");
        let provider = BearerProvider::from_file_with(&path, options(&clock, 3600)).unwrap();
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

    /// A rewrite the metadata cannot show: in place (same inode), same length, and the
    /// modification time put back. Only a rejection makes the provider read it again.
    #[tokio::test]
    async fn invalidate_rereads_a_file_whose_metadata_looks_unchanged() {
        let (_dir, path, clock) = token_file("token-a");
        let provider = BearerProvider::from_file_with(&path, options(&clock, 0)).unwrap();
        let old = provider.token().await.unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Write::write_all(&mut &file, b"token-b").unwrap();
        file.set_modified(modified).unwrap();
        drop(file);
        assert_eq!(
            provider.token().await.unwrap().expose_credential(),
            "token-a",
            "unchanged metadata: the file is not read again"
        );
        provider.invalidate(&old);
        assert_eq!(
            provider.token().await.unwrap().expose_credential(),
            "token-b"
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
    fn special_and_oversized_files_are_refused_without_blocking() {
        let err = BearerProvider::from_file("/dev/zero").unwrap_err();
        assert!(
            err.message().contains("is not a regular file (a device)"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = BearerProvider::from_file(dir.path()).unwrap_err();
        assert!(err.message().contains("(a directory)"), "{err}");
        // A FIFO with no writer would block `open` forever.
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|status| status.success()) {
            let err = BearerProvider::from_file(&fifo).unwrap_err();
            assert!(err.message().contains("(a FIFO)"), "{err}");
        } else {
            eprintln!("SKIPPED the FIFO case: `mkfifo` is not available here");
        }
        let big = dir.path().join("big");
        write(&big, &"a".repeat(64 * 1024 + 1));
        let err = BearerProvider::from_file(&big).unwrap_err();
        assert!(
            err.message().contains("is larger than 65536 bytes"),
            "{err}"
        );
        write(&big, &"a".repeat(64 * 1024));
        assert!(
            BearerProvider::from_file(&big).is_ok(),
            "64 KiB exactly is fine"
        );
    }

    #[tokio::test]
    async fn a_briefly_missing_or_empty_file_keeps_the_last_good_token_for_the_grace_period() {
        let (_dir, path, clock) = token_file("good");
        let options = options(&clock, 0).grace_period(Duration::from_secs(30));
        let source = FileSource::open(path.clone(), options).unwrap();

        // A non-atomic rotation: truncated, then gone for a moment.
        std::fs::write(&path, "").unwrap();
        assert_eq!(source.token().await.unwrap().expose_credential(), "good");
        std::fs::remove_file(&path).unwrap();
        clock.advance(Duration::from_secs(29));
        assert_eq!(source.token().await.unwrap().expose_credential(), "good");
        clock.advance(Duration::from_secs(2));
        let err = source.token().await.unwrap_err();
        assert!(err.message().contains("does not exist"), "{err}");
        assert!(source.token_now().is_none());
        let err = source.token().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);

        write(&path, "rotated");
        assert_eq!(source.token().await.unwrap().expose_credential(), "rotated");
        // The grace period starts again at the next failure.
        write(&path, "bad token");
        assert_eq!(source.token().await.unwrap().expose_credential(), "rotated");
    }

    #[tokio::test]
    async fn a_caller_dropped_during_a_check_does_not_stop_later_checks() {
        let (_dir, path, clock) = token_file("first");
        let source = FileSource::open(path.clone(), options(&clock, 0)).unwrap();
        write(&path, "second");
        // Poll a check once (it is now on a blocking thread), then drop the caller.
        {
            let check = std::pin::pin!(source.token());
            let mut context = std::task::Context::from_waker(std::task::Waker::noop());
            let _ = check.poll(&mut context);
        }
        // The dropped caller's check still finishes and clears the flag.
        let mut token = String::new();
        for _ in 0..500 {
            token = source.token().await.unwrap().expose_credential().to_owned();
            if token == "second" {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(token, "second");
        write(&path, "third");
        assert_eq!(source.token().await.unwrap().expose_credential(), "third");
    }

    #[test]
    fn a_check_task_clears_the_flag_whether_run_or_dropped_unrun() {
        let (_dir, path, clock) = token_file("first");
        let source = FileSource::open(path.clone(), options(&clock, 0)).unwrap();
        let flag = || source.inner.checking.load(Ordering::Acquire);
        let held = || {
            source.inner.checking.store(true, Ordering::Release);
            CheckInProgress(Arc::clone(&source.inner))
        };
        // Dropped unrun, as Tokio drops a queued blocking task when its runtime shuts down.
        let task = check_task(held(), clock.now());
        assert!(flag());
        drop(task);
        assert!(!flag(), "a task dropped unrun left the flag set");
        // Run to the end.
        let task = check_task(held(), clock.now());
        assert_eq!(task().unwrap().expose_credential(), "first");
        assert!(!flag(), "a finished task left the flag set");
    }

    #[test]
    fn a_file_check_without_a_tokio_runtime_runs_inline() {
        let (_dir, path, clock) = token_file("first");
        let source = FileSource::open(path.clone(), options(&clock, 0)).unwrap();
        write(&path, "second");
        let token = std::pin::pin!(source.token());
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match token.poll(&mut context) {
            std::task::Poll::Ready(token) => {
                assert_eq!(token.unwrap().expose_credential(), "second");
            }
            std::task::Poll::Pending => panic!("without a runtime the check must not wait"),
        }
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
