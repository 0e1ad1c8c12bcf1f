//! The configuration checked and turned into what each token request needs. Everything that
//! can be wrong with a config is found here, when the provider is built.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use auth_core::{Error, Result, Scheme, SecretString, Token};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};
use url::{Host, Url};
use zeroize::Zeroizing;

use crate::config::{
    Assertion, BasicEncoding, ClientConfig, CredentialBearer, Grant, OAuth2Config,
};

/// How the client authenticates to an endpoint.
pub(crate) enum ClientAuth {
    /// Nothing (a public client without an id).
    Nothing,
    /// `client_id` in the body (a public client).
    PublicId(String),
    /// `Authorization: Basic ...`, precomputed, sensitive, wiped on drop.
    Basic(Token),
    /// `client_id` and `client_secret` in the body.
    Post { id: String, secret: SecretString },
    /// `client_assertion` (RFC 7523 §2.2), signed fresh for every request.
    #[cfg(feature = "jwt")]
    Assertion {
        id: String,
        issuer: Box<auth_jwt_issuer::JwtIssuer>,
    },
}

/// One endpoint (token or refresh) and what goes with every request to it.
pub(crate) struct EndpointPlan {
    pub(crate) url: Url,
    /// The URL without user info, query or fragment, for messages and logs.
    pub(crate) display: String,
    pub(crate) scope: Option<String>,
    pub(crate) optional_params: Vec<(String, String)>,
    pub(crate) client_auth: ClientAuth,
    pub(crate) custom_headers: HeaderMap,
    pub(crate) custom_payload: Option<String>,
}

pub(crate) enum AssertionPlan {
    Static(SecretString),
    #[cfg(feature = "jwt")]
    Issued(Box<auth_jwt_issuer::JwtIssuer>),
}

pub(crate) enum GrantPlan {
    ClientCredentials,
    Password {
        username: String,
        password: SecretString,
    },
    RefreshToken {
        initial: SecretString,
    },
    JwtBearer {
        assertion: AssertionPlan,
    },
}

pub(crate) struct Plan {
    pub(crate) grant: GrantPlan,
    pub(crate) endpoint: EndpointPlan,
    /// Where the password and jwt-bearer grants refresh.
    pub(crate) refresh: Option<EndpointPlan>,
    pub(crate) default_lifetime: Duration,
    pub(crate) clock_skew: Duration,
    pub(crate) fallback_on_invalid_grant: bool,
    /// Credentials blanked out of anything a server echoes back.
    pub(crate) secrets: Vec<SecretString>,
}

impl fmt::Debug for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plan")
            .field("grant", &self.grant_name())
            .field("endpoint", &self.endpoint.display)
            .field("refresh", &self.refresh.as_ref().map(|r| &r.display))
            .finish_non_exhaustive()
    }
}

