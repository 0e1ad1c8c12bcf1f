//! The declarative config: shapes, Ballerina's names, defaults, and clear errors.

use std::time::Duration;

use auth_core::ErrorKind;
use auth_oauth2::{CredentialBearer, Grant, HttpVersion, OAuth2Config, OAuth2Provider};

use crate::script::Script;

fn parse(toml: &str) -> Result<OAuth2Config, String> {
    toml::from_str::<OAuth2Config>(toml).map_err(|e| e.to_string())
}

#[test]
fn the_fields_present_select_the_grant() {
    let cases = [
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"",
            "client_credentials",
        ),
        (
            "token_url = \"https://i/t\"\nusername = \"u\"\npassword = \"p\"",
            "password",
        ),
        (
            "refresh_url = \"https://i/r\"\nrefresh_token = \"r\"\nclient_id = \"a\"\nclient_secret = \"b\"",
            "refresh_token",
        ),
        (
            "token_url = \"https://i/t\"\nassertion = \"eyJ.x.y\"",
            "jwt-bearer",
        ),
    ];
    for (toml, grant) in cases {
        assert_eq!(parse(toml).unwrap().grant_name(), grant, "{toml}");
    }
}

#[test]
fn ballerina_camel_case_and_defaults() {
    let json = r#"{
        "tokenUrl": "https://idp.example/token", "username": "admin", "password": "pw",
        "clientId": "id", "clientSecret": "s", "scopes": "read  write",
        "defaultTokenExpTime": 1200, "clockSkew": 5.5,
        "optionalParams": {"b": "2", "a": "1"},
        "credentialBearer": "POST_BODY_BEARER",
        "refreshConfig": {"refreshUrl": "https://idp.example/refresh", "scopes": ["x"]},
        "clientConfig": {"httpVersion": "HTTP_2", "customHeaders": {"X-A": "1"}, "customPayload": "k=v", "reqTimeout": 5}
    }"#;
    let config: OAuth2Config = serde_json::from_str(json).unwrap();
    assert_eq!(config.scopes, ["read", "write"]);
    assert_eq!(config.default_token_exp_time, Duration::from_secs(1200));
    assert_eq!(config.clock_skew, Duration::from_millis(5500));
    assert_eq!(
        config.optional_params,
        [
            ("b".to_owned(), "2".to_owned()),
            ("a".to_owned(), "1".to_owned())
        ]
    );
    assert_eq!(config.credential_bearer, CredentialBearer::PostBody);
    assert_eq!(config.client_config.http_version, HttpVersion::Http2);
    assert_eq!(config.client_config.request_timeout, Duration::from_secs(5));
    assert_eq!(
        config.client_config.connect_timeout,
        Duration::from_secs(15)
    );
    let Grant::Password {
        refresh: Some(refresh),
        ..
    } = &config.grant
    else {
        panic!("password grant with explicit refresh config");
    };
    assert_eq!(refresh.refresh_url, "https://idp.example/refresh");

    let defaults =
        parse("token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"").unwrap();
    assert_eq!(defaults.default_token_exp_time, Duration::from_secs(3600));
    assert_eq!(defaults.clock_skew, Duration::ZERO);
    assert_eq!(defaults.credential_bearer, CredentialBearer::AuthHeader);
    let inferred = parse(
        "token_url = \"https://i/t\"\nusername = \"u\"\npassword = \"p\"\nrefresh_config = \"INFER_REFRESH_CONFIG\"",
    )
    .unwrap();
    assert!(matches!(
        inferred.grant,
        Grant::Password { refresh: None, .. }
    ));
}

