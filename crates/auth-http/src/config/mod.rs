//! The declarative config (feature `config`): an optional client part and one `[auth]` table
//! whose shape selects the provider, as Ballerina's closed `auth` records do. TOML and JSON.
//!
//! Field names are snake_case; Ballerina's camelCase names are accepted as aliases, and
//! `credential_bearer` takes `AUTH_HEADER_BEARER` / `POST_BODY_BEARER`, so a Ballerina config
//! can be pasted. Unknown fields are errors. The Ballerina-shaped records
//! live in one place (`records`), and the typed Rust configs of each crate are built from
//! them.

mod dpop;
#[cfg(feature = "jwt")]
mod jwt_record;
#[cfg(feature = "oauth2")]
mod oauth2;
mod records;
mod shape;
mod store;
mod values;

use std::fmt;
use std::path::Path;

use auth_core::file::{MAX_FILE_BYTES, read_bounded};
use auth_core::{Error, ErrorKind, Result, SharedAuthProvider};
use serde_json::Value;

use self::records::{ClientRecord, StoreRecord};
use self::shape::{AuthRecord, select};
use crate::client::AuthClient;
use crate::settings::ClientSettings;

/// The provider an `[auth]` table describes, read but not built: keys are read and URLs
/// checked by [`build`](Self::build).
pub struct AuthConfig {
    record: AuthRecord,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("kind", &self.kind())
            .finish_non_exhaustive()
    }
}

fn shape_error(message: impl fmt::Display) -> Error {
    Error::invalid_config(format!("[auth]: {message}"))
}

impl AuthConfig {
    /// Reads an `[auth]` table given as a JSON value (TOML converts to it losslessly).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the table fits no
    /// shape (the message lists, per shape, what was extra or missing) or holds a bad value.
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(table) = value else {
            return Err(shape_error("must be a table"));
        };
        select(table)
            .map(|record| Self { record })
            .map_err(shape_error)
    }

    /// The client certificate resource requests must present (certificate-bound OAuth2
    /// tokens), if any.
    fn resource_certificate(&self) -> Result<Option<crate::tls::ClientKey>> {
        match &self.record {
            #[cfg(feature = "oauth2")]
            AuthRecord::OAuth2(record) => record.resource_certificate(),
            _ => Ok(None),
        }
    }

    /// What the table describes: `"basic"`, `"bearer"`, `"jwt"`, or the OAuth2 grant
    /// (`"client_credentials"`, `"password"`, `"refresh_token"`, `"jwt-bearer"`).
    pub fn kind(&self) -> &'static str {
        match &self.record {
            AuthRecord::Basic(_) => "basic",
            AuthRecord::Bearer(_) => "bearer",
            AuthRecord::Jwt(_) => "jwt",
            AuthRecord::OAuth2(record) => record.grant_name(),
        }
    }

    /// Builds the provider: keys are read, URLs checked; nothing is sent. Tokens stay in this
    /// process; [`ClientFileConfig::build_provider`] adds the file's `[store]`.
    ///
    /// # Errors
    ///
    /// The provider's own construction errors (bad credential, key, URL, TLS settings), or the
    /// feature of auth-http this kind of provider needs is off.
    pub fn build(&self) -> Result<SharedAuthProvider> {
        self.build_with(None)
    }

    fn build_with(&self, store: Option<&StoreRecord>) -> Result<SharedAuthProvider> {
        if store.is_some_and(StoreRecord::is_shared)
            && !matches!(self.record, AuthRecord::OAuth2(_))
        {
            return Err(Error::invalid_config(format!(
                "[store] shares OAuth2 tokens between processes, but [auth] is a {} config, \
                 which has none to share; remove [store]",
                self.kind()
            )));
        }
        match &self.record {
            AuthRecord::Basic(record) => {
                #[cfg(feature = "basic")]
                return Ok(SharedAuthProvider::new(auth_basic::BasicProvider::new(
                    record.username.clone(),
                    record.password.clone(),
                )?));
                #[cfg(not(feature = "basic"))]
                {
                    let _ = record;
                    self.disabled("basic")
                }
            }
            AuthRecord::Bearer(record) => {
                #[cfg(feature = "bearer")]
                return Ok(SharedAuthProvider::new(auth_bearer::BearerProvider::new(
                    record.token.clone(),
                )?));
                #[cfg(not(feature = "bearer"))]
                {
                    let _ = record;
                    self.disabled("bearer")
                }
            }
            AuthRecord::Jwt(record) => {
                #[cfg(feature = "jwt")]
                return Ok(SharedAuthProvider::new(auth_jwt_issuer::JwtProvider::new(
                    record.issuer()?,
                )));
                #[cfg(not(feature = "jwt"))]
                {
                    let _ = record;
                    self.disabled("jwt")
                }
            }
            AuthRecord::OAuth2(record) => {
                #[cfg(feature = "oauth2")]
                return record.build(store);
                #[cfg(not(feature = "oauth2"))]
                {
                    let _ = (record, store);
                    self.disabled("oauth2")
                }
            }
        }
    }
}

impl AuthConfig {
    /// The error for a kind whose feature is off.
    #[allow(dead_code, reason = "used only when a provider feature is off")]
    fn disabled(&self, feature: &str) -> Result<SharedAuthProvider> {
        Err(shape_error(format!(
            "is a {} config, which needs auth-http's `{feature}` feature",
            self.kind()
        )))
    }
}

