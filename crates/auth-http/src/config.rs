//! The declarative config: an optional client part and one `[auth]` table whose shape selects
//! the provider, as Ballerina's closed `auth` records do. TOML and JSON.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use auth_core::{Error, Result, SecretString, SharedAuthProvider};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::tls::SecureSocket;

/// The provider an `[auth]` table describes.
#[non_exhaustive]
pub enum AuthConfig {
    /// `{ username, password }`.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: SecretString,
    },
    /// `{ token }`.
    Bearer {
        /// The token.
        token: SecretString,
    },
    /// The self-signed JWT issuer's fields.
    #[cfg(feature = "jwt")]
    Jwt(Box<auth_jwt_issuer::IssuerConfig>),
    /// One of the OAuth2 grants, with the token endpoint's TLS settings.
    #[cfg(feature = "oauth2")]
    OAuth2 {
        /// The grant.
        config: Box<auth_oauth2::OAuth2Config>,
        /// `client_config.secure_socket`.
        secure_socket: Option<SecureSocket>,
        /// `refresh_config.client_config.secure_socket` (password grant).
        refresh_secure_socket: Option<SecureSocket>,
    },
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
            Self::Bearer { .. } => f.write_str("Bearer { .. }"),
            #[cfg(feature = "jwt")]
            Self::Jwt(config) => f.debug_tuple("Jwt").field(config).finish(),
            #[cfg(feature = "oauth2")]
            Self::OAuth2 { config, .. } => f.debug_tuple("OAuth2").field(config).finish(),
        }
    }
}

/// A shape an `[auth]` table can have.
struct Shape {
    name: &'static str,
    feature: &'static str,
    /// All of these must be present (`any_of`: at least one of them).
    required: &'static [&'static str],
    any_of: &'static [&'static str],
    allowed: &'static [&'static str],
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "Basic",
        feature: "basic",
        required: &["username", "password"],
        any_of: &[],
        allowed: &["username", "password"],
    },
    Shape {
        name: "Bearer",
        feature: "bearer",
        required: &["token"],
        any_of: &[],
        allowed: &["token"],
    },
    Shape {
        name: "self-signed JWT",
        feature: "jwt",
        required: &[],
        any_of: &[],
        allowed: &[
            "username",
            "issuer",
            "audience",
            "jwt_id",
            "key_id",
            "custom_claims",
            "exp_time",
            "signature_config",
        ],
    },
    Shape {
        name: "OAuth2",
        feature: "oauth2",
        required: &[],
        any_of: &["token_url", "refresh_url"],
        allowed: &[
            "token_url",
            "refresh_url",
            "client_id",
            "client_secret",
            "username",
            "password",
            "refresh_token",
            "assertion",
            "assertion_config",
            "client_assertion",
            "scopes",
            "default_token_exp_time",
            "clock_skew",
            "optional_params",
            "credential_bearer",
            "basic_encoding",
            "refresh_config",
            "client_config",
            "allow_insecure_http",
            "fallback_on_invalid_grant",
        ],
    },
];

/// Ballerina's camelCase names for the `[auth]` fields.
fn snake_case(key: &str) -> &str {
    match key {
        "jwtId" => "jwt_id",
        "keyId" => "key_id",
        "customClaims" => "custom_claims",
        "expTime" => "exp_time",
        "signatureConfig" => "signature_config",
        "tokenUrl" => "token_url",
        "refreshUrl" => "refresh_url",
        "clientId" => "client_id",
        "clientSecret" => "client_secret",
        "refreshToken" => "refresh_token",
        "assertionConfig" => "assertion_config",
        "clientAssertion" => "client_assertion",
        "defaultTokenExpTime" => "default_token_exp_time",
        "clockSkew" => "clock_skew",
        "optionalParams" => "optional_params",
        "credentialBearer" => "credential_bearer",
        "basicEncoding" => "basic_encoding",
        "refreshConfig" => "refresh_config",
        "clientConfig" => "client_config",
        "allowInsecureHttp" => "allow_insecure_http",
        "fallbackOnInvalidGrant" => "fallback_on_invalid_grant",
        other => other,
    }
}

