// Every record is read whatever features are on (so a table of a disabled kind is recognised
// and named); only the enabled features build providers from them.
#![cfg_attr(
    not(all(
        feature = "basic",
        feature = "bearer",
        feature = "jwt",
        feature = "oauth2"
    )),
    allow(dead_code)
)]
//! The records of a config file, in Ballerina's shape: snake_case field names, Ballerina's
//! camelCase names as aliases, unknown fields refused. These structs are the only place the
//! field names are written; shape selection reads them from here too.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use auth_core::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use super::values::{self, BasicEncoding, CredentialBearer, Scopes};
use crate::settings::HttpVersion;
use crate::tls::SecureSocket;

/// An HTTP client's settings in Ballerina's `ClientConfiguration` shape. The same record is
/// the top level of a file (with its `auth` table) and a token endpoint's `client_config`
/// (with custom headers and payload); each place refuses what belongs to the other.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClientRecord {
    #[serde(default, alias = "httpVersion")]
    pub(crate) http_version: Option<HttpVersion>,
    #[serde(
        default,
        alias = "connectTimeout",
        deserialize_with = "values::positive_seconds"
    )]
    pub(crate) connect_timeout: Option<Duration>,
    #[serde(
        default,
        alias = "reqTimeout",
        alias = "req_timeout",
        alias = "timeout",
        deserialize_with = "values::positive_seconds"
    )]
    pub(crate) request_timeout: Option<Duration>,
    #[serde(default, alias = "secureSocket")]
    pub(crate) secure_socket: Option<SecureSocket>,
    #[serde(
        default,
        alias = "customHeaders",
        deserialize_with = "values::ordered_map"
    )]
    pub(crate) custom_headers: Vec<(String, String)>,
    #[serde(default, alias = "customPayload")]
    pub(crate) custom_payload: Option<String>,
    /// The `[auth]` table, read by shape once the rest of the file is known to be good.
    #[serde(default)]
    pub(crate) auth: Option<Value>,
    /// The `[store]` table: where an OAuth2 provider shares its tokens (top level only).
    #[serde(default)]
    pub(crate) store: Option<StoreRecord>,
}

/// `[store]`: the token store an OAuth2 provider shares with other processes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreRecord {
    #[serde(default)]
    pub(crate) kind: StoreKind,
    /// `redis`: the server. A secret: it may hold a password.
    #[serde(default)]
    pub(crate) url: Option<SecretString>,
    /// `file`: the directory.
    #[serde(default)]
    pub(crate) path: Option<PathBuf>,
    /// `redis`: the prefix of every key.
    #[serde(default, alias = "keyPrefix")]
    pub(crate) key_prefix: Option<String>,
    #[serde(
        default,
        alias = "leaseTtl",
        deserialize_with = "values::positive_seconds"
    )]
    pub(crate) lease_ttl: Option<Duration>,
    /// The longest time one store operation may take before the store counts as down.
    #[serde(default, deserialize_with = "values::positive_seconds")]
    pub(crate) timeout: Option<Duration>,
    /// The environment variable holding the sealing keys (base64, comma-separated).
    #[serde(default, alias = "encryptionKeyEnv")]
    pub(crate) encryption_key_env: Option<String>,
}

/// `[store] kind`.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum StoreKind {
    /// Tokens live in this process only (no store).
    #[default]
    Memory,
    /// A directory shared by the processes of one machine.
    File,
    /// A Redis or Valkey server shared by many machines.
    Redis,
}

/// `{ username, password }`: Basic.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BasicRecord {
    pub(crate) username: String,
    pub(crate) password: SecretString,
}

/// `{ token }`: Bearer.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BearerRecord {
    pub(crate) token: SecretString,
}

/// The self-signed JWT issuer (Ballerina's `jwt:IssuerConfig`); also a jwt-bearer
/// `assertion_config` and a `client_assertion`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JwtRecord {
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) issuer: Option<String>,
    #[serde(default)]
    pub(crate) audience: Option<AudienceRecord>,
    #[serde(default, alias = "jwtId")]
    pub(crate) jwt_id: Option<String>,
    #[serde(default, alias = "keyId")]
    pub(crate) key_id: Option<String>,
    #[serde(default, alias = "customClaims")]
    pub(crate) custom_claims: Map<String, Value>,
    #[serde(default, alias = "expTime", deserialize_with = "values::whole_seconds")]
    pub(crate) exp_time: Option<Duration>,
    #[serde(alias = "signatureConfig")]
    pub(crate) signature_config: SignatureRecord,
}

/// A JWT table where one is expected. Anything else — most likely a ready-made JWT written
/// where the table that makes one belongs — is refused without its text, which may be a
/// usable credential.
fn jwt_table<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Box<JwtRecord>>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    if !value.is_object() {
        return Err(de::Error::custom(
            "must be a table (issuer, signature_config, ...) that makes a JWT; a ready-made \
             assertion goes in `assertion`",
        ));
    }
    JwtRecord::deserialize(value)
        .map(|record| Some(Box::new(record)))
        .map_err(de::Error::custom)
}

