//! The Bearer provider.

use std::fmt;
use std::path::PathBuf;

use auth_core::cache::StaticTokenCell;
use auth_core::{AuthProvider, Error, Result, SecretString, Token, async_trait};

use crate::file::{FileOptions, FileSource};
use crate::validate::bearer_token;

/// Sends `Authorization: Bearer <token>` (RFC 6750).
///
/// - [`new`](Self::new): a token given in code or configuration;
/// - [`from_env`](Self::from_env): a token read once from an environment variable;
/// - [`from_file`](Self::from_file): a token read from a file and re-read when the file
///   changes, for secrets that are rotated on disk.
pub struct BearerProvider {
    source: Source,
}

enum Source {
    /// The cell hands each thread its own copy (no shared reference count on the hot path).
    Static(StaticTokenCell),
    Env {
        var: String,
        cell: StaticTokenCell,
    },
    File(FileSource),
}

impl BearerProvider {
    /// A fixed token.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the token is
    /// empty or holds a character a bearer token cannot hold (CR, LF and other control
    /// characters, whitespace, non-ASCII).
    pub fn new(token: impl Into<SecretString>) -> Result<Self> {
        let token = bearer_token(token.into(), "the bearer token")?;
        Ok(Self {
            source: Source::Static(StaticTokenCell::new(token)),
        })
    }

    /// Reads the token from the environment variable `var`, once, now.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the variable is
    /// not set, is not valid Unicode, or holds an invalid token.
    pub fn from_env(var: &str) -> Result<Self> {
        let value = match std::env::var(var) {
            Ok(value) => value,
            Err(std::env::VarError::NotPresent) => {
                return Err(Error::invalid_config(format!(
                    "environment variable `{var}` is not set; export it with the bearer token"
                )));
            }
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(Error::invalid_config(format!(
                    "environment variable `{var}` is not valid Unicode, so it cannot hold a \
                     bearer token"
                )));
            }
        };
        let token = bearer_token(
            SecretString::from(value),
            &format!("environment variable `{var}`"),
        )?;
        Ok(Self {
            source: Source::Env {
                var: var.to_owned(),
                cell: StaticTokenCell::new(token),
            },
        })
    }

    /// Reads the token from the file at `path` now, and again whenever the file changes.
    ///
    /// A trailing line break is trimmed. The file must be a regular file (a symlink to one is
    /// fine) of at most 64 KiB. Its metadata (modification time, size and, on Unix, device and
    /// inode) is checked at most once a second, so the file is neither read nor even looked at
    /// on every request; it is re-read only when the metadata changed, which also catches the
    /// atomic symlink swap Kubernetes uses to rotate mounted secrets. A call to
    /// [`invalidate`](AuthProvider::invalidate) with the current token (the server answered
    /// 401) makes the next call check the file at once.
    ///
    /// The checks run in [`token`](AuthProvider::token), on Tokio's blocking threads when a
    /// Tokio runtime is current, so a slow file system never stalls the async workers;
    /// [`token_now`](AuthProvider::token_now) never touches the file.
    ///
    /// When a rotation leaves the file briefly missing, empty or unreadable (a writer that
    /// truncates and rewrites in place), the last good token is served for a grace period
    /// (default 30 s) before calls fail. See [`from_file_with`](Self::from_file_with) to change
    /// the interval, the grace period or the clock.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the file cannot
    /// be read, is not a regular file, is larger than 64 KiB or holds an invalid token. The
    /// same errors can come from a later [`token`](AuthProvider::token) call when the file
    /// stays bad longer than the grace period; the next call after it is fixed recovers.
    pub fn from_file(path: impl Into<PathBuf>) -> Result<Self> {
        Self::from_file_with(path, FileOptions::default())
    }

    /// As [`from_file`](Self::from_file), with a chosen check interval, grace period and clock.
    ///
    /// # Errors
    ///
    /// As [`from_file`](Self::from_file).
    pub fn from_file_with(path: impl Into<PathBuf>, options: FileOptions) -> Result<Self> {
        Ok(Self {
            source: Source::File(FileSource::open(path.into(), options)?),
        })
    }
}

impl fmt::Debug for BearerProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("BearerProvider");
        match &self.source {
            Source::Static(_) => debug.field("source", &"static"),
            Source::Env { var, .. } => debug.field("env", var),
            Source::File(file) => debug.field("file", &file.path()),
        };
        debug.field("token", &"[redacted]").finish()
    }
}

#[async_trait]
impl AuthProvider for BearerProvider {
    async fn token(&self) -> Result<Token> {
        match &self.source {
            Source::Static(cell) | Source::Env { cell, .. } => Ok(cell.get()),
            Source::File(file) => file.token().await,
        }
    }

    fn token_now(&self) -> Option<Token> {
        match &self.source {
            Source::Static(cell) | Source::Env { cell, .. } => Some(cell.get()),
            Source::File(file) => file.token_now(),
        }
    }

    fn invalidate(&self, rejected: &Token) {
        if let Source::File(file) = &self.source {
            file.invalidate(rejected);
        }
    }
}

#[cfg(test)]
mod tests {
    use auth_core::ErrorKind;

    use super::*;

    #[tokio::test]
    async fn static_token() {
        let provider = BearerProvider::new("abc").unwrap();
        assert_eq!(provider.token().await.unwrap().header_value(), "Bearer abc");
        let err = BearerProvider::new("a\r\nb").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.message().contains("carriage return"), "{err}");
    }

    #[tokio::test]
    async fn from_env_reads_the_variable_and_names_it_in_errors() {
        let missing = BearerProvider::from_env("AUTH_BEARER_TEST_SURELY_UNSET").unwrap_err();
        assert_eq!(missing.kind(), ErrorKind::InvalidConfig);
        assert!(
            missing
                .message()
                .contains("`AUTH_BEARER_TEST_SURELY_UNSET` is not set"),
            "{missing}"
        );
        // `set_var` needs `unsafe` in edition 2024, which this workspace forbids, so read a
        // variable cargo sets for every test process instead.
        let provider = BearerProvider::from_env("CARGO_PKG_NAME").unwrap();
        assert_eq!(
            provider.token().await.unwrap().expose_credential(),
            "auth-bearer"
        );
        assert!(format!("{provider:?}").contains("CARGO_PKG_NAME"));
        // A variable whose value cannot be a bearer token is named in the error.
        let err = BearerProvider::from_env("CARGO_PKG_DESCRIPTION").unwrap_err();
        assert!(
            err.message()
                .starts_with("environment variable `CARGO_PKG_DESCRIPTION`")
        );
        assert!(err.message().contains("a space"), "{err}");
    }

    #[test]
    fn debug_shows_no_token() {
        let provider = BearerProvider::new("marker-token-1").unwrap();
        let debug = format!("{provider:?} {provider:#?}");
        assert!(!debug.contains("marker"), "{debug}");
        assert!(debug.contains("redacted"));
    }
}
