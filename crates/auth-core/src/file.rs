//! Reading small local files (tokens, keys, certificates, configs) with a size cap, refusing
//! anything that is not a regular file, into a buffer that is wiped when dropped.

use std::fs::{File, Metadata};
use std::io::{ErrorKind as IoErrorKind, Read};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};

/// The cap for a file holding one token or secret (64 KiB).
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// The cap for a key, certificate, keystore or config file (1 MiB).
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Reads the whole file at `path`, which must be a regular file of at most `limit` bytes.
///
/// A FIFO, a device such as `/dev/zero`, a directory or a socket is refused before it is opened
/// (opening a FIFO would block, reading a device would never end), and the read stops after
/// `limit + 1` bytes even if the file grows meanwhile. The buffer is sized once and wiped when
/// dropped. This is blocking file I/O; async callers run it off their runtime's workers.
///
/// `what` names the file in messages (`"key file"`), which read `` {what} `{path}` {reason} ``;
/// `kind` is the [`ErrorKind`] of every error.
///
/// ```
/// use auth_core::ErrorKind;
/// use auth_core::file::{read_bounded, MAX_FILE_BYTES};
///
/// let err = read_bounded("/dev/zero".as_ref(), "key file", MAX_FILE_BYTES, ErrorKind::KeyMaterial)
///     .unwrap_err();
/// assert!(err.message().contains("is not a regular file"), "{err}");
/// ```
///
/// # Errors
///
/// An error of `kind` naming the file and the reason: it does not exist, cannot be read, is not
/// a regular file, or is larger than `limit`.
pub fn read_bounded(
    path: &Path,
    what: &str,
    limit: u64,
    kind: ErrorKind,
) -> Result<Zeroizing<Vec<u8>>> {
    read_bounded_with_metadata(path, what, limit, kind).map(|(bytes, _)| bytes)
}

/// As [`read_bounded`], also returning the metadata of the file that was read, taken from the
/// open file before reading (a file swapped in meanwhile shows a different fingerprint next
/// time, so a watcher comparing metadata never misses a change).
///
/// # Errors
///
/// As [`read_bounded`].
pub fn read_bounded_with_metadata(
    path: &Path,
    what: &str,
    limit: u64,
    kind: ErrorKind,
) -> Result<(Zeroizing<Vec<u8>>, Metadata)> {
    let fail = |reason: String| Error::new(kind, format!("{what} `{}` {reason}", path.display()));
    let io_fail = |e: std::io::Error| {
        let reason = match e.kind() {
            IoErrorKind::NotFound => "does not exist; check the path".to_owned(),
            IoErrorKind::PermissionDenied => "cannot be read (permission denied)".to_owned(),
            _ => format!("cannot be read ({e})"),
        };
        fail(reason).with_source(e)
    };
    // `metadata` follows symlinks (a Kubernetes secret is a symlink to a regular file) and does
    // not open the file, so a FIFO is refused before `open` could block on it.
    let metadata = std::fs::metadata(path).map_err(io_fail)?;
    check_regular(&metadata, limit).map_err(fail)?;
    let file = open_without_waiting(path).map_err(io_fail)?;
    // The file may have been swapped between the two looks: check what was opened.
    let metadata = file.metadata().map_err(io_fail)?;
    check_regular(&metadata, limit).map_err(fail)?;
    let expected = usize::try_from(metadata.len()).unwrap_or(usize::MAX);
    let mut buffer = Zeroizing::new(Vec::with_capacity(expected.saturating_add(1)));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buffer)
        .map_err(io_fail)?;
    if buffer.len() as u64 > limit {
        return Err(fail(too_large(limit)));
    }
    Ok((buffer, metadata))
}

/// Opens `path` for reading without ever blocking in `open`: on Unix with `O_NONBLOCK`, so a
/// path swapped for a FIFO after the first check cannot hang the caller (the second check then
/// refuses it). A regular file reads the same either way.
fn open_without_waiting(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn check_regular(metadata: &Metadata, limit: u64) -> std::result::Result<(), String> {
    let kind = metadata.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else {
            special_kind(&kind)
        };
        return Err(format!(
            "is not a regular file ({what}); give the path of a file"
        ));
    }
    if metadata.len() > limit {
        return Err(too_large(limit));
    }
    Ok(())
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

fn too_large(limit: u64) -> String {
    format!("is larger than {limit} bytes, more than such a file ever holds; check the path")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>> {
        read_bounded(path, "test file", limit, ErrorKind::InvalidConfig)
    }

    #[test]
    fn reads_a_small_regular_file() {
        let path = std::env::temp_dir().join(format!("auth-core-file-{}", std::process::id()));
        std::fs::write(&path, b"hello").unwrap();
        assert_eq!(&**read(&path, 5).unwrap(), b"hello");
        let err = read(&path, 4).unwrap_err();
        assert!(err.message().contains("is larger than 4 bytes"), "{err}");
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        std::fs::remove_file(&path).unwrap();
        let err = read(&path, 4).unwrap_err();
        assert!(err.message().contains("does not exist"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_without_blocking() {
        let err = read(Path::new("/dev/zero"), 1024).unwrap_err();
        assert!(
            err.message().contains("is not a regular file (a device)"),
            "{err}"
        );
        let err = read(&std::env::temp_dir(), 1024).unwrap_err();
        assert!(err.message().contains("(a directory)"), "{err}");
    }

    /// The race the second check covers: a FIFO in place by the time of `open`. Without
    /// `O_NONBLOCK` this `open` waits for a writer that never comes.
    #[cfg(unix)]
    #[test]
    fn opening_a_fifo_does_not_wait_for_a_writer() {
        let path = std::env::temp_dir().join(format!("auth-core-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|status| status.success()) {
            eprintln!("skipped: `mkfifo` is not available here");
            return;
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let opening = path.clone();
        std::thread::spawn(move || {
            let _ = tx.send(open_without_waiting(&opening).map(|file| file.metadata()));
        });
        let opened = rx.recv_timeout(std::time::Duration::from_secs(10));
        std::fs::remove_file(&path).unwrap();
        let metadata = opened.expect("open blocked on a FIFO").unwrap().unwrap();
        assert!(
            check_regular(&metadata, 1024)
                .unwrap_err()
                .contains("(a FIFO)")
        );
    }
}