impl Shape {
    /// Why `keys` do not fit this shape, or `None` when they do.
    fn misfit(&self, keys: &[&str]) -> Option<String> {
        if let Some(extra) = keys.iter().find(|k| !self.allowed.contains(k)) {
            return Some(format!("{} does not take `{extra}`", self.name));
        }
        if let Some(missing) = self.required.iter().find(|r| !keys.contains(r)) {
            return Some(format!("{} needs `{missing}`", self.name));
        }
        if !self.any_of.is_empty() && !self.any_of.iter().any(|r| keys.contains(r)) {
            return Some(format!(
                "{} needs `{}`",
                self.name,
                self.any_of.join("` or `")
            ));
        }
        None
    }
}

fn shape_error(message: String) -> Error {
    Error::invalid_config(format!("[auth]: {message}"))
}

impl AuthConfig {
    /// Reads an `[auth]` table given as a JSON value (TOML converts to it losslessly here).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) naming the field and
    /// the shapes considered when the table fits no shape or more than one, or the message of
    /// the selected shape's parser (unknown or missing field, bad value).
    pub fn from_value(value: Value) -> Result<Self> {
        let Value::Object(table) = value else {
            return Err(shape_error("must be a table".to_owned()));
        };
        let table: Map<String, Value> = table
            .into_iter()
            .map(|(k, v)| (snake_case(&k).to_owned(), v))
            .collect();
        if table.is_empty() {
            return Err(shape_error(
                "is empty; give the fields of one auth kind (see `authc example`)".to_owned(),
            ));
        }
        let keys: Vec<&str> = table.keys().map(String::as_str).collect();
        let fits: Vec<&Shape> = SHAPES
            .iter()
            .filter(|s| s.misfit(&keys).is_none())
            .collect();
        let shape = match fits.as_slice() {
            [one] => *one,
            [] => {
                let reasons: Vec<String> = SHAPES.iter().filter_map(|s| s.misfit(&keys)).collect();
                let unknown = keys.iter().find(|k| {
                    SHAPES
                        .iter()
                        .all(|s| !s.allowed.contains(k) && !s.required.contains(k))
                });
                return Err(shape_error(match unknown {
                    Some(field) => format!(
                        "unknown field `{field}`; shapes considered: {}",
                        reasons.join("; ")
                    ),
                    None => format!("fits no auth shape: {}", reasons.join("; ")),
                }));
            }
            many => {
                let names: Vec<&str> = many.iter().map(|s| s.name).collect();
                return Err(shape_error(format!(
                    "is ambiguous: it fits {}; add the fields that pick one",
                    names.join(" and ")
                )));
            }
        };
        Self::parse_shape(shape, table)
    }

    fn parse_shape(shape: &Shape, table: Map<String, Value>) -> Result<Self> {
        let typed = |e: serde_json::Error| shape_error(format!("{} config: {e}", shape.name));
        let disabled = || {
            Err(shape_error(format!(
                "is a {} config, which needs auth-http's `{}` feature",
                shape.name, shape.feature
            )))
        };
        match shape.feature {
            "basic" => {
                #[derive(Deserialize)]
                struct Basic {
                    username: String,
                    password: SecretString,
                }
                if !cfg!(feature = "basic") {
                    return disabled();
                }
                let basic: Basic = serde_json::from_value(Value::Object(table)).map_err(typed)?;
                Ok(Self::Basic {
                    username: basic.username,
                    password: basic.password,
                })
            }
            "bearer" => {
                #[derive(Deserialize)]
                struct Bearer {
                    token: SecretString,
                }
                if !cfg!(feature = "bearer") {
                    return disabled();
                }
                let bearer: Bearer = serde_json::from_value(Value::Object(table)).map_err(typed)?;
                Ok(Self::Bearer {
                    token: bearer.token,
                })
            }
            #[cfg(feature = "jwt")]
            "jwt" => Ok(Self::Jwt(Box::new(
                serde_json::from_value(Value::Object(table)).map_err(typed)?,
            ))),
            #[cfg(feature = "oauth2")]
            "oauth2" => {
                let mut table = table;
                let secure_socket =
                    take_secure_socket(&mut table, &["client_config", "clientConfig"])?;
                let refresh_secure_socket = match table.get_mut("refresh_config").or(None) {
                    Some(Value::Object(refresh)) => {
                        take_secure_socket(refresh, &["client_config", "clientConfig"])?
                    }
                    _ => None,
                };
                let config: auth_oauth2::OAuth2Config =
                    serde_json::from_value(Value::Object(table)).map_err(typed)?;
                Ok(Self::OAuth2 {
                    config: Box::new(config),
                    secure_socket,
                    refresh_secure_socket,
                })
            }
            _ => disabled(),
        }
    }

