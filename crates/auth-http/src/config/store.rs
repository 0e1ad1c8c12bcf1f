//! `[store]`: checks the table against its `kind` when the file is read, and makes the token
//! store when the provider is built (features `store` and `redis`).

use auth_core::{Error, Result};

use super::records::{StoreKind, StoreRecord};

fn invalid(message: impl std::fmt::Display) -> Error {
    Error::invalid_config(format!("[store]: {message}"))
}

impl StoreKind {
    fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::File => "file",
            Self::Redis => "redis",
        }
    }
}

impl std::fmt::Debug for StoreRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("kind", &self.kind.name())
            .finish_non_exhaustive()
    }
}

impl StoreRecord {
    /// Whether tokens are shared beyond this process.
    pub(crate) fn is_shared(&self) -> bool {
        self.kind != StoreKind::Memory
    }

    /// The fields set that `kind` does not use, and those it needs, as errors.
    pub(crate) fn check(&self) -> Result<()> {
        let kind = self.kind.name();
        let set = [
            ("url", self.url.is_some()),
            ("path", self.path.is_some()),
            ("key_prefix", self.key_prefix.is_some()),
            ("lease_ttl", self.lease_ttl.is_some()),
            ("timeout", self.timeout.is_some()),
            ("encryption_key_env", self.encryption_key_env.is_some()),
        ];
        let allowed: &[&str] = match self.kind {
            StoreKind::Memory => &[],
            StoreKind::File => &["path", "lease_ttl", "timeout", "encryption_key_env"],
            StoreKind::Redis => &[
                "url",
                "key_prefix",
                "lease_ttl",
                "timeout",
                "encryption_key_env",
            ],
        };
        if let Some((field, _)) = set
            .iter()
            .find(|(field, is_set)| *is_set && !allowed.contains(field))
        {
            return Err(invalid(match self.kind {
                StoreKind::Memory => format!(
                    "`{field}` has no use with kind = \"memory\" (the default, tokens kept in \
                     this process only); set kind = \"file\" or \"redis\", or remove it"
                ),
                _ => format!("`{field}` has no use with kind = \"{kind}\"; remove it"),
            }));
        }
        match self.kind {
            StoreKind::File if self.path.is_none() => Err(invalid(
                "kind = \"file\" needs `path`, the directory for the token files (created 0700)",
            )),
            StoreKind::Redis if self.url.is_none() => Err(invalid(
                "kind = \"redis\" needs `url`, as in url = \"redis://127.0.0.1:6379/0\"",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(feature = "store")]
impl StoreRecord {
    /// The settings for the provider; `None` for the memory kind.
    pub(crate) fn settings(&self) -> Result<Option<auth_oauth2::StoreSettings>> {
        use std::sync::Arc;

        use auth_core::store::TokenStore;
        use auth_oauth2::{StoreEncryption, StoreSettings};

        let store: Arc<dyn TokenStore> = match self.kind {
            StoreKind::Memory => return Ok(None),
            StoreKind::File => {
                let Some(path) = &self.path else {
                    return Err(invalid("kind = \"file\" needs `path`"));
                };
                Arc::new(auth_oauth2::FileStore::new(path).map_err(|e| invalid(e.message()))?)
            }
            StoreKind::Redis => self.redis()?,
        };
        let mut settings = StoreSettings::new(store);
        if let Some(ttl) = self.lease_ttl {
            settings = settings.lease_ttl(ttl);
        }
        if let Some(timeout) = self.timeout {
            settings = settings.timeout(timeout);
        }
        if let Some(name) = &self.encryption_key_env {
            let keys = StoreEncryption::from_env(name).map_err(|e| invalid(e.message()))?;
            settings = settings.encryption(keys);
        }
        Ok(Some(settings))
    }

    #[cfg(feature = "redis")]
    fn redis(&self) -> Result<std::sync::Arc<dyn auth_core::store::TokenStore>> {
        let Some(url) = &self.url else {
            return Err(invalid("kind = \"redis\" needs `url`"));
        };
        let mut builder = auth_store_redis::RedisStore::builder(url.expose_secret());
        if let Some(prefix) = &self.key_prefix {
            builder = builder.key_prefix(prefix);
        }
        Ok(std::sync::Arc::new(
            builder.build().map_err(|e| invalid(e.message()))?,
        ))
    }

    #[cfg(not(feature = "redis"))]
    fn redis(&self) -> Result<std::sync::Arc<dyn auth_core::store::TokenStore>> {
        Err(invalid(
            "kind = \"redis\" needs auth-http's `redis` feature (authc has it)",
        ))
    }
}

#[cfg(all(feature = "oauth2", not(feature = "store")))]
impl StoreRecord {
    /// Without the `store` feature only the memory kind builds.
    pub(crate) fn refuse_shared(&self) -> Result<()> {
        if self.is_shared() {
            return Err(invalid(format!(
                "kind = \"{}\" needs auth-http's `store` feature{} (authc has it)",
                self.kind.name(),
                if self.kind == StoreKind::Redis {
                    " and its `redis` feature"
                } else {
                    ""
                }
            )));
        }
        Ok(())
    }
}
