//! The declarative config: snake_case and Ballerina's camelCase, TOML and JSON, clear errors.

use auth_core::SecretString;
use auth_jwt_issuer::{Algorithm, Audience, IssuerConfig, JwtIssuer, KeyConfig};

use crate::helpers::{decode, key};

#[test]
fn toml_in_snake_case_builds_a_working_issuer() {
    let toml = format!(
        r#"
        username = "svc"
        issuer = "acme"
        audience = ["a", "b"]
        jwt_id = "fixed"
        key_id = "kid-1"
        exp_time = 60
        custom_claims = {{ scp = "admin", level = 3 }}
        [signature_config]
        algorithm = "RS256"
        [signature_config.config]
        key_store = {{ path = "{}", password = "storepass" }}
        key_alias = "signer"
        key_password = "storepass"
        "#,
        key("rsa-openssl3.p12").display()
    );
    let config: IssuerConfig = toml::from_str(&toml).unwrap();
    assert_eq!(
        config.audience,
        Some(Audience::Many(vec!["a".into(), "b".into()]))
    );
    let issuer = JwtIssuer::new(&config).unwrap();
    let (header, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(header["kid"], "kid-1");
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["scp"], "admin");
    assert_eq!(claims["level"], 3);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
    // Debug of the config shows no password.
    assert!(!format!("{config:?}").contains("storepass"));
}

#[test]
fn ballerina_camel_case_json_is_accepted() {
    let json = format!(
        r#"{{
            "username": "admin", "issuer": "wso2", "audience": "ballerina",
            "jwtId": "100078234ba23", "keyId": "5a0b754", "expTime": 600.4,
            "customClaims": {{ "scp": "read write update" }},
            "signatureConfig": {{
                "algorithm": "RS512",
                "config": {{ "keyFile": "{}", "keyPassword": "keypass" }}
            }}
        }}"#,
        key("rsa-pbes2-aes256.pem").display()
    );
    let config: IssuerConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(config.exp_time, 600, "a decimal is rounded");
    let issuer = JwtIssuer::new(&config).unwrap();
    assert_eq!(issuer.algorithm(), Algorithm::Rs512);
    let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(claims["aud"], "ballerina");
    assert_eq!(claims["jti"], "100078234ba23");
}

#[test]
fn hmac_secret_as_a_string_config() {
    let config: IssuerConfig = toml::from_str(
        r#"
        [signature_config]
        algorithm = "hs256"
        config = "a shared secret of at least 32 bytes!"
        "#,
    )
    .unwrap();
    let Some(KeyConfig::Secret(secret)) = config
        .signature_config
        .as_ref()
        .and_then(|s| s.config.clone())
    else {
        panic!("a string config is a shared secret");
    };
    assert!(secret.ct_eq(&SecretString::from("a shared secret of at least 32 bytes!")));
    assert!(!format!("{config:?}").contains("shared secret of"));
    JwtIssuer::new(&config).unwrap().issue().unwrap();
}

#[test]
fn bad_configs_say_what_is_wrong() {
    let cases = [
        ("usrname = \"x\"", "unknown field `usrname`"),
        (
            "exp_time = 0",
            "`exp_time` must be a positive number of seconds",
        ),
        (
            "exp_time = -5",
            "`exp_time` must be a positive number of seconds",
        ),
        (
            "[signature_config]\nalgorithm = \"RS257\"",
            "unknown signing algorithm `RS257`",
        ),
        (
            "[signature_config.config]\nkey_alias = \"a\"",
            "needs `key_store` (with `key_alias`) or `key_file`",
        ),
        (
            "[signature_config.config]\nkey_store = { path = \"k.p12\", password = \"p\" }",
            "`key_store` needs `key_alias`",
        ),
        (
            "[signature_config.config]\nkey_file = \"k.pem\"\nkey_alias = \"a\"",
            "`key_alias` belongs with `key_store`",
        ),
        (
            "[signature_config.config]\nkey_file = \"k.pem\"\nkeyfile = 1",
            "unknown field `keyfile`",
        ),
    ];
    for (toml, expected) in cases {
        let err = toml::from_str::<IssuerConfig>(toml)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(expected),
            "`{toml}` gave `{err}`, expected `{expected}`"
        );
    }
    let err = toml::from_str::<IssuerConfig>(
        "[signature_config.config]\nkey_store = { path = \"k.p12\", password = \"hunter2-marker\" }",
    )
    .unwrap_err()
    .to_string();
    assert!(!err.contains("hunter2-marker"), "{err}");
}