    /// Builds the provider. Sends nothing.
    ///
    /// # Errors
    ///
    /// The provider's own construction errors (bad credential, key, URL, TLS settings).
    pub fn build(&self) -> Result<SharedAuthProvider> {
        match self {
            #[cfg(feature = "basic")]
            Self::Basic { username, password } => Ok(SharedAuthProvider::new(
                auth_basic::BasicProvider::new(username.clone(), password.clone())?,
            )),
            #[cfg(feature = "bearer")]
            Self::Bearer { token } => Ok(SharedAuthProvider::new(
                auth_bearer::BearerProvider::new(token.clone())?,
            )),
            #[cfg(feature = "jwt")]
            Self::Jwt(config) => Ok(SharedAuthProvider::new(
                auth_jwt_issuer::JwtProvider::from_config(config)?,
            )),
            #[cfg(feature = "oauth2")]
            Self::OAuth2 {
                config,
                secure_socket,
                refresh_secure_socket,
            } => {
                let transport =
                    crate::ReqwestTransport::new(&config.client_config, secure_socket.as_ref())?;
                let mut builder = auth_oauth2::OAuth2Provider::builder(
                    (**config).clone(),
                    std::sync::Arc::new(transport),
                );
                if let auth_oauth2::Grant::Password {
                    refresh: Some(refresh),
                    ..
                } = &config.grant
                {
                    let refresh_transport = crate::ReqwestTransport::new(
                        &refresh.client_config,
                        refresh_secure_socket.as_ref(),
                    )?;
                    builder = builder.refresh_transport(std::sync::Arc::new(refresh_transport));
                }
                Ok(SharedAuthProvider::new(builder.build()?))
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::invalid_config(
                "this auth kind's feature is not enabled in auth-http",
            )),
        }
    }
}

#[cfg(feature = "oauth2")]
fn take_secure_socket(
    table: &mut Map<String, Value>,
    names: &[&str],
) -> Result<Option<SecureSocket>> {
    for name in names {
        if let Some(Value::Object(client)) = table.get_mut(*name) {
            let socket = client
                .remove("secure_socket")
                .or_else(|| client.remove("secureSocket"));
            return socket
                .map(|v| {
                    serde_json::from_value(v)
                        .map_err(|e| shape_error(format!("`client_config.secure_socket`: {e}")))
                })
                .transpose();
        }
    }
    Ok(None)
}

/// A whole config file: the client part (`http_version`, `secure_socket`, timeouts) at the top
/// level and the `[auth]` table.
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
/// assert!(matches!(config.auth, Some(auth_http::AuthConfig::Basic { .. })));
/// // With feature `basic`: let client = config.build_client()?;
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ClientFileConfig {
    /// `http_version`: `"1.1"` or `"2"` (default: negotiated).
    pub http_version: Option<String>,
    /// TLS settings for the requests the client sends.
    pub secure_socket: Option<SecureSocket>,
    /// Connect timeout (default 15 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout (default 30 s).
    pub request_timeout: Duration,
    /// The `[auth]` table.
    pub auth: Option<AuthConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, alias = "httpVersion")]
    http_version: Option<String>,
    #[serde(default, alias = "secureSocket")]
    secure_socket: Option<SecureSocket>,
    #[serde(default, alias = "connectTimeout")]
    connect_timeout: Option<f64>,
    #[serde(
        default,
        alias = "reqTimeout",
        alias = "req_timeout",
        alias = "timeout"
    )]
    request_timeout: Option<f64>,
    #[serde(default)]
    auth: Option<Value>,
}