#[test]
fn ambiguous_or_unknown_shapes_name_the_problem() {
    let cases = [
        (
            "token_url = \"https://i/t\"\nrefresh_url = \"https://i/r\"",
            "not both",
        ),
        ("client_id = \"a\"", "needs `token_url`"),
        (
            "token_url = \"https://i/t\"\nusername = \"u\"",
            "both `username` and `password`",
        ),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"",
            "needs `client_id` and `client_secret`",
        ),
        (
            "token_url = \"https://i/t\"\nrefresh_token = \"r\"",
            "`refresh_token` belongs to the refresh-token grant",
        ),
        (
            "refresh_url = \"https://i/r\"\nusername = \"u\"\nrefresh_token = \"r\"",
            "`username` does not belong",
        ),
        ("refresh_url = \"https://i/r\"", "needs `refresh_token`"),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\ntokenurl = \"x\"",
            "unknown field `tokenurl`",
        ),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\ncredential_bearer = \"HEADER\"",
            "AUTH_HEADER_BEARER",
        ),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[client_config]\nreq_timeout = 0",
            "greater than zero",
        ),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[client_config]\nconnect_timeout = -1",
            "greater than zero",
        ),
        (
            "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[client_config]\nsecure_socket = { disable = true }",
            "auth-http",
        ),
        (
            "token_url = \"https://i/t\"\nusername = \"u\"\npassword = \"p\"\nrefresh_config = \"INFER\"",
            "INFER_REFRESH_CONFIG",
        ),
    ];
    for (toml, expected) in cases {
        let err = parse(toml).unwrap_err();
        assert!(
            err.contains(expected),
            "`{toml}` gave `{err}`, expected `{expected}`"
        );
    }
}

#[test]
fn provider_building_refuses_bad_values() {
    let transport = Script::new([]);
    let build = |config: OAuth2Config| OAuth2Provider::new(config, transport.clone()).unwrap_err();
    let cases: Vec<(OAuth2Config, &str)> = vec![
        (
            OAuth2Config::client_credentials("http://idp.invalid/t", "a", "b"),
            "allow_insecure_http = true",
        ),
        (
            OAuth2Config::client_credentials("not a url", "a", "b"),
            "not a valid URL",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "", "b"),
            "`client_id` is empty",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b\r\nX: y"),
            "`client_secret` contains a control character",
        ),
        (
            OAuth2Config::password("https://i/t", "u\n", "p"),
            "`username` contains a control character",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b")
                .custom_header("Bad Name", "v"),
            "not a valid header name",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b")
                .custom_header("X-A", "v\r\nInjected: 1"),
            "control character",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b").custom_payload("a b"),
            "custom_payload",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b")
                .optional_param("grant_type", "x"),
            "may not set `grant_type`",
        ),
        (
            OAuth2Config::client_credentials("https://i/t", "a", "b").scopes(["a b"]),
            "contains a space",
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
    // Loopback http is fine without opting in; other http hosts with it.
    assert!(
        OAuth2Provider::new(
            OAuth2Config::client_credentials("http://127.0.0.1:9/t", "a", "b"),
            transport.clone()
        )
        .is_ok()
    );
    assert!(
        OAuth2Provider::new(
            OAuth2Config::client_credentials("http://idp.invalid/t", "a", "b")
                .allow_insecure_http(true),
            transport.clone()
        )
        .is_ok()
    );
}

#[test]
fn debug_of_configs_hides_secrets() {
    let config = parse(
        "token_url = \"https://i/t\"\nusername = \"u\"\npassword = \"pw-marker\"\nclient_id = \"a\"\nclient_secret = \"cs-marker\"",
    )
    .unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("pw-marker") && !debug.contains("cs-marker"),
        "{debug}"
    );
    let headers = parse(
        "token_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[client_config]\ncustom_headers = { X-Api-Key = \"hdr-marker\" }\ncustom_payload = \"k=payload-marker\"",
    )
    .unwrap();
    let debug = format!("{headers:?}");
    assert!(debug.contains("X-Api-Key"), "{debug}");
    assert!(
        !debug.contains("hdr-marker") && !debug.contains("payload-marker"),
        "{debug}"
    );
    let refresh = parse("refresh_url = \"https://i/r\"\nrefresh_token = \"rt-marker\"").unwrap();
    assert!(!format!("{refresh:?}").contains("rt-marker"));
}
