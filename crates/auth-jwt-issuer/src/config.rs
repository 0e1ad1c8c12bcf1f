//! The issuer's configuration, in the shape of Ballerina's `JwtIssuerConfig`.

use std::fmt;
use std::path::PathBuf;

use auth_core::SecretString;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::algorithm::Algorithm;

/// The default lifetime of an issued JWT, in seconds (Ballerina's `expTime`).
pub const DEFAULT_EXP_TIME_SECS: u64 = 300;

/// A self-signed JWT issuer's configuration (Ballerina's `jwt:IssuerConfig`).
///
/// Field names are snake_case; Ballerina's camelCase names are accepted too (`jwtId`, `keyId`,
/// `customClaims`, `expTime`, `signatureConfig`, ...), so a Ballerina config can be pasted.
/// Unknown fields are errors.
///
/// ```
/// use auth_jwt_issuer::IssuerConfig;
///
/// let config: IssuerConfig = serde_json::from_str(r#"{
///     "username": "svc", "issuer": "acme", "audience": ["a", "b"],
///     "expTime": 120,
///     "signatureConfig": { "algorithm": "HS256", "config": "an HMAC secret of 32 bytes or more" }
/// }"#)?;
/// assert_eq!(config.exp_time, 120);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct IssuerConfig {
    /// `sub`.
    #[serde(default)]
    pub username: Option<String>,
    /// `iss`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// `aud`: one string stays a string, a list stays a list.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// `jti`; when absent, a fresh random `jti` for every token.
    #[serde(default, alias = "jwtId")]
    pub jwt_id: Option<String>,
    /// The header's `kid`.
    #[serde(default, alias = "keyId")]
    pub key_id: Option<String>,
    /// Extra claims of any JSON type; they may not reuse a registered claim name.
    #[serde(default, alias = "customClaims")]
    pub custom_claims: Map<String, Value>,
    /// Lifetime in seconds (default 300). A fractional value is rounded.
    #[serde(
        default = "default_exp_time",
        alias = "expTime",
        deserialize_with = "seconds"
    )]
    pub exp_time: u64,
    /// The algorithm and key. Required: to issue unsigned JWTs, ask for algorithm `none`.
    #[serde(default, alias = "signatureConfig")]
    pub signature_config: Option<SignatureConfig>,
}

fn default_exp_time() -> u64 {
    DEFAULT_EXP_TIME_SECS
}

impl Default for IssuerConfig {
    fn default() -> Self {
        Self {
            username: None,
            issuer: None,
            audience: None,
            jwt_id: None,
            key_id: None,
            custom_claims: Map::new(),
            exp_time: DEFAULT_EXP_TIME_SECS,
            signature_config: None,
        }
    }
}

/// The `aud` claim: one audience or several.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Audience {
    /// `"aud": "a"`.
    One(String),
    /// `"aud": ["a", ...]` (a one-element list stays a list).
    Many(Vec<String>),
}

impl From<&str> for Audience {
    fn from(audience: &str) -> Self {
        Self::One(audience.to_owned())
    }
}

impl From<String> for Audience {
    fn from(audience: String) -> Self {
        Self::One(audience)
    }
}

impl From<Vec<String>> for Audience {
    fn from(audiences: Vec<String>) -> Self {
        Self::Many(audiences)
    }
}

impl<const N: usize> From<[&str; N]> for Audience {
    fn from(audiences: [&str; N]) -> Self {
        Self::Many(audiences.iter().map(|a| (*a).to_owned()).collect())
    }
}

/// The algorithm and the key to sign with (Ballerina's `signatureConfig`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SignatureConfig {
    /// The algorithm (default RS256).
    #[serde(default)]
    pub algorithm: Algorithm,
    /// The key; absent only for algorithm `none`.
    #[serde(default)]
    pub config: Option<KeyConfig>,
}

impl SignatureConfig {
    /// `algorithm` signing with `config`.
    pub fn new(algorithm: Algorithm, config: Option<KeyConfig>) -> Self {
        Self { algorithm, config }
    }
}

