//! The declarative config: every shape, the aliases, the seed guide's examples (and what each
//! sends), the per-shape errors.

use auth_core::AuthProvider;
use auth_http::{AuthConfig, ClientFileConfig};

use crate::support::{Seen, json, serve};

fn keys(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys")
        .join(name)
        .display()
        .to_string()
}

fn parse(toml: &str) -> ClientFileConfig {
    ClientFileConfig::from_toml_str(toml).unwrap_or_else(|e| panic!("{toml}\n{e}"))
}

fn auth(toml: &str) -> &'static AuthConfig {
    Box::leak(Box::new(parse(toml))).auth().unwrap()
}

fn error(toml: &str) -> String {
    ClientFileConfig::from_toml_str(toml)
        .unwrap_err()
        .to_string()
}

/// A token endpoint that answers every grant with `at-N` and records what it was sent.
async fn recording_token_server() -> crate::support::Server {
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    serve(None, move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        async move {
            json(
                200,
                &format!(
                    r#"{{"access_token":"at-{n}","expires_in":3600,"refresh_token":"rt-{n}"}}"#
                ),
            )
        }
    })
    .await
}

fn param<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What a config must send, checked on the request the token endpoint saw.
type Expect = fn(&Seen);

/// The seed guide's client examples, written as TOML: each parses to the right provider and
/// sends what Ballerina's shape says (token URLs point at a server on 127.0.0.1, key paths at
/// the project's own test keys).
#[tokio::test]
async fn every_seed_guide_example_parses_and_sends_what_its_shape_says() {
    let server = recording_token_server().await;
    let token_url = server.url("/oauth2/token");
    let jwt = format!(
        r#"[auth]
        username = "ballerina"
        issuer = "wso2"
        audience = ["ballerina", "ballerina.org", "ballerina.io"]
        jwtId = "JlbmMiOiJBMTI4Q0JDLUhTMjU2In"
        keyId = "5a0b754-895f-4279-8843-b745e11a57e9"
        customClaims = {{ scp = "admin" }}
        expTime = 3600
        [auth.signatureConfig]
        algorithm = "RS256"
        [auth.signatureConfig.config]
        keyFile = "{}""#,
        keys("rsa.pem")
    );
    let oauth2: Vec<(String, &str, Expect)> = vec![
        (
            format!(
                r#"[auth]
                tokenUrl = "{token_url}"
                clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
                clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
                scopes = ["admin"]
                [auth.clientConfig.secureSocket]
                disable = true"#
            ),
            "client_credentials",
            |seen| {
                let form = seen.form();
                assert_eq!(param(&form, "grant_type"), Some("client_credentials"));
                assert_eq!(param(&form, "scope"), Some("admin"));
                assert_eq!(
                    seen.authorization().as_deref(),
                    Some(
                        "Basic RmxmSllLQkQyYzkyNWg0bGt5Y3FOWmxDMmw0YTpQSnowVWhUSk1ySE9vNjhRUU5wdm5xQVlfM0Fh"
                    )
                );
            },
        ),
        (
            format!(
                r#"[auth]
                tokenUrl = "{token_url}"
                username = "admin"
                password = "123"
                clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
                clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
                scopes = ["admin"]
                credentialBearer = "POST_BODY_BEARER"
                [auth.refreshConfig]
                refreshUrl = "{token_url}"
                scopes = ["admin"]
                [auth.refreshConfig.clientConfig.secureSocket]
                disable = true
                [auth.clientConfig.secureSocket]
                disable = true"#
            ),
            "password",
            |seen| {
                let form = seen.form();
                assert_eq!(param(&form, "grant_type"), Some("password"));
                assert_eq!(param(&form, "username"), Some("admin"));
                assert_eq!(param(&form, "password"), Some("123"));
                assert_eq!(
                    param(&form, "client_id"),
                    Some("FlfJYKBD2c925h4lkycqNZlC2l4a")
                );
                assert!(seen.authorization().is_none(), "POST_BODY_BEARER");
            },
        ),
        (
            format!(
                r#"[auth]
                refreshUrl = "{token_url}"
                refreshToken = "24f19603-8565-4b5f-a036-88a945e1f272"
                clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
                clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
                scopes = ["admin"]"#
            ),
            "refresh_token",
            |seen| {
                let form = seen.form();
                assert_eq!(param(&form, "grant_type"), Some("refresh_token"));
                assert_eq!(
                    param(&form, "refresh_token"),
                    Some("24f19603-8565-4b5f-a036-88a945e1f272")
                );
                assert!(
                    seen.authorization()
                        .is_some_and(|a| a.starts_with("Basic "))
                );
            },
        ),
        (
            format!("[auth]\ntoken_url = \"{token_url}\"\nassertion = \"eyJ.e30.sig\""),
            "jwt-bearer",
            |seen| {
                let form = seen.form();
                assert_eq!(
                    param(&form, "grant_type"),
                    Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
                );
                assert_eq!(param(&form, "assertion"), Some("eyJ.e30.sig"));
            },
        ),
    ];
    for (toml, grant, expect) in &oauth2 {
        let config = auth(toml);
        assert_eq!(config.kind(), *grant, "{toml}");
        let token = config.build().unwrap().token().await.unwrap();
        assert!(token.expose_credential().starts_with("at-"), "{toml}");
        expect(server.seen().last().unwrap());
    }

    let basic =
        auth("[auth]\nusername = \"alice\"\npassword = \"123\"\n[secure_socket]\ndisable = true");
    assert_eq!(basic.kind(), "basic");
    assert_eq!(
        basic.build().unwrap().token().await.unwrap().header_value(),
        "Basic YWxpY2U6MTIz"
    );
    let bearer = auth("[auth]\ntoken = \"JlbmMiOiJBMTI4Q0JDLUhTMjU2In\"");
    assert_eq!(bearer.kind(), "bearer");
    assert_eq!(
        bearer
            .build()
            .unwrap()
            .token()
            .await
            .unwrap()
            .header_value(),
        "Bearer JlbmMiOiJBMTI4Q0JDLUhTMjU2In"
    );
    let jwt = auth(&jwt);
    assert_eq!(jwt.kind(), "jwt");
    let token = jwt.build().unwrap().token().await.unwrap();
    let public = std::fs::read(keys("rsa.pub.pem")).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["ballerina.io"]);
    validation.set_issuer(&["wso2"]);
    let decoded = jsonwebtoken::decode::<serde_json::Value>(
        token.expose_credential(),
        &jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(
        decoded.header.kid.as_deref(),
        Some("5a0b754-895f-4279-8843-b745e11a57e9")
    );
    assert_eq!(decoded.claims["sub"], "ballerina");
    assert_eq!(decoded.claims["jti"], "JlbmMiOiJBMTI4Q0JDLUhTMjU2In");
    assert_eq!(decoded.claims["scp"], "admin");
    assert_eq!(
        decoded.claims["exp"].as_u64().unwrap() - decoded.claims["iat"].as_u64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn the_same_config_as_json_works() {
    let config = ClientFileConfig::from_json_str(
        r#"{"connectTimeout": 3, "httpVersion": "HTTP_1_1", "auth": {"username": "tom", "password": "123"}}"#,
    )
    .unwrap();
    let provider = config.auth().unwrap().build().unwrap();
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "dG9tOjEyMw=="
    );
    let settings = format!("{:?}", config.settings());
    assert!(
        settings.contains("connect_timeout: 3s") && settings.contains("Http1"),
        "{settings}"
    );
    assert!(ClientFileConfig::from_str_guess("[auth]\ntoken = \"x\"").is_ok());
}

/// A table that fits no shape gets one error that says, per shape, what was extra or missing.
#[test]
fn a_table_that_fits_no_shape_is_explained_per_shape() {
    let cases: [(&str, &[&str]); 6] = [
        // Basic's password is missing; it is not read as a JWT config.
        (
            "[auth]\nusername = \"u\"",
            &[
                "fits no auth shape",
                "Basic: missing `password`",
                "Bearer: takes no `username`, missing `token`",
                "self-signed JWT: missing `signature_config`",
                "OAuth2: missing `token_url` or `issuer_url` or `refresh_url`",
            ],
        ),
        (
            "[auth]\npassword = \"b\"",
            &["Basic: missing `username`", "Bearer: takes no `password`"],
        ),
        (
            "[auth]\ntoken = \"t\"\npassword = \"b\"",
            &[
                "Bearer: takes no `password`",
                "Basic: takes no `token`, missing `username`",
            ],
        ),
        (
            "[auth]\nissuer = \"acme\"\nexp_time = 60",
            &[
                "self-signed JWT: missing `signature_config`",
                "Basic: takes no `exp_time`, `issuer`",
                "OAuth2: takes no `exp_time`, `issuer`",
            ],
        ),
        (
            "[auth]\nclientId = \"a\"\nclientSecret = \"b\"",
            &[
                "OAuth2: missing `token_url` or `issuer_url` or `refresh_url`",
                "Basic: takes no `clientId`, `clientSecret`",
            ],
        ),
        (
            "[auth]\nusername = \"a\"\npassword = \"b\"\nflavour = \"x\"",
            &[
                "has the unknown field `flavour`",
                "Basic: takes no `flavour`",
            ],
        ),
    ];
    for (toml, expected) in cases {
        let err = error(toml);
        for part in expected {
            assert!(
                err.contains(part),
                "`{toml}` gave `{err}`, expected `{part}`"
            );
        }
    }
}

#[test]
fn a_table_that_fits_one_shape_reports_that_shapes_errors() {
    let cases = [
        ("[auth]", "is empty"),
        (
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"",
            "needs `client_id` and `client_secret`",
        ),
        (
            "[auth]\ntoken = 5",
            "Bearer config: a secret must be a string",
        ),
        (
            "[auth]\nsignature_config = { algorithm = \"XS256\" }",
            "unknown signing algorithm `XS256`",
        ),
        (
            "tiemout = 5\n[auth]\ntoken = \"t\"",
            "unknown field `tiemout`",
        ),
        (
            "connect_timeout = 0\n[auth]\ntoken = \"t\"",
            "greater than zero",
        ),
        (
            "http_version = \"3\"\n[auth]\ntoken = \"t\"",
            "use \"1.1\" or \"2\"",
        ),
        (
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[auth.client_config.secure_socket]\ncert = 5",
            "a PEM file path, or a truststore table",
        ),
        (
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[auth.client_config.secure_socket]\nkey = { path = \"k.p12\", password = \"p\", key_password = \"q\" }",
            "(no other field)",
        ),
        (
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[auth.client_config.secure_socket]\ncert = { path = \"t.p12\", pasword = \"p\" }",
            "(no other field)",
        ),
        (
            "custom_headers = { X-A = \"1\" }\n[auth]\ntoken = \"t\"",
            "belong in `[auth.client_config]`",
        ),
        (
            "[auth]\nrefresh_url = \"https://i/r\"\nrefresh_token = \"r\"\nusername = \"u\"",
            "`username` does not belong to the refresh-token grant",
        ),
    ];
    for (toml, expected) in cases {
        let err = ClientFileConfig::from_toml_str(toml)
            .and_then(|config| config.auth().map_or(Ok(()), |auth| auth.build().map(drop)))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(expected),
            "`{toml}` gave `{err}`, expected `{expected}`"
        );
    }
}

#[test]
fn config_errors_never_show_secrets() {
    let err = error("[auth]\ntoken = \"t&k m+rker:ü\"\npassword = \"p@ss%w0rd!\"");
    assert!(!err.contains("rker") && !err.contains("w0rd"), "{err}");
    // A secret written as a number or a boolean: the error names the type, never the value.
    for toml in [
        "[auth]\nusername = \"u\"\npassword = 98765431",
        "[auth]\ntoken = 98765431",
        "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"c\"\nclient_secret = 98765431",
        "[auth.signature_config.config]\nkey_file = \"k.pem\"\nkey_password = 98765431",
        "[secure_socket.cert]\npath = \"t.p12\"\npassword = 98765431\n[auth]\ntoken = \"t\"",
        // An HS256 shared secret, which stands alone as `config`.
        "[auth.signature_config]\nalgorithm = \"HS256\"\nconfig = 98765431",
        "[auth.signature_config]\nalgorithm = \"HS256\"\nconfig = 98765431.5",
    ] {
        let err = error(toml);
        assert!(
            err.contains("must be a string") || err.contains("truststore table"),
            "{err}"
        );
        assert!(!err.contains("98765431"), "{err}");
    }
    let config = auth("[auth]\nusername = \"u\"\npassword = \"p@ss%w0rd! ü\"");
    assert!(!format!("{config:?}").contains("w0rd"));
}

#[test]
fn from_path_names_the_file_and_refuses_special_or_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.toml");
    std::fs::write(&path, "[auth]\nflavour = 1").unwrap();
    let err = ClientFileConfig::from_path(&path).unwrap_err().to_string();
    assert!(
        err.contains("client.toml") && err.contains("flavour"),
        "{err}"
    );
    let json = dir.path().join("client.json");
    std::fs::write(&json, r#"{"auth": {"token": "abc"}}"#).unwrap();
    assert!(
        ClientFileConfig::from_path(&json)
            .unwrap()
            .build_client()
            .is_ok()
    );
    let err = ClientFileConfig::from_path(dir.path().join("missing.toml"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.toml") && err.contains("does not exist"),
        "{err}"
    );
    let err = ClientFileConfig::from_path("/dev/zero")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a regular file"), "{err}");
    let huge = dir.path().join("huge.toml");
    std::fs::write(&huge, vec![b'#'; 1024 * 1024 + 1]).unwrap();
    let err = ClientFileConfig::from_path(&huge).unwrap_err().to_string();
    assert!(err.contains("is larger than 1048576 bytes"), "{err}");
}

#[test]
fn a_header_value_of_the_wrong_type_is_refused_without_its_text() {
    // Header values can be API keys: a number where text belongs is not echoed.
    let toml = "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"\nclient_secret = \"b\"\n[auth.client_config]\ncustom_headers = { X-Api-Key = 987654321 }";
    let err = ClientFileConfig::from_toml_str(toml)
        .and_then(|config| config.auth().map_or(Ok(()), |auth| auth.build().map(drop)))
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("987654321"), "{text}");
    assert!(
        text.contains("custom_headers") || text.contains("string"),
        "{text}"
    );
}

#[cfg(feature = "jwt")]
#[test]
fn a_ready_made_jwt_where_its_table_belongs_is_refused_without_its_text() {
    for field in ["client_assertion", "assertion_config"] {
        let toml = format!(
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"\n{field} = \"eyJhbGciOiJSUzI1NiJ9.e30.sig-marker\""
        );
        let err = ClientFileConfig::from_toml_str(&toml)
            .and_then(|config| config.auth().map_or(Ok(()), |auth| auth.build().map(drop)))
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("sig-marker"), "{text}");
        assert!(text.contains("a ready-made assertion goes in"), "{text}");
    }
}
