// Some readers serve only the records of kinds whose features are on.
#![cfg_attr(
    not(all(
        feature = "basic",
        feature = "bearer",
        feature = "jwt",
        feature = "oauth2"
    )),
    allow(dead_code)
)]
//! Readers for the values a config file holds: seconds, ordered string tables, scopes, and the
//! names Ballerina uses for enumerations. Each is written once here and used by every record.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::settings::HttpVersion;

/// A number of seconds, integer or decimal.
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

fn duration<E: de::Error>(secs: f64, rule: &str) -> Result<Duration, E> {
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| d.as_secs() <= 1_000_000_000)
        .ok_or_else(|| E::custom(format!("{secs} is not {rule}")))
}

/// Seconds, zero or more (`default_token_exp_time`, `clock_skew`).
pub(crate) fn seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    number(deserializer)?
        .map(|secs| duration(secs, "a number of seconds (zero or more)"))
        .transpose()
}

/// Seconds, more than zero (timeouts).
pub(crate) fn positive_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    match number(deserializer)? {
        Some(secs) if secs > 0.0 => duration(secs, "a timeout in seconds").map(Some),
        Some(secs) => Err(de::Error::custom(format!(
            "a timeout must be greater than zero seconds, got {secs}"
        ))),
        None => Ok(None),
    }
}

/// Whole seconds, rounded, at least one (`exp_time`).
pub(crate) fn whole_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    match number(deserializer)? {
        Some(secs) if secs.round() >= 1.0 => {
            duration(secs.round(), "a number of seconds").map(Some)
        }
        Some(secs) => Err(de::Error::custom(format!(
            "`exp_time` must be a positive number of seconds, got {secs}"
        ))),
        None => Ok(None),
    }
}

/// A table of strings, in the order written (headers, form parameters).
pub(crate) fn ordered_map<'de, D: Deserializer<'de>>(
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
            // Values are read as secrets (header values can be API keys): one of the wrong
            // type is refused without its text in the error.
            while let Some((key, value)) = map.next_entry::<String, auth_core::SecretString>()? {
                entries.push((key, value.expose_secret().to_owned()));
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_map(OrderedVisitor)
}

/// `scopes`: one space-separated string or a list.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Scopes {
    One(String),
    Many(Vec<String>),
}

impl Scopes {
    pub(crate) fn into_vec(self) -> Vec<String> {
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

/// One string or a list of them, kept whole (an audience or resource URI is not split).
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(value) => vec![value],
            Self::Many(values) => values,
        }
    }
}

/// Parses a name with `FromStr`, reporting its own message.
fn parsed<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = auth_core::Error>,
{
    let name = String::deserialize(deserializer)?;
    name.parse()
        .map_err(|e: auth_core::Error| de::Error::custom(e.message()))
}

impl<'de> Deserialize<'de> for HttpVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parsed(deserializer)
    }
}

/// `client_auth`: certificate client authentication (RFC 8705 §2), in place of a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertificateAuth {
    /// `tls_client_auth`: a CA-issued certificate whose subject the server knows.
    Pki,
    /// `self_signed_tls_client_auth`: a certificate the server holds itself.
    SelfSigned,
}

impl<'de> Deserialize<'de> for CertificateAuth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "tls_client_auth" => Ok(Self::Pki),
            "self_signed_tls_client_auth" => Ok(Self::SelfSigned),
            other => Err(de::Error::custom(format!(
                "`client_auth` is \"{other}\"; use \"tls_client_auth\" or \
                 \"self_signed_tls_client_auth\" (a secret goes in `client_secret`, with \
                 `credential_bearer` choosing header or body)"
            ))),
        }
    }
}

/// Where client credentials go (Ballerina's `CredentialBearer`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CredentialBearer {
    #[default]
    AuthHeader,
    PostBody,
}

impl<'de> Deserialize<'de> for CredentialBearer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "AUTH_HEADER_BEARER" | "auth_header" | "client_secret_basic" => Ok(Self::AuthHeader),
            "POST_BODY_BEARER" | "post_body" | "client_secret_post" => Ok(Self::PostBody),
            other => Err(de::Error::custom(format!(
                "`credential_bearer` is \"{other}\"; use \"AUTH_HEADER_BEARER\" or \"POST_BODY_BEARER\""
            ))),
        }
    }
}

/// How the Basic client credential is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum BasicEncoding {
    #[default]
    FormEncoded,
    Raw,
}

impl<'de> Deserialize<'de> for BasicEncoding {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "form_encoded" | "FORM_ENCODED" => Ok(Self::FormEncoded),
            "raw" | "RAW" => Ok(Self::Raw),
            other => Err(de::Error::custom(format!(
                "`basic_encoding` is \"{other}\"; use \"form_encoded\" (RFC 6749) or \"raw\""
            ))),
        }
    }
}