/// A whole config file: the client part (`http_version`, `secure_socket`, timeouts) at the top
/// level, the `[auth]` table, and the `[store]` table where an OAuth2 provider shares its
/// tokens with other processes (features `store`, `redis`).
///
/// ```
/// use auth_http::ClientFileConfig;
///
/// let config = ClientFileConfig::from_toml_str(r#"
///     connect_timeout = 5
///     [auth]
///     username = "alice"
///     password = "123"
/// "#)?;
/// assert_eq!(config.auth().map(|auth| auth.kind()), Some("basic"));
/// // With feature `basic`: let client = config.build_client()?;
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Debug)]
pub struct ClientFileConfig {
    settings: ClientSettings,
    auth: Option<AuthConfig>,
    store: Option<StoreRecord>,
}

impl ClientFileConfig {
    fn from_record(record: ClientRecord) -> Result<Self> {
        if !record.custom_headers.is_empty() || record.custom_payload.is_some() {
            return Err(Error::invalid_config(
                "`custom_headers` and `custom_payload` belong in `[auth.client_config]` (the \
                 token endpoint's requests), not at the top level",
            ));
        }
        if let Some(store) = &record.store {
            store.check()?;
        }
        let auth = record
            .auth
            .clone()
            .map(AuthConfig::from_value)
            .transpose()?;
        let mut settings = record.settings();
        if let Some(key) = auth
            .as_ref()
            .map(AuthConfig::resource_certificate)
            .transpose()?
            .flatten()
        {
            // Certificate-bound tokens are good only over a connection with the certificate
            // they are bound to: the resource client presents the token endpoint's, unless
            // the top level names one itself.
            let mut secure_socket = record.secure_socket.clone().unwrap_or_default();
            match &secure_socket.key {
                None => {
                    secure_socket.key = Some(key);
                    settings = settings.secure_socket(secure_socket);
                }
                Some(own) if !own.same_files(&key) => {
                    return Err(Error::invalid_config(
                        "`certificate_bound = true`, but the top-level `secure_socket.key` names \
                         other files than `[auth.client_config.secure_socket.key]`: the tokens \
                         are bound to the token endpoint's certificate, so resource requests must \
                         present that one; remove the top-level key or make them the same",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Self {
            settings,
            auth,
            store: record.store,
        })
    }

    /// Parses TOML.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] saying which field is
    /// wrong and why.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        // The message and the line, not toml's snippet of the file, which could show a secret.
        let record: ClientRecord = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            Error::invalid_config(format!("TOML config{at}: {}", e.message().trim()))
        })?;
        Self::from_record(record)
    }

    /// Parses JSON.
    ///
    /// # Errors
    ///
    /// As [`from_toml_str`](Self::from_toml_str).
    pub fn from_json_str(text: &str) -> Result<Self> {
        let record: ClientRecord = serde_json::from_str(text)
            .map_err(|e| Error::invalid_config(format!("JSON config: {e}")))?;
        Self::from_record(record)
    }

    /// Parses text that is JSON if it starts with `{`, TOML otherwise.
    ///
    /// # Errors
    ///
    /// As [`from_toml_str`](Self::from_toml_str).
    pub fn from_str_guess(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_json_str(text)
        } else {
            Self::from_toml_str(text)
        }
    }

    /// Reads a `.toml` or `.json` file (other names: guessed from the content); a regular file
    /// of at most 1 MiB.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or as [`from_toml_str`](Self::from_toml_str); the message names
    /// the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = read_bounded(
            path,
            "config file",
            MAX_FILE_BYTES,
            ErrorKind::InvalidConfig,
        )?;
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::invalid_config(format!(
                "config file `{}` is not UTF-8 text",
                path.display()
            ))
        })?;
        let parsed = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::from_toml_str(text),
            Some("json") => Self::from_json_str(text),
            _ => Self::from_str_guess(text),
        };
        parsed.map_err(|e| Error::invalid_config(format!("{}: {}", path.display(), e.message())))
    }

    /// The client part: HTTP version, timeouts, TLS for the requests the client sends.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The `[auth]` table, if the file has one.
    pub fn auth(&self) -> Option<&AuthConfig> {
        self.auth.as_ref()
    }

    /// The reqwest client the client part describes (no authentication).
    ///
    /// # Errors
    ///
    /// Bad TLS settings.
    pub fn build_reqwest(&self) -> Result<reqwest::Client> {
        self.settings.build_reqwest()
    }

    /// The authenticated client: the client part with the `[auth]` provider.
    ///
    /// # Errors
    ///
    /// No `[auth]` table, bad TLS settings, or the provider's construction errors.
    pub fn build_client(&self) -> Result<AuthClient> {
        Ok(AuthClient::from_shared(
            self.build_reqwest()?,
            self.build_provider()?,
        ))
    }

    /// The `[auth]` provider, sharing its tokens through the `[store]` table if there is one.
    ///
    /// # Errors
    ///
    /// No `[auth]` table, the provider's construction errors, a `[store]` beside a provider
    /// that is not OAuth2, a store that cannot be made (a file store directory that is not
    /// private, a Redis URL that does not parse, a missing encryption key variable), or the
    /// auth-http feature the store needs (`store`, `redis`) is off.
    pub fn build_provider(&self) -> Result<SharedAuthProvider> {
        let Some(auth) = &self.auth else {
            return Err(Error::invalid_config(
                "the config has no [auth] table; add one (see `authc example`)",
            ));
        };
        auth.build_with(self.store.as_ref())
    }
}

impl ClientRecord {
    /// The HTTP client settings this record holds.
    fn settings(&self) -> ClientSettings {
        let mut settings = ClientSettings::default();
        if let Some(version) = self.http_version {
            settings = settings.http_version(version);
        }
        if let Some(timeout) = self.connect_timeout {
            settings = settings.connect_timeout(timeout);
        }
        if let Some(timeout) = self.request_timeout {
            settings = settings.request_timeout(timeout);
        }
        if let Some(secure_socket) = &self.secure_socket {
            settings = settings.secure_socket(secure_socket.clone());
        }
        settings
    }
}
