//! The declarative config: every shape, the aliases, the seed guide's examples, the errors.

use auth_core::AuthProvider;
use auth_http::{AuthConfig, ClientFileConfig};

fn keys(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys")
        .join(name)
        .display()
        .to_string()
}

fn auth(toml: &str) -> AuthConfig {
    ClientFileConfig::from_toml_str(toml)
        .unwrap_or_else(|e| panic!("{toml}\n{e}"))
        .auth
        .unwrap()
}

fn error(toml: &str) -> String {
    ClientFileConfig::from_toml_str(toml)
        .unwrap_err()
        .to_string()
}

fn kind(config: &AuthConfig) -> &'static str {
    match config {
        AuthConfig::Basic { .. } => "basic",
        AuthConfig::Bearer { .. } => "bearer",
        #[cfg(feature = "jwt")]
        AuthConfig::Jwt(_) => "jwt",
        #[cfg(feature = "oauth2")]
        AuthConfig::OAuth2 { config, .. } => config.grant_name(),
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

/// The seed guide's client examples, written as TOML (key and certificate paths point at the
/// project's own test files).
#[test]
fn every_seed_guide_example_parses_to_the_right_provider() {
    let examples = [
        (
            "[auth]\nusername = \"alice\"\npassword = \"123\"\n[secure_socket]\ndisable = true",
            "basic",
        ),
        ("[auth]\ntoken = \"JlbmMiOiJBMTI4Q0JDLUhTMjU2In\"", "bearer"),
        (
            &*format!(
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
            ),
            "jwt",
        ),
        (
            r#"[auth]
            tokenUrl = "https://localhost:9445/oauth2/token"
            clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
            clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
            scopes = ["admin"]
            [auth.clientConfig.secureSocket]
            disable = true"#,
            "client_credentials",
        ),
        (
            r#"[auth]
            tokenUrl = "https://localhost:9445/oauth2/token"
            username = "admin"
            password = "123"
            clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
            clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
            scopes = ["admin"]
            [auth.refreshConfig]
            refreshUrl = "https://localhost:9445/oauth2/token"
            scopes = ["admin"]
            [auth.refreshConfig.clientConfig.secureSocket]
            disable = true
            [auth.clientConfig.secureSocket]
            disable = true"#,
            "password",
        ),
        (
            r#"[auth]
            refreshUrl = "https://localhost:9445/oauth2/token"
            refreshToken = "24f19603-8565-4b5f-a036-88a945e1f272"
            clientId = "FlfJYKBD2c925h4lkycqNZlC2l4a"
            clientSecret = "PJz0UhTJMrHOo68QQNpvnqAY_3Aa"
            scopes = ["admin"]"#,
            "refresh_token",
        ),
        (
            "[auth]\ntoken_url = \"https://localhost:9445/oauth2/token\"\nassertion = \"eyJ.e30.sig\"",
            "jwt-bearer",
        ),
    ];
    for (toml, expected) in examples {
        let config = auth(toml);
        assert_eq!(kind(&config), expected, "{toml}");
        // Every one builds a provider without touching the network.
        config.build().unwrap_or_else(|e| panic!("{toml}\n{e}"));
    }
}

#[tokio::test]
async fn the_same_config_as_json_works() {
    let config = ClientFileConfig::from_json_str(
        r#"{"connectTimeout": 3, "auth": {"username": "tom", "password": "123"}}"#,
    )
    .unwrap();
    let provider = config.auth.as_ref().unwrap().build().unwrap();
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "dG9tOjEyMw=="
    );
    assert_eq!(config.connect_timeout, std::time::Duration::from_secs(3));
    assert!(ClientFileConfig::from_str_guess("[auth]\ntoken = \"x\"").is_ok());
}

#[test]
fn shape_errors_name_the_field_and_the_shapes() {
    let cases = [
        (
            "[auth]\nusername = \"a\"\npassword = \"b\"\nflavour = \"x\"",
            "unknown field `flavour`",
        ),
        (
            "[auth]\nusername = \"a\"\npassword = \"b\"\nflavour = \"x\"",
            "Basic does not take `flavour`",
        ),
        (
            "[auth]\ntoken = \"t\"\npassword = \"b\"",
            "fits no auth shape",
        ),
        (
            "[auth]\ntoken = \"t\"\npassword = \"b\"",
            "Bearer does not take `password`",
        ),
        ("[auth]\npassword = \"b\"", "Basic needs `username`"),
        ("[auth]", "is empty"),
        (
            "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"a\"",
            "needs `client_id` and `client_secret`",
        ),
        (
            "[auth]\nsignature_config = { algorithm = \"XS256\" }",
            "unknown signing algorithm `XS256`",
        ),
        ("[auth]\ntoken = 5", "Bearer config"),
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
            "secure_socket",
        ),
    ];
    for (toml, expected) in cases {
        let err = error(toml);
        assert!(
            err.contains(expected),
            "`{toml}` gave `{err}`, expected `{expected}`"
        );
    }
}

#[test]
fn config_errors_never_show_secrets() {
    let err = error("[auth]\ntoken = \"tok-marker\"\npassword = \"pw-marker\"");
    assert!(!err.contains("marker"), "{err}");
    // A secret written as a number or a boolean: the error names the type, never the value.
    for toml in [
        "[auth]\nusername = \"u\"\npassword = 98765431",
        "[auth]\ntoken = 98765431",
        "[auth]\ntoken_url = \"https://i/t\"\nclient_id = \"c\"\nclient_secret = 98765431",
        "[auth.signature_config.config]\nkey_file = \"k.pem\"\nkey_password = 98765431",
        "[secure_socket.cert]\npath = \"t.p12\"\npassword = 98765431\n[auth]\ntoken = \"t\"",
    ] {
        let err = error(toml);
        assert!(
            err.contains("must be a string") || err.contains("truststore table"),
            "{err}"
        );
        assert!(!err.contains("98765431"), "{err}");
    }
    let config = auth("[auth]\nusername = \"u\"\npassword = \"pw-marker\"");
    assert!(!format!("{config:?}").contains("marker"));
}

#[test]
fn from_path_names_the_file() {
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
        err.contains("missing.toml") && err.contains("cannot be read"),
        "{err}"
    );
}
