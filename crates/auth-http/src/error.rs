//! The error of an authenticated request.

use std::fmt;

/// Why an authenticated request failed.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// The provider could not produce a credential (token endpoint down, bad key, ...).
    Auth(auth_core::Error),
    /// Sending the request failed.
    Http(reqwest::Error),
    /// The request could not be built (an invalid URL or header, say).
    Build(reqwest::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Auth(error) => write!(f, "could not authenticate the request: {error}"),
            Self::Http(error) => write!(f, "request failed: {error}"),
            Self::Build(error) => write!(f, "could not build the request: {error}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Auth(error) => Some(error),
            Self::Http(error) => Some(error),
            Self::Build(error) => Some(error),
        }
    }
}

impl From<auth_core::Error> for Error {
    fn from(error: auth_core::Error) -> Self {
        Self::Auth(error)
    }
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        Self::Http(error)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