/// Where the signing key comes from.
#[derive(Clone)]
#[non_exhaustive]
pub enum KeyConfig {
    /// A PKCS#12 keystore, by alias (`key_store = { path, password }`, `key_alias`,
    /// `key_password`).
    KeyStore {
        /// The keystore file.
        path: PathBuf,
        /// The store password.
        password: SecretString,
        /// The entry's alias, matched ignoring case.
        alias: String,
        /// The key password, when it differs from the store password.
        key_password: Option<SecretString>,
    },
    /// A key file: PEM or DER, possibly encrypted (`key_file`, `key_password`).
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The password of an encrypted key.
        password: Option<SecretString>,
    },
    /// Key bytes already in memory: PEM text or DER, possibly encrypted.
    KeyBytes {
        /// The bytes, wiped when dropped.
        bytes: Zeroizing<Vec<u8>>,
        /// The password of an encrypted key.
        password: Option<SecretString>,
    },
    /// A shared secret for HS256/384/512 (in a config file: `config = "the secret"`).
    Secret(SecretString),
}

impl KeyConfig {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::KeyStore { path, alias, .. } => {
                format!("alias `{alias}` in keystore `{}`", path.display())
            }
            Self::KeyFile { path, .. } => format!("key file `{}`", path.display()),
            Self::KeyBytes { .. } => "the key bytes given".to_owned(),
            Self::Secret(_) => "the shared secret".to_owned(),
        }
    }
}

impl fmt::Debug for KeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::KeyStore { path, alias, .. } => f
                .debug_struct("KeyStore")
                .field("path", path)
                .field("password", &"[redacted]")
                .field("alias", alias)
                .finish_non_exhaustive(),
            Self::KeyFile { path, .. } => f
                .debug_struct("KeyFile")
                .field("path", path)
                .finish_non_exhaustive(),
            Self::KeyBytes { .. } => f.debug_struct("KeyBytes").finish_non_exhaustive(),
            Self::Secret(_) => f.write_str("Secret([redacted])"),
        }
    }
}

/// The table form of [`KeyConfig`] as it appears in a file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyConfigTable {
    #[serde(default, alias = "keyStore")]
    key_store: Option<KeyStoreTable>,
    #[serde(default, alias = "keyAlias")]
    key_alias: Option<String>,
    #[serde(default, alias = "keyPassword")]
    key_password: Option<SecretString>,
    #[serde(default, alias = "keyFile")]
    key_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyStoreTable {
    path: PathBuf,
    password: SecretString,
}

impl<'de> Deserialize<'de> for KeyConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyConfigVisitor;

        impl<'de> Visitor<'de> for KeyConfigVisitor {
            type Value = KeyConfig;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a key config table (key_store + key_alias [+ key_password], or key_file \
                     [+ key_password]) or, for HS256/384/512, the shared secret as a string",
                )
            }

            fn visit_str<E: de::Error>(self, secret: &str) -> Result<KeyConfig, E> {
                Ok(KeyConfig::Secret(SecretString::from(secret)))
            }

            fn visit_string<E: de::Error>(self, secret: String) -> Result<KeyConfig, E> {
                Ok(KeyConfig::Secret(SecretString::from(secret)))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyConfig, A::Error> {
                let table =
                    KeyConfigTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (table.key_store, table.key_file) {
                    (Some(store), None) => {
                        let alias = table.key_alias.ok_or_else(|| {
                            de::Error::custom(
                                "`key_store` needs `key_alias` (the entry to sign with)",
                            )
                        })?;
                        Ok(KeyConfig::KeyStore {
                            path: store.path,
                            password: store.password,
                            alias,
                            key_password: table.key_password,
                        })
                    }
                    (None, Some(path)) => {
                        if table.key_alias.is_some() {
                            return Err(de::Error::custom(
                                "`key_alias` belongs with `key_store`, not with `key_file`",
                            ));
                        }
                        Ok(KeyConfig::KeyFile {
                            path,
                            password: table.key_password,
                        })
                    }
                    (Some(_), Some(_)) => Err(de::Error::custom(
                        "give either `key_store` or `key_file`, not both",
                    )),
                    (None, None) => Err(de::Error::custom(
                        "the key config needs `key_store` (with `key_alias`) or `key_file`",
                    )),
                }
            }
        }

        deserializer.deserialize_any(KeyConfigVisitor)
    }
}

/// Whole seconds from an integer or a (rounded) decimal, at least 1.
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Float(f64),
    }
    let value = match Number::deserialize(deserializer)? {
        Number::Int(n) => n as f64,
        Number::Float(f) => f.round(),
    };
    if !(1.0..=u32::MAX as f64).contains(&value) {
        return Err(de::Error::custom(format!(
            "`exp_time` must be a positive number of seconds, got {value}"
        )));
    }
    Ok(value as u64)
}