impl Plan {
    pub(crate) fn grant_name(&self) -> &'static str {
        match self.grant {
            GrantPlan::ClientCredentials => "client_credentials",
            GrantPlan::Password { .. } => "password",
            GrantPlan::RefreshToken { .. } => "refresh_token",
            GrantPlan::JwtBearer { .. } => "jwt-bearer",
        }
    }

    pub(crate) fn new(config: &OAuth2Config) -> Result<Self> {
        let url_field = match config.grant {
            Grant::RefreshToken { .. } => "refresh_url",
            _ => "token_url",
        };
        let mut secrets = Vec::new();
        if let Some(secret) = &config.client_secret {
            secrets.push(secret.clone());
        }
        check_optional("client_id", config.client_id.as_deref())?;
        check_secret("client_secret", config.client_secret.as_ref())?;

        let grant = match &config.grant {
            Grant::ClientCredentials => GrantPlan::ClientCredentials,
            Grant::Password {
                username, password, ..
            } => {
                if username.is_empty() {
                    return Err(Error::invalid_config(
                        "the password grant's `username` is empty",
                    ));
                }
                check_text("username", username)?;
                check_secret("password", Some(password))?;
                secrets.push(password.clone());
                GrantPlan::Password {
                    username: username.clone(),
                    password: password.clone(),
                }
            }
            Grant::RefreshToken { refresh_token } => {
                check_secret("refresh_token", Some(refresh_token))?;
                secrets.push(refresh_token.clone());
                GrantPlan::RefreshToken {
                    initial: refresh_token.clone(),
                }
            }
            Grant::JwtBearer { assertion } => GrantPlan::JwtBearer {
                assertion: match assertion {
                    Assertion::Static(jwt) => {
                        check_secret("assertion", Some(jwt))?;
                        secrets.push(jwt.clone());
                        AssertionPlan::Static(jwt.clone())
                    }
                    #[cfg(feature = "jwt")]
                    Assertion::Issued(issuer) => {
                        AssertionPlan::Issued(Box::new(auth_jwt_issuer::JwtIssuer::new(issuer)?))
                    }
                },
            },
        };

        let endpoint = EndpointPlan::new(
            config,
            url_field,
            &config.url,
            &config.scopes,
            &config.optional_params,
            config.credential_bearer,
            &config.client_config,
        )?;
        if matches!(grant, GrantPlan::ClientCredentials)
            && matches!(
                endpoint.client_auth,
                ClientAuth::Nothing | ClientAuth::PublicId(_)
            )
        {
            return Err(Error::invalid_config(
                "the client credentials grant needs `client_id` and `client_secret` (or a \
                 `client_assertion`)",
            ));
        }

        let refresh = match &config.grant {
            // Inferred: the token URL and every client setting, TLS included; no scopes (the
            // original scope, RFC 6749 §6).
            Grant::Password { refresh: None, .. } | Grant::JwtBearer { .. } => {
                Some(EndpointPlan::new(
                    config,
                    url_field,
                    &config.url,
                    &[],
                    &config.optional_params,
                    config.credential_bearer,
                    &config.client_config,
                )?)
            }
            Grant::Password {
                refresh: Some(refresh),
                ..
            } => Some(EndpointPlan::new(
                config,
                "refresh_config.refresh_url",
                &refresh.refresh_url,
                &refresh.scopes,
                &refresh.optional_params,
                refresh.credential_bearer,
                &refresh.client_config,
            )?),
            _ => None,
        };

        if config.default_token_exp_time.is_zero() {
            return Err(Error::invalid_config(
                "`default_token_exp_time` must be more than zero seconds",
            ));
        }
        Ok(Self {
            grant,
            endpoint,
            refresh,
            default_lifetime: config.default_token_exp_time,
            clock_skew: config.clock_skew,
            fallback_on_invalid_grant: config.fallback_on_invalid_grant,
            secrets,
        })
    }
}

impl EndpointPlan {
    #[allow(clippy::too_many_arguments)]
    fn new(
        config: &OAuth2Config,
        field: &str,
        url: &str,
        scopes: &[String],
        optional_params: &[(String, String)],
        bearer: CredentialBearer,
        client_config: &ClientConfig,
    ) -> Result<Self> {
        let (url, display) = check_url(field, url, config.allow_insecure_http)?;
        for scope in scopes {
            check_text("scope", scope)?;
            if scope.contains(' ') {
                return Err(Error::invalid_config(format!(
                    "scope `{scope}` contains a space; give each scope as its own list entry"
                )));
            }
        }
        let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
        for (name, value) in optional_params {
            if name.trim().is_empty() {
                return Err(Error::invalid_config("an `optional_params` name is empty"));
            }
            check_text("optional_params name", name)?;
            check_text(&format!("optional_params `{name}`"), value)?;
            if RESERVED.contains(&name.trim()) {
                return Err(Error::invalid_config(format!(
                    "`optional_params` may not set `{name}`, which the grant itself sends"
                )));
            }
        }
        let mut custom_headers = HeaderMap::new();
        for (name, value) in &client_config.custom_headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::invalid_config(format!(
                    "custom header name `{name}` is not a valid header name"
                ))
            })?;
            check_text(&format!("custom header `{name}`"), value)?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                Error::invalid_config(format!(
                    "custom header `{name}` has a value that cannot stand in an HTTP header"
                ))
            })?;
            if header == http::header::AUTHORIZATION {
                value.set_sensitive(true);
            }
            custom_headers.insert(header, value);
        }
        if let Some(payload) = &client_config.custom_payload {
            check_custom_payload(payload)?;
        }
        Ok(Self {
            client_auth: client_auth(config, bearer, &url)?,
            url,
            display,
            scope,
            optional_params: optional_params
                .iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
            custom_headers,
            custom_payload: client_config.custom_payload.clone(),
        })
    }
}