fn timeout(name: &str, value: Option<f64>, default: Duration) -> Result<Duration> {
    match value {
        None => Ok(default),
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 1e6 => {
            Ok(Duration::from_secs_f64(secs))
        }
        Some(secs) => Err(Error::invalid_config(format!(
            "`{name}` must be greater than zero seconds, got {secs}"
        ))),
    }
}

impl ClientFileConfig {
    fn from_raw(raw: RawFile) -> Result<Self> {
        if let Some(version) = &raw.http_version
            && !matches!(
                version.as_str(),
                "1.1" | "2" | "2.0" | "HTTP_1_1" | "HTTP_2"
            )
        {
            return Err(Error::invalid_config(format!(
                "`http_version` is \"{version}\"; use \"1.1\" or \"2\""
            )));
        }
        Ok(Self {
            http_version: raw.http_version,
            secure_socket: raw.secure_socket,
            connect_timeout: timeout(
                "connect_timeout",
                raw.connect_timeout,
                Duration::from_secs(15),
            )?,
            request_timeout: timeout("req_timeout", raw.request_timeout, Duration::from_secs(30))?,
            auth: raw.auth.map(AuthConfig::from_value).transpose()?,
        })
    }

    /// Parses TOML.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) saying which field is
    /// wrong and why.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        // The message and the line, not toml's snippet of the file, which could show a secret.
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(" at line {l}")).unwrap_or_default();
            Error::invalid_config(format!("TOML config{at}: {}", e.message().trim()))
        })?;
        Self::from_raw(raw)
    }

    /// Parses JSON.
    ///
    /// # Errors
    ///
    /// As [`from_toml_str`](Self::from_toml_str).
    pub fn from_json_str(text: &str) -> Result<Self> {
        let raw: RawFile = serde_json::from_str(text)
            .map_err(|e| Error::invalid_config(format!("JSON config: {e}")))?;
        Self::from_raw(raw)
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

    /// Reads a `.toml` or `.json` file (other names: guessed from the content).
    ///
    /// # Errors
    ///
    /// The file cannot be read, or as [`from_toml_str`](Self::from_toml_str); the message names
    /// the file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid_config(format!(
                "config file `{}` cannot be read ({e})",
                path.display()
            ))
        })?;
        let parsed = match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::from_toml_str(&text),
            Some("json") => Self::from_json_str(&text),
            _ => Self::from_str_guess(&text),
        };
        parsed.map_err(|e| Error::invalid_config(format!("{}: {}", path.display(), e.message())))
    }

    /// The reqwest client the client part describes (no authentication).
    ///
    /// # Errors
    ///
    /// Bad TLS settings.
    pub fn build_reqwest(&self) -> Result<reqwest::Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout);
        builder = match self.http_version.as_deref() {
            Some("2" | "2.0" | "HTTP_2") => builder.http2_prior_knowledge(),
            Some(_) => builder.http1_only(),
            None => builder,
        };
        if let Some(secure_socket) = &self.secure_socket {
            builder = secure_socket.apply(builder)?;
        }
        builder
            .build()
            .map_err(|e| Error::invalid_config(format!("the HTTP client cannot be built ({e})")))
    }

    /// The authenticated client: the client part with the `[auth]` provider.
    ///
    /// # Errors
    ///
    /// No `[auth]` table, bad TLS settings, or the provider's construction errors.
    pub fn build_client(&self) -> Result<AuthClient> {
        let Some(auth) = &self.auth else {
            return Err(Error::invalid_config(
                "the config has no [auth] table; add one (see `authc example`)",
            ));
        };
        Ok(AuthClient::from_shared(
            self.build_reqwest()?,
            auth.build()?,
        ))
    }
}
