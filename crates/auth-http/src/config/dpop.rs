//! `[auth.dpop]`: the key an OAuth2 provider proves possession of (DPoP, RFC 9449).

use std::path::PathBuf;

use auth_core::SecretString;
use serde::Deserialize;

/// `dpop = { algorithm = "ES256", key_file = "dpop.pem", key_password = "..." }`, or the key
/// from a PKCS#12 keystore (`key_store = { path, password }`, `key_alias`, [`key_password`]),
/// as the self-signed JWT's key is given; every field optional: an empty table means a fresh
/// ES256 key made at start.
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
    #[serde(default, alias = "keyStore")]
    pub(crate) key_store: Option<super::records::KeyStoreTable>,
    #[serde(default, alias = "keyAlias")]
    pub(crate) key_alias: Option<String>,
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
        let invalid = |message: &str| super::shape_error(message.to_owned());
        match (&self.key_file, &self.key_store) {
            (Some(_), Some(_)) => Err(invalid("`dpop` takes `key_file` or `key_store`, not both")),
            (Some(path), None) => {
                if self.key_alias.is_some() {
                    return Err(invalid(
                        "`dpop.key_alias` belongs with `dpop.key_store`, not with `key_file`",
                    ));
                }
                DpopKey::new(SigningKey::from_file(
                    algorithm,
                    path,
                    self.key_password.clone(),
                )?)
            }
            (None, Some(store)) => {
                let alias = self.key_alias.as_ref().ok_or_else(|| {
                    invalid("`dpop.key_store` needs `key_alias` (the entry to sign with)")
                })?;
                DpopKey::new(SigningKey::from_pkcs12_file(
                    algorithm,
                    &store.path,
                    store.password.clone(),
                    alias,
                    self.key_password.clone(),
                )?)
            }
            (None, None) if self.key_password.is_some() || self.key_alias.is_some() => {
                Err(invalid(
                    "`dpop.key_password` and `dpop.key_alias` go with a key (`key_file`, or \
                     `key_store` + `key_alias`); remove them to use a key made at start",
                ))
            }
            (None, None) => DpopKey::generate(algorithm),
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