/// Parameters the grants and client authentication send themselves.
const RESERVED: [&str; 10] = [
    "grant_type",
    "client_id",
    "client_secret",
    "username",
    "password",
    "refresh_token",
    "assertion",
    "scope",
    "client_assertion",
    "client_assertion_type",
];

fn client_auth(
    config: &OAuth2Config,
    bearer: CredentialBearer,
    #[cfg_attr(not(feature = "jwt"), allow(unused_variables))] url: &Url,
) -> Result<ClientAuth> {
    #[cfg(feature = "jwt")]
    if let Some(assertion) = &config.client_assertion {
        if config.client_secret.is_some() {
            return Err(Error::invalid_config(
                "give `client_secret` or `client_assertion`, not both (for client_secret_jwt, \
                 the secret goes in the assertion's HS256/384/512 signature config)",
            ));
        }
        let Some(id) = config.client_id.clone() else {
            return Err(Error::invalid_config(
                "`client_assertion` needs `client_id` (it becomes the assertion's iss and sub)",
            ));
        };
        let mut issuer_config = assertion.clone();
        issuer_config.issuer = Some(id.clone());
        issuer_config.username = Some(id.clone());
        if issuer_config.audience.is_none() {
            issuer_config.audience = Some(auth_jwt_issuer::Audience::One(url.to_string()));
        }
        if issuer_config.exp_time == auth_jwt_issuer::DEFAULT_EXP_TIME_SECS {
            // A client assertion is used once, at once: keep it short (RFC 7523 §3).
            issuer_config.exp_time = 60;
        }
        let issuer = auth_jwt_issuer::JwtIssuer::new(&issuer_config)?;
        return Ok(ClientAuth::Assertion {
            id,
            issuer: Box::new(issuer),
        });
    }
    Ok(match (&config.client_id, &config.client_secret) {
        (Some(id), Some(secret)) => match bearer {
            CredentialBearer::AuthHeader => {
                // Every intermediate form of the secret is wiped when dropped.
                let mut plain = Zeroizing::new(String::new());
                match config.basic_encoding {
                    BasicEncoding::FormEncoded => {
                        plain.extend(form_urlencoded::byte_serialize(id.as_bytes()));
                        plain.push(':');
                        plain.extend(form_urlencoded::byte_serialize(
                            secret.expose_secret().as_bytes(),
                        ));
                    }
                    BasicEncoding::Raw => {
                        plain.push_str(id);
                        plain.push(':');
                        plain.push_str(secret.expose_secret());
                    }
                }
                // A `Token` keeps the header in a buffer wiped on drop and marks it sensitive.
                ClientAuth::Basic(Token::new(
                    Scheme::Basic,
                    STANDARD.encode(plain.as_bytes()),
                )?)
            }
            CredentialBearer::PostBody => ClientAuth::Post {
                id: id.clone(),
                secret: secret.clone(),
            },
        },
        (Some(id), None) => ClientAuth::PublicId(id.clone()),
        (None, Some(_)) => {
            return Err(Error::invalid_config(
                "`client_secret` is set but `client_id` is not",
            ));
        }
        (None, None) => ClientAuth::Nothing,
    })
}

/// Checks a token or refresh URL: it parses, has a host, carries no credentials, and is
/// `https` unless it is loopback or insecure HTTP was allowed.
pub(crate) fn check_url(
    field: &str,
    url: &str,
    allow_insecure_http: bool,
) -> Result<(Url, String)> {
    let parsed = Url::parse(url.trim()).map_err(|e| {
        Error::invalid_config(format!(
            "`{field}` is not a valid URL ({e}); give an absolute https:// URL"
        ))
    })?;
    let Some(host) = parsed.host() else {
        return Err(Error::invalid_config(format!("`{field}` has no host")));
    };
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid_config(format!(
            "`{field}` carries credentials in the URL; remove them and use client_id/client_secret"
        )));
    }
    let display = {
        let mut shown = parsed.clone();
        shown.set_query(None);
        shown.set_fragment(None);
        shown.to_string()
    };
    match parsed.scheme() {
        "https" => {}
        "http" if allow_insecure_http || is_loopback(&host) => {}
        "http" => {
            return Err(Error::invalid_config(format!(
                "`{field}` {display} uses plain http://, which would send credentials unencrypted; \
                 use https://, or set `allow_insecure_http = true` if you accept that"
            )));
        }
        other => {
            return Err(Error::invalid_config(format!(
                "`{field}` uses the scheme `{other}`; token endpoints are https:// URLs"
            )));
        }
    }
    Ok((parsed, display))
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

