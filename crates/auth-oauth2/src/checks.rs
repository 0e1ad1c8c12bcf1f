//! Checks of the values a config carries: URLs, form parameters, the custom payload.

use std::net::IpAddr;

use auth_core::text::{TextRule, check_chars, check_text};
use auth_core::{Error, Result, SecretString};
use url::{Host, Url};

/// Parameters the grants and client authentication send themselves.
pub(crate) const RESERVED: [&str; 10] = [
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

/// Checks a token or refresh URL: it parses, has a host, carries no credentials, and is
/// `https` unless it is loopback or insecure HTTP was allowed. Returns it with its display form
/// (no query, no fragment) for messages and logs.
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
            "`{field}` carries credentials in the URL; remove them and use client authentication"
        )));
    }
    let display = display_of(&parsed);
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

/// A URL for `Debug` output: without user info, query or fragment, which can carry keys.
pub(crate) fn shown_url(url: &str) -> String {
    Url::parse(url.trim()).map_or_else(|_| "(not a URL)".to_owned(), |parsed| display_of(&parsed))
}

/// `url` without user info, query or fragment, for messages and logs.
fn display_of(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// A value that goes into a form field or a header: no control characters.
pub(crate) fn check_field(field: &str, text: &str) -> Result<()> {
    check_chars(format_args!("`{field}`"), text, TextRule::NoControl)
}

/// A credential: not empty, no control characters.
pub(crate) fn check_credential(field: &str, secret: &SecretString) -> Result<()> {
    check_text(
        format_args!("`{field}`"),
        secret.expose_secret(),
        TextRule::NoControl,
    )
}

/// An identifier (client id, username): not empty, no control characters.
pub(crate) fn check_name(field: &str, name: &str) -> Result<()> {
    check_text(format_args!("`{field}`"), name, TextRule::NoControl)
}

/// Scopes: no spaces inside one, no control characters.
pub(crate) fn check_scopes(scopes: &[String]) -> Result<()> {
    for scope in scopes {
        check_field("scope", scope)?;
        if scope.contains(' ') {
            return Err(Error::invalid_config(format!(
                "scope `{scope}` contains a space; give each scope as its own list entry"
            )));
        }
    }
    Ok(())
}

/// Optional parameters: named, no control characters, none the grant sends itself.
pub(crate) fn check_optional_params(params: &[(String, String)]) -> Result<()> {
    for (name, value) in params {
        if name.trim().is_empty() {
            return Err(Error::invalid_config("an `optional_params` name is empty"));
        }
        check_field("optional_params name", name)?;
        check_field(&format!("optional_params `{name}`"), value)?;
        if RESERVED.contains(&name.trim()) {
            return Err(Error::invalid_config(format!(
                "`optional_params` may not set `{name}`, which the grant itself sends"
            )));
        }
    }
    Ok(())
}

/// Refuses `optional_params` and `custom_payload` pairs that set one of `names`, parameters
/// that the `grant` grant sends itself.
pub(crate) fn check_grant_params(
    grant: &str,
    names: &[&str],
    params: &[(String, String)],
    payload: Option<&str>,
) -> Result<()> {
    let refuse = |field: &str, name: &str| {
        Err(Error::invalid_config(format!(
            "`{field}` may not set `{name}`, which the {grant} grant sends itself; set it on the \
             grant"
        )))
    };
    for (name, _) in params {
        if names.contains(&name.trim()) {
            return refuse("optional_params", name.trim());
        }
    }
    // Compared decoded, as the server reads them.
    for (name, _) in payload
        .into_iter()
        .flat_map(|payload| form_urlencoded::parse(payload.as_bytes()))
    {
        if names.contains(&name.as_ref()) {
            return refuse("custom_payload", &name);
        }
    }
    Ok(())
}

/// `custom_payload` must be form syntax: `name=value` pairs joined by `&`, with only characters
/// that need no further encoding, valid `%XX` escapes, and no parameter the grant sends itself.
pub(crate) fn check_custom_payload(payload: &str) -> Result<()> {
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
        // Compared decoded: `grant%5Ftype` reaches the server as `grant_type` all the same.
        let decoded: String = form_urlencoded::parse(name.as_bytes())
            .next()
            .map(|(decoded, _)| decoded.into_owned())
            .unwrap_or_default();
        if RESERVED.contains(&decoded.as_str()) {
            return bad(format!("it sets `{decoded}`, which the grant itself sends"));
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
            // Encoded names decode to the same parameter on the server.
            ("grant%5Ftype=password", "sets `grant_type`"),
            ("a=1&client%5fsecret=x", "sets `client_secret`"),
        ] {
            let err = check_custom_payload(payload).unwrap_err();
            assert!(err.message().contains(why), "{payload:?}: {err}");
        }
    }
}
