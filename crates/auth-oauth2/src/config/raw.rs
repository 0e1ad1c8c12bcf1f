//! Deserializing [`OAuth2Config`] from Ballerina's shape: one flat table whose fields select
//! the grant.

use std::fmt;
use std::time::Duration;

use auth_core::SecretString;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::{
    Assertion, BasicEncoding, ClientConfig, CredentialBearer, Grant, HttpVersion, OAuth2Config,
    RefreshConfig,
};

#[cfg(feature = "jwt")]
type IssuerTable = auth_jwt_issuer::IssuerConfig;
#[cfg(not(feature = "jwt"))]
type IssuerTable = IgnoredAny;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default, alias = "tokenUrl")]
    token_url: Option<String>,
    #[serde(default, alias = "refreshUrl")]
    refresh_url: Option<String>,
    #[serde(default, alias = "clientId")]
    client_id: Option<String>,
    #[serde(default, alias = "clientSecret")]
    client_secret: Option<SecretString>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<SecretString>,
    #[serde(default, alias = "refreshToken")]
    refresh_token: Option<SecretString>,
    #[serde(default)]
    assertion: Option<SecretString>,
    #[serde(default, alias = "assertionConfig")]
    assertion_config: Option<IssuerTable>,
    #[serde(default, alias = "clientAssertion")]
    client_assertion: Option<IssuerTable>,
    #[serde(default)]
    scopes: Option<Scopes>,
    #[serde(default, alias = "defaultTokenExpTime", deserialize_with = "seconds")]
    default_token_exp_time: Option<Duration>,
    #[serde(default, alias = "clockSkew", deserialize_with = "seconds")]
    clock_skew: Option<Duration>,
    #[serde(default, alias = "optionalParams", deserialize_with = "ordered_map")]
    optional_params: Vec<(String, String)>,
    #[serde(default, alias = "credentialBearer")]
    credential_bearer: Option<CredentialBearer>,
    #[serde(default, alias = "basicEncoding")]
    basic_encoding: Option<BasicEncoding>,
    #[serde(default, alias = "refreshConfig")]
    refresh_config: Option<RefreshChoice>,
    #[serde(default, alias = "clientConfig")]
    client_config: Option<ClientConfig>,
    #[serde(default, alias = "allowInsecureHttp")]
    allow_insecure_http: bool,
    #[serde(default, alias = "fallbackOnInvalidGrant")]
    fallback_on_invalid_grant: Option<bool>,
}

/// One scope string or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scopes {
    One(String),
    Many(Vec<String>),
}

impl Scopes {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(scope) => scope.split_whitespace().map(str::to_owned).collect(),
            Self::Many(scopes) => scopes
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// `refresh_config = "INFER_REFRESH_CONFIG"` or a table.
enum RefreshChoice {
    Infer,
    Explicit(RefreshConfig),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRefresh {
    #[serde(alias = "refreshUrl")]
    refresh_url: String,
    #[serde(default)]
    scopes: Option<Scopes>,
    #[serde(default, alias = "optionalParams", deserialize_with = "ordered_map")]
    optional_params: Vec<(String, String)>,
    #[serde(default, alias = "credentialBearer")]
    credential_bearer: Option<CredentialBearer>,
    #[serde(default, alias = "clientConfig")]
    client_config: Option<ClientConfig>,
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
                let raw = RawRefresh::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RefreshChoice::Explicit(RefreshConfig {
                    refresh_url: raw.refresh_url,
                    scopes: raw.scopes.map(Scopes::into_vec).unwrap_or_default(),
                    optional_params: raw.optional_params,
                    credential_bearer: raw.credential_bearer.unwrap_or_default(),
                    client_config: raw.client_config.unwrap_or_default(),
                }))
            }
        }
        deserializer.deserialize_any(ChoiceVisitor)
    }
}