fn check_text(field: &str, text: &str) -> Result<()> {
    match text.char_indices().find(|(_, c)| c.is_control()) {
        None => Ok(()),
        Some((at, c)) => Err(Error::invalid_config(format!(
            "`{field}` contains a control character (U+{:04X}) at byte {at}; CR, LF, NUL and other \
             control characters are not allowed",
            u32::from(c)
        ))),
    }
}

fn check_optional(field: &str, text: Option<&str>) -> Result<()> {
    match text {
        Some("") => Err(Error::invalid_config(format!("`{field}` is empty"))),
        Some(text) => check_text(field, text),
        None => Ok(()),
    }
}

fn check_secret(field: &str, secret: Option<&SecretString>) -> Result<()> {
    check_optional(field, secret.map(SecretString::expose_secret))
}

/// `custom_payload` must be form syntax: `name=value` pairs joined by `&`, with only characters
/// that need no further encoding, valid `%XX` escapes, and no parameter the grant sends itself.
fn check_custom_payload(payload: &str) -> Result<()> {
    let bad = |why: String| {
        Err(Error::invalid_config(format!(
            "`custom_payload` is not form-encoded text ({why}); write it as name=value pairs joined \
             by &, percent-encoding anything else, e.g. `a=1&b=two%20words`"
        )))
    };
    if payload.is_empty() {
        return bad("it is empty".to_owned());
    }
    for pair in payload.split('&') {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        if name.is_empty() {
            return bad("a pair has no name".to_owned());
        }
        let bytes = pair.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                let hex_at = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
                if !(hex_at(i + 1) && hex_at(i + 2)) {
                    return bad("a % is not followed by two hex digits".to_owned());
                }
                i += 3;
                continue;
            }
            if !(b.is_ascii_alphanumeric() || b"-._~*+=!$'(),;:@/?".contains(&b)) {
                return bad(format!("byte 0x{b:02X} must be percent-encoded"));
            }
            i += 1;
        }
        if RESERVED.contains(&name) {
            return bad(format!("it sets `{name}`, which the grant itself sends"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("token_url", "https://idp.example/token?x=1", false).is_ok());
        for loopback in [
            "http://127.0.0.1:8080/t",
            "http://localhost/t",
            "http://[::1]:9/t",
            "http://127.3.4.5/t",
        ] {
            assert!(
                check_url("token_url", loopback, false).is_ok(),
                "{loopback}"
            );
        }
        let err = check_url("token_url", "http://idp.invalid/token", false).unwrap_err();
        assert!(
            err.message().contains("allow_insecure_http = true"),
            "{err}"
        );
        assert!(check_url("token_url", "http://idp.invalid/token", true).is_ok());
        let err = check_url("token_url", "idp.example/token", false).unwrap_err();
        assert!(err.message().contains("not a valid URL"), "{err}");
        let err = check_url("token_url", "https://u:p@idp.example/token", false).unwrap_err();
        assert!(err.message().contains("credentials in the URL"), "{err}");
        assert!(!err.to_string().contains("u:p"));
        let err = check_url("token_url", "ftp://idp.example/token", false).unwrap_err();
        assert!(err.message().contains("scheme `ftp`"), "{err}");
        let (_, display) = check_url(
            "token_url",
            "https://idp.example/token?secret=1#frag",
            false,
        )
        .unwrap();
        assert_eq!(display, "https://idp.example/token");
    }

    #[test]
    fn custom_payloads() {
        assert!(check_custom_payload("a=1&b=two%20words&c").is_ok());
        for (payload, why) in [
            ("", "empty"),
            ("a=1&&b=2", "no name"),
            ("a=one two", "0x20 must be percent-encoded"),
            ("a=1%2", "two hex digits"),
            ("a=1%zz", "two hex digits"),
            ("a=1\r\nb=2", "0x0D"),
            ("grant_type=password", "sets `grant_type`"),
        ] {
            let err = check_custom_payload(payload).unwrap_err();
            assert!(err.message().contains(why), "{payload:?}: {err}");
        }
    }
}