/// `aud`: one string stays a string, a list stays a list.
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum AudienceRecord {
    One(String),
    Many(Vec<String>),
}

/// The algorithm and the key (Ballerina's `signatureConfig`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignatureRecord {
    /// Default RS256.
    #[serde(default)]
    pub(crate) algorithm: Option<String>,
    /// Absent only for algorithm `none`.
    #[serde(default)]
    pub(crate) config: Option<KeyRecord>,
}

/// Where the signing key comes from.
pub(crate) enum KeyRecord {
    KeyStore {
        path: PathBuf,
        password: SecretString,
        alias: String,
        key_password: Option<SecretString>,
    },
    KeyFile {
        path: PathBuf,
        password: Option<SecretString>,
    },
    /// An HS256/384/512 secret, written as a string.
    Secret(SecretString),
}

/// The table form of [`KeyRecord`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyTable {
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
pub(crate) struct KeyStoreTable {
    pub(crate) path: PathBuf,
    pub(crate) password: SecretString,
}

impl<'de> Deserialize<'de> for KeyRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = KeyRecord;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a key config table (key_store + key_alias [+ key_password], or key_file \
                     [+ key_password]) or, for HS256/384/512, the shared secret as a string",
                )
            }

            fn visit_str<E: de::Error>(self, secret: &str) -> Result<KeyRecord, E> {
                Ok(KeyRecord::Secret(SecretString::from(secret)))
            }

            // A shared secret written as a number or a boolean: `SecretString`'s own reader
            // refuses it without showing the value (serde's default message would quote it).
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<KeyRecord, E> {
                secret_from(de::value::I64Deserializer::new(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<KeyRecord, E> {
                secret_from(de::value::U64Deserializer::new(value))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<KeyRecord, E> {
                secret_from(de::value::F64Deserializer::new(value))
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<KeyRecord, E> {
                secret_from(de::value::BoolDeserializer::new(value))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyRecord, A::Error> {
                let table = KeyTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (table.key_store, table.key_file) {
                    (Some(store), None) => {
                        let alias = table.key_alias.ok_or_else(|| {
                            de::Error::custom(
                                "`key_store` needs `key_alias` (the entry to sign with)",
                            )
                        })?;
                        Ok(KeyRecord::KeyStore {
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
                        Ok(KeyRecord::KeyFile {
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

        deserializer.deserialize_any(KeyVisitor)
    }
}

fn secret_from<'de, E: de::Error>(
    value: impl Deserializer<'de, Error = E>,
) -> Result<KeyRecord, E> {
    SecretString::deserialize(value).map(KeyRecord::Secret)
}

/// The OAuth2 grants (Ballerina's four grant configs, and the jwt-bearer grant); which fields
/// are present selects the grant.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OAuth2Record {
    #[serde(default, alias = "tokenUrl")]
    pub(crate) token_url: Option<String>,
    /// In place of `token_url`: the token endpoint comes from this issuer's metadata.
    #[serde(default, alias = "issuerUrl")]
    pub(crate) issuer_url: Option<String>,
    #[serde(default, alias = "refreshUrl")]
    pub(crate) refresh_url: Option<String>,
    #[serde(default, alias = "clientId")]
    pub(crate) client_id: Option<String>,
    #[serde(default, alias = "clientSecret")]
    pub(crate) client_secret: Option<SecretString>,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<SecretString>,
    #[serde(default, alias = "refreshToken")]
    pub(crate) refresh_token: Option<SecretString>,
    #[serde(default)]
    pub(crate) assertion: Option<SecretString>,
    #[serde(default, alias = "assertionConfig", deserialize_with = "jwt_table")]
    pub(crate) assertion_config: Option<Box<JwtRecord>>,
    #[serde(default, alias = "clientAssertion", deserialize_with = "jwt_table")]
    pub(crate) client_assertion: Option<Box<JwtRecord>>,
    #[serde(default)]
    pub(crate) scopes: Option<Scopes>,
    #[serde(
        default,
        alias = "defaultTokenExpTime",
        deserialize_with = "values::seconds"
    )]
    pub(crate) default_token_exp_time: Option<Duration>,
    #[serde(default, alias = "clockSkew", deserialize_with = "values::seconds")]
    pub(crate) clock_skew: Option<Duration>,
    #[serde(
        default,
        alias = "optionalParams",
        deserialize_with = "values::ordered_map"
    )]
    pub(crate) optional_params: Vec<(String, String)>,
    #[serde(default, alias = "credentialBearer")]
    pub(crate) credential_bearer: Option<CredentialBearer>,
    #[serde(default, alias = "basicEncoding")]
    pub(crate) basic_encoding: Option<BasicEncoding>,
    #[serde(default, alias = "refreshConfig")]
    pub(crate) refresh_config: Option<RefreshChoice>,
    #[serde(default, alias = "clientConfig")]
    pub(crate) client_config: Option<ClientRecord>,
    #[serde(default, alias = "allowInsecureHttp")]
    pub(crate) allow_insecure_http: bool,
    #[serde(default, alias = "fallbackOnInvalidGrant")]
    pub(crate) fallback_on_invalid_grant: Option<bool>,
    /// `client_auth`: the TLS client certificate authenticates the client (RFC 8705 §2).
    #[serde(default, alias = "clientAuth")]
    pub(crate) client_auth: Option<values::CertificateAuth>,
    /// The tokens are certificate-bound (RFC 8705 §3): resource requests present the token
    /// endpoint's client certificate too.
    #[serde(default, alias = "certificateBound")]
    pub(crate) certificate_bound: bool,
    /// Token exchange (RFC 8693): the subject token, as text, from a file re-read at each
    /// renewal, or from an environment variable read at each renewal.
    #[serde(default, alias = "subjectToken")]
    pub(crate) subject_token: Option<SecretString>,
    #[serde(default, alias = "subjectTokenFile")]
    pub(crate) subject_token_file: Option<PathBuf>,
    #[serde(default, alias = "subjectTokenEnv")]
    pub(crate) subject_token_env: Option<String>,
    #[serde(default, alias = "subjectTokenType")]
    pub(crate) subject_token_type: Option<String>,
    /// The actor token, from the same three kinds of source, with its type.
    #[serde(default, alias = "actorToken")]
    pub(crate) actor_token: Option<SecretString>,
    #[serde(default, alias = "actorTokenFile")]
    pub(crate) actor_token_file: Option<PathBuf>,
    #[serde(default, alias = "actorTokenEnv")]
    pub(crate) actor_token_env: Option<String>,
    #[serde(default, alias = "actorTokenType")]
    pub(crate) actor_token_type: Option<String>,
    #[serde(default, alias = "requestedTokenType")]
    pub(crate) requested_token_type: Option<String>,
    /// Token exchange's `audience` and `resource`: one or a list.
    #[serde(default)]
    pub(crate) audience: Option<values::OneOrMany>,
    #[serde(default)]
    pub(crate) resource: Option<values::OneOrMany>,
    /// `[auth.dpop]`: DPoP-bound tokens (RFC 9449).
    #[serde(default)]
    pub(crate) dpop: Option<super::dpop::DpopRecord>,
}

impl OAuth2Record {
    /// Whether a subject token selects the token exchange grant.
    pub(crate) fn has_subject_token(&self) -> bool {
        self.subject_token.is_some()
            || self.subject_token_file.is_some()
            || self.subject_token_env.is_some()
    }

    /// The grant's name, for messages and `AuthConfig::kind`.
    pub(crate) fn grant_name(&self) -> &'static str {
        if self.refresh_url.is_some() {
            "refresh_token"
        } else if self.has_subject_token() {
            "token-exchange"
        } else if self.username.is_some() || self.password.is_some() {
            "password"
        } else if self.assertion.is_some() || self.assertion_config.is_some() {
            "jwt-bearer"
        } else {
            "client_credentials"
        }
    }
}

/// `refresh_config = "INFER_REFRESH_CONFIG"` or a table.
pub(crate) enum RefreshChoice {
    Infer,
    Explicit(Box<RefreshRecord>),
}

/// Ballerina's `RefreshConfig`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRecord {
    #[serde(alias = "refreshUrl")]
    pub(crate) refresh_url: String,
    #[serde(default)]
    pub(crate) scopes: Option<Scopes>,
    #[serde(
        default,
        alias = "optionalParams",
        deserialize_with = "values::ordered_map"
    )]
    pub(crate) optional_params: Vec<(String, String)>,
    #[serde(default, alias = "credentialBearer")]
    pub(crate) credential_bearer: Option<CredentialBearer>,
    #[serde(default, alias = "clientConfig")]
    pub(crate) client_config: Option<ClientRecord>,
}

impl<'de> Deserialize<'de> for RefreshChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChoiceVisitor;
        impl<'de> Visitor<'de> for ChoiceVisitor {
            type Value = RefreshChoice;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"INFER_REFRESH_CONFIG\" or a table with `refresh_url`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RefreshChoice, E> {
                if value == "INFER_REFRESH_CONFIG" {
                    Ok(RefreshChoice::Infer)
                } else {
                    Err(E::custom(format!(
                        "`refresh_config` is \"{value}\"; use \"INFER_REFRESH_CONFIG\" or a table with `refresh_url`"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RefreshChoice, A::Error> {
                let record =
                    RefreshRecord::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RefreshChoice::Explicit(Box::new(record)))
            }
        }
        deserializer.deserialize_any(ChoiceVisitor)
    }
}
