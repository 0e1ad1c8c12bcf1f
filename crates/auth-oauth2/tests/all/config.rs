//! Checks made when a provider is built: bad values are refused with clear errors, and no
//! configuration type shows a secret.

use std::time::Duration;

use auth_core::ErrorKind;
use auth_oauth2::{
    ClientAuth, MAX_TOKEN_LIFETIME, OAuth2Config, OAuth2Provider, PasswordGrant, RefreshConfig,
};

use crate::script::Script;

fn cc(url: &str, id: &str, secret: &str) -> OAuth2Config {
    OAuth2Config::client_credentials(url, ClientAuth::basic(id, secret))
}

#[test]
fn provider_building_refuses_bad_values() {
    let transport = Script::new([]);
    let build = |config: OAuth2Config| OAuth2Provider::new(config, transport.clone()).unwrap_err();
    let cases: Vec<(OAuth2Config, &str)> = vec![
        (
            cc("http://idp.invalid/t", "a", "b"),
            "allow_insecure_http = true",
        ),
        (cc("not a url", "a", "b"), "not a valid URL"),
        (cc("https://i/t", "", "b"), "`client_id` is empty"),
        (
            cc("https://i/t", "a", "b\r\nX: y"),
            "`client_secret` contains a carriage return",
        ),
        (
            OAuth2Config::password("https://i/t", "u\n", "p"),
            "`username` contains a line feed",
        ),
        (
            cc("https://i/t", "a", "b").custom_header("Bad Name", "v"),
            "not a valid header name",
        ),
        (
            cc("https://i/t", "a", "b").custom_header("X-A", "v\r\nInjected: 1"),
            "contains a carriage return",
        ),
        (
            cc("https://i/t", "a", "b").custom_payload("a b"),
            "custom_payload",
        ),
        (
            cc("https://i/t", "a", "b").optional_param("grant_type", "x"),
            "may not set `grant_type`",
        ),
        (
            cc("https://i/t", "a", "b").scopes(["a b"]),
            "contains a space",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", ClientAuth::public("a")),
            "needs client authentication",
        ),
        (
            OAuth2Config::new(
                "https://i/t",
                PasswordGrant::new("u", "p").refresh(RefreshConfig::new("ftp://i/r")),
            ),
            "`refresh_config.refresh_url` uses the scheme `ftp`",
        ),
        (
            cc("https://i/t", "a", "b").default_token_exp_time(Duration::ZERO),
            "`default_token_exp_time` is 0 s",
        ),
        (
            cc("https://i/t", "a", "b").default_token_exp_time(Duration::MAX),
            "at most one year",
        ),
        (
            cc("https://i/t", "a", "b").clock_skew(Duration::MAX),
            "`clock_skew`",
        ),
    ];
    for (config, expected) in cases {
        let err = build(config);
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
        assert!(
            err.message().contains(expected),
            "`{err}` should say `{expected}`"
        );
        assert!(!err.to_string().contains("b\r\n"));
    }
    // Loopback http is fine without opting in; other http hosts with it; a year is fine.
    for config in [
        cc("http://127.0.0.1:9/t", "a", "b"),
        cc("http://idp.invalid/t", "a", "b").allow_insecure_http(true),
        cc("https://i/t", "a", "b").default_token_exp_time(MAX_TOKEN_LIFETIME),
    ] {
        assert!(OAuth2Provider::new(config, transport.clone()).is_ok());
    }
}

#[test]
fn debug_of_configs_hides_secrets() {
    let config = OAuth2Config::password("https://i/t", "u", "pw-marker")
        .client_auth(ClientAuth::basic("a", "cs-marker"))
        .custom_header("X-Api-Key", "hdr-marker")
        .custom_payload("k=payload-marker");
    let debug = format!("{config:?}");
    assert!(
        debug.contains("X-Api-Key") && debug.contains("client_secret_basic"),
        "{debug}"
    );
    for marker in ["pw-marker", "cs-marker", "hdr-marker", "payload-marker"] {
        assert!(!debug.contains(marker), "{marker} in {debug}");
    }
    let query = OAuth2Config::client_credentials(
        "https://u:url-pw-marker@i/t?api_key=url-key-marker",
        ClientAuth::basic("a", "b"),
    );
    let debug = format!("{query:?}");
    assert!(
        debug.contains("https://i/t") && !debug.contains("url-"),
        "{debug}"
    );
    let refresh = OAuth2Config::refresh_token("https://i/r", "rt-marker")
        .client_auth(ClientAuth::post("a", "post-marker"));
    let debug = format!("{refresh:?}");
    assert!(
        !debug.contains("rt-marker") && !debug.contains("post-marker"),
        "{debug}"
    );
}

#[test]
fn client_auth_reads_like_the_protocol() {
    for (auth, method, id) in [
        (ClientAuth::none(), "none", None),
        (ClientAuth::public("app"), "none", Some("app")),
        (
            ClientAuth::basic("svc", "s"),
            "client_secret_basic",
            Some("svc"),
        ),
        (
            ClientAuth::basic_raw("svc", "s"),
            "client_secret_basic",
            Some("svc"),
        ),
        (
            ClientAuth::post("svc", "s"),
            "client_secret_post",
            Some("svc"),
        ),
    ] {
        assert_eq!(auth.method(), method);
        assert_eq!(auth.client_id(), id);
    }
}