impl<'de> Deserialize<'de> for CredentialBearer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "AUTH_HEADER_BEARER" | "auth_header" | "client_secret_basic" => Ok(Self::AuthHeader),
            "POST_BODY_BEARER" | "post_body" | "client_secret_post" => Ok(Self::PostBody),
            other => Err(de::Error::custom(format!(
                "`credential_bearer` is \"{other}\"; use \"AUTH_HEADER_BEARER\" or \"POST_BODY_BEARER\""
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for BasicEncoding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "form_encoded" | "FORM_ENCODED" => Ok(Self::FormEncoded),
            "raw" | "RAW" => Ok(Self::Raw),
            other => Err(de::Error::custom(format!(
                "`basic_encoding` is \"{other}\"; use \"form_encoded\" (RFC 6749) or \"raw\""
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for HttpVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "1.1" | "HTTP_1_1" => Ok(Self::Http1),
            "2" | "2.0" | "HTTP_2" | "HTTP_2_0" => Ok(Self::Http2),
            other => Err(de::Error::custom(format!(
                "`http_version` is \"{other}\"; use \"1.1\" or \"2\""
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClientConfig {
    #[serde(default, alias = "httpVersion")]
    http_version: Option<HttpVersion>,
    #[serde(default, alias = "customHeaders", deserialize_with = "ordered_map")]
    custom_headers: Vec<(String, String)>,
    #[serde(default, alias = "customPayload")]
    custom_payload: Option<String>,
    #[serde(default, alias = "connectTimeout", deserialize_with = "timeout")]
    connect_timeout: Option<Duration>,
    #[serde(
        default,
        alias = "reqTimeout",
        alias = "req_timeout",
        deserialize_with = "timeout"
    )]
    request_timeout: Option<Duration>,
    #[serde(default, alias = "secureSocket")]
    secure_socket: Option<IgnoredAny>,
}

impl<'de> Deserialize<'de> for ClientConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawClientConfig::deserialize(deserializer)?;
        if raw.secure_socket.is_some() {
            return Err(de::Error::custom(
                "`secure_socket` is applied by the HTTP transport: load this config with auth-http \
                 (`auth_http::AuthConfig`), which reads TLS settings before handing the rest here",
            ));
        }
        let defaults = ClientConfig::default();
        Ok(ClientConfig {
            http_version: raw.http_version.unwrap_or_default(),
            custom_headers: raw.custom_headers,
            custom_payload: raw.custom_payload,
            connect_timeout: raw.connect_timeout.unwrap_or(defaults.connect_timeout),
            request_timeout: raw.request_timeout.unwrap_or(defaults.request_timeout),
        })
    }
}

impl<'de> Deserialize<'de> for OAuth2Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Raw::deserialize(deserializer)?;
        from_raw(raw).map_err(de::Error::custom)
    }
}

fn from_raw(raw: Raw) -> Result<OAuth2Config, String> {
    let forbid = |present: bool, field: &str, grant: &str| {
        if present {
            Err(format!(
                "`{field}` does not belong to the {grant} grant; remove it"
            ))
        } else {
            Ok(())
        }
    };
    let (grant, url) = match (raw.token_url.clone(), raw.refresh_url.clone()) {
        (Some(_), Some(_)) => {
            return Err(
                "give `token_url` (client credentials, password or jwt-bearer grant) or \
                        `refresh_url` (refresh-token grant), not both; the password grant's \
                        refresh URL goes in `refresh_config`"
                    .to_owned(),
            );
        }
        (None, None) => {
            return Err("an OAuth2 config needs `token_url` (client credentials, password or \
                        jwt-bearer grant) or `refresh_url` with `refresh_token` (refresh-token grant)"
                .to_owned());
        }
        (None, Some(refresh_url)) => {
            let grant = "refresh-token";
            forbid(raw.username.is_some(), "username", grant)?;
            forbid(raw.password.is_some(), "password", grant)?;
            forbid(
                raw.assertion.is_some() || raw.assertion_config.is_some(),
                "assertion",
                grant,
            )?;
            forbid(raw.refresh_config.is_some(), "refresh_config", grant)?;
            let refresh_token = raw.refresh_token.clone().ok_or(
                "`refresh_url` selects the refresh-token grant, which needs `refresh_token`",
            )?;
            (Grant::RefreshToken { refresh_token }, refresh_url)
        }
        (Some(token_url), None) => {
            if raw.refresh_token.is_some() {
                return Err(
                    "`refresh_token` belongs to the refresh-token grant, which takes \
                            `refresh_url` instead of `token_url`"
                        .to_owned(),
                );
            }
            if raw.username.is_some() || raw.password.is_some() {
                let grant = "password";
                forbid(
                    raw.assertion.is_some() || raw.assertion_config.is_some(),
                    "assertion",
                    grant,
                )?;
                let (Some(username), Some(password)) = (raw.username.clone(), raw.password.clone())
                else {
                    return Err(
                        "the password grant needs both `username` and `password`".to_owned()
                    );
                };
                let refresh = match raw.refresh_config {
                    None | Some(RefreshChoice::Infer) => None,
                    Some(RefreshChoice::Explicit(config)) => Some(config),
                };
                (
                    Grant::Password {
                        username,
                        password,
                        refresh,
                    },
                    token_url,
                )
            } else if raw.assertion.is_some() || raw.assertion_config.is_some() {
                forbid(raw.refresh_config.is_some(), "refresh_config", "jwt-bearer")?;
                let assertion = jwt_bearer_assertion(raw.assertion.clone(), raw.assertion_config)?;
                (Grant::JwtBearer { assertion }, token_url)
            } else {
                forbid(
                    raw.refresh_config.is_some(),
                    "refresh_config",
                    "client credentials",
                )?;
                if raw.client_id.is_none()
                    || (raw.client_secret.is_none() && raw.client_assertion.is_none())
                {
                    return Err(
                        "`token_url` with neither `username`/`password` nor `assertion` \
                                selects the client credentials grant, which needs `client_id` and \
                                `client_secret` (or a `client_assertion`)"
                            .to_owned(),
                    );
                }
                (Grant::ClientCredentials, token_url)
            }
        }
    };

    let mut config = OAuth2Config::with_grant(grant, url);
    config.client_id = raw.client_id;
    config.client_secret = raw.client_secret;
    config.scopes = raw.scopes.map(Scopes::into_vec).unwrap_or_default();
    if let Some(lifetime) = raw.default_token_exp_time {
        config.default_token_exp_time = lifetime;
    }
    if let Some(skew) = raw.clock_skew {
        config.clock_skew = skew;
    }
    config.optional_params = raw.optional_params;
    config.credential_bearer = raw.credential_bearer.unwrap_or_default();
    config.basic_encoding = raw.basic_encoding.unwrap_or_default();
    config.client_config = raw.client_config.unwrap_or_default();
    config.allow_insecure_http = raw.allow_insecure_http;
    if let Some(fallback) = raw.fallback_on_invalid_grant {
        config.fallback_on_invalid_grant = fallback;
    }
    #[cfg(feature = "jwt")]
    {
        config.client_assertion = raw.client_assertion;
    }
    #[cfg(not(feature = "jwt"))]
    if raw.client_assertion.is_some() {
        return Err("`client_assertion` needs auth-oauth2's `jwt` feature".to_owned());
    }
    Ok(config)
}

#[cfg(feature = "jwt")]
fn jwt_bearer_assertion(
    assertion: Option<SecretString>,
    config: Option<IssuerTable>,
) -> Result<Assertion, String> {
    match (assertion, config) {
        (Some(_), Some(_)) => Err("give `assertion` or `assertion_config`, not both".to_owned()),
        (Some(assertion), None) => Ok(Assertion::Static(assertion)),
        (None, Some(config)) => Ok(Assertion::Issued(Box::new(config))),
        (None, None) => {
            Err("the jwt-bearer grant needs `assertion` or `assertion_config`".to_owned())
        }
    }
}

#[cfg(not(feature = "jwt"))]
fn jwt_bearer_assertion(
    assertion: Option<SecretString>,
    config: Option<IssuerTable>,
) -> Result<Assertion, String> {
    match (assertion, config) {
        (_, Some(_)) => Err("`assertion_config` needs auth-oauth2's `jwt` feature".to_owned()),
        (Some(assertion), None) => Ok(Assertion::Static(assertion)),
        (None, None) => Err("the jwt-bearer grant needs `assertion`".to_owned()),
    }
}

fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Float(f64),
    }
    Ok(
        Option::<Number>::deserialize(deserializer)?.map(|n| match n {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }),
    )
}

/// Seconds, zero or more (integer or decimal).
fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    match number(deserializer)? {
        None => Ok(None),
        Some(secs) if secs.is_finite() && (0.0..=1e9).contains(&secs) => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        Some(secs) => Err(de::Error::custom(format!(
            "{secs} is not a number of seconds (zero or more)"
        ))),
    }
}

/// Seconds, more than zero.
fn timeout<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    match number(deserializer)? {
        None => Ok(None),
        Some(secs) if secs.is_finite() && secs > 0.0 && secs <= 1e6 => {
            Ok(Some(Duration::from_secs_f64(secs)))
        }
        Some(secs) => Err(de::Error::custom(format!(
            "a timeout must be greater than zero seconds, got {secs}"
        ))),
    }
}

/// A table of strings, in the order written.
fn ordered_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<(String, String)>, D::Error> {
    struct OrderedVisitor;
    impl<'de> Visitor<'de> for OrderedVisitor {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of strings")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::new();
            while let Some((key, value)) = map.next_entry::<String, String>()? {
                entries.push((key, value));
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(OrderedVisitor)
}
