//! `[auth.dpop]`: the key an OAuth2 provider proves possession of (DPoP, RFC 9449).

use std::path::PathBuf;

use auth_core::SecretString;
use serde::Deserialize;

/// `dpop = { algorithm = "ES256", key_file = "dpop.pem", key_password = "..." }`; every field
/// optional: an empty table means a fresh ES256 key made at start.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    not(feature = "dpop"),
    allow(dead_code, reason = "the fields are read with the `dpop` feature")
)]
pub(crate) struct DpopRecord {
    #[serde(default)]
    pub(crate) algorithm: Option<String>,
    #[serde(default, alias = "keyFile")]
    pub(crate) key_file: Option<PathBuf>,
    #[serde(default, alias = "keyPassword")]
    pub(crate) key_password: Option<SecretString>,
}

impl DpopRecord {
    /// The key: read from `key_file`, or generated now (kept in memory only).
    #[cfg(feature = "dpop")]
    pub(crate) fn key(&self) -> auth_core::Result<auth_jwt_issuer::DpopKey> {
        use auth_jwt_issuer::{Algorithm, DpopKey, SigningKey};
        let algorithm = match &self.algorithm {
            None => Algorithm::Es256,
            Some(name) => name.parse::<Algorithm>().map_err(|error| {
                super::shape_error(format!("`dpop.algorithm`: {}", error.message()))
            })?,
        };
        match &self.key_file {
            Some(path) => DpopKey::new(SigningKey::from_file(
                algorithm,
                path,
                self.key_password.clone(),
            )?),
            None if self.key_password.is_some() => Err(super::shape_error(
                "`dpop.key_password` is set but `dpop.key_file` is not; give the key file, or \
                 remove the password to use a key made at start"
                    .to_owned(),
            )),
            None => DpopKey::generate(algorithm),
        }
    }

    /// Without the `dpop` feature, a `dpop` table is an error that says how to get it.
    #[cfg(all(feature = "oauth2", not(feature = "dpop")))]
    pub(crate) fn key(&self) -> auth_core::Result<std::convert::Infallible> {
        Err(super::shape_error(
            "`dpop` needs auth-http's `dpop` feature".to_owned(),
        ))
    }
}
