//! The header and claims: exact lifetime, audience forms, kid, custom claims, none, jti.

use std::sync::Arc;
use std::time::Duration;

use auth_core::ErrorKind;
use auth_core::clock::ManualClock;
use auth_jwt_issuer::{Algorithm, JwtIssuer, MAX_EXP_TIME, SigningKey};
use serde_json::json;

use crate::helpers::{at, decode, key};

const SECRET: &str = "a shared secret of at least 32 bytes!";

fn hs256() -> auth_jwt_issuer::IssuerBuilder {
    JwtIssuer::builder().signer(SigningKey::hmac(Algorithm::Hs256, SECRET).unwrap())
}

#[test]
fn lifetime_is_exact_with_the_test_clock() {
    let clock = ManualClock::new(at(1_700_000_000));
    let issuer = hs256()
        .exp_time(Duration::from_secs(120))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(claims["iat"], 1_700_000_000);
    assert_eq!(claims["nbf"], 1_700_000_000);
    assert_eq!(claims["exp"], 1_700_000_120);
    clock.advance(Duration::from_millis(1_500));
    let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(claims["iat"], 1_700_000_001, "whole seconds, rounded down");

    let default = hs256().clock(Arc::new(clock)).build().unwrap();
    let (_, claims, _) = decode(default.issue().unwrap().expose_secret());
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        300
    );
}

#[tokio::test]
async fn lifetimes_outside_one_second_to_one_year_are_refused_at_build_time() {
    for bad in [
        Duration::ZERO,
        Duration::from_millis(999),
        MAX_EXP_TIME + Duration::from_secs(1),
        Duration::MAX,
    ] {
        let err = hs256().exp_time(bad).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(
            err.message().contains("between 1 second and one year"),
            "{err}"
        );
    }
    // A year is fine, and a token issued with it carries exp = iat + a year.
    let issuer = hs256()
        .exp_time(MAX_EXP_TIME)
        .clock(Arc::new(ManualClock::new(at(1_700_000_000))))
        .build()
        .unwrap();
    let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(claims["exp"], 1_700_000_000 + MAX_EXP_TIME.as_secs());
    // The provider's renewal time meets the expiry with checked arithmetic, whatever the leeway.
    let provider = auth_jwt_issuer::JwtProvider::new(issuer).with_leeway(Duration::MAX);
    let token = auth_core::AuthProvider::token(&provider).await.unwrap();
    assert_eq!(
        token.expires_at(),
        Some(at(1_700_000_000) + MAX_EXP_TIME),
        "the token expires a year after it was issued"
    );
    // The leeway, clamped to half the lifetime, leaves a renewal point: the token is reused.
    assert!(
        auth_core::AuthProvider::token_now(&provider).is_some_and(|t| t.same_credential(&token)),
        "the cached token is served until its renewal point"
    );
}

#[test]
fn registered_claims_in_order_and_audience_forms() {
    let issuer = hs256()
        .issuer("wso2")
        .username("admin")
        .audience("ballerina")
        .jwt_id("100078234ba23")
        .clock(Arc::new(ManualClock::new(at(1_629_703_251))))
        .build()
        .unwrap();
    let jwt = issuer.issue().unwrap();
    let payload = jwt.expose_secret().split('.').nth(1).unwrap().to_owned();
    let json = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload).unwrap(),
    )
    .unwrap();
    assert_eq!(
        json,
        r#"{"iss":"wso2","sub":"admin","aud":"ballerina","exp":1629703551,"nbf":1629703251,"iat":1629703251,"jti":"100078234ba23"}"#
    );

    let (_, claims, _) = decode(
        hs256()
            .audience(["ballerina"])
            .build()
            .unwrap()
            .issue()
            .unwrap()
            .expose_secret(),
    );
    assert_eq!(
        claims["aud"],
        json!(["ballerina"]),
        "a one-element list stays a list"
    );
    let (_, claims, _) = decode(
        hs256()
            .audience(["a", "b"])
            .build()
            .unwrap()
            .issue()
            .unwrap()
            .expose_secret(),
    );
    assert_eq!(claims["aud"], json!(["a", "b"]));
    let (_, claims, _) = decode(hs256().build().unwrap().issue().unwrap().expose_secret());
    assert!(
        claims.get("aud").is_none() && claims.get("iss").is_none() && claims.get("sub").is_none()
    );
}

#[test]
fn header_with_and_without_kid() {
    let issuer = JwtIssuer::builder()
        .signer(SigningKey::from_file(Algorithm::Rs256, key("rsa.pem"), None).unwrap())
        .build()
        .unwrap();
    let jwt = issuer.issue().unwrap();
    assert!(
        jwt.expose_secret()
            .starts_with("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.")
    );
    let (header, _, _) = decode(
        JwtIssuer::builder()
            .signer(SigningKey::from_file(Algorithm::Rs256, key("rsa.pem"), None).unwrap())
            .key_id("5a0b754-895f-4279-8843-b745e11a57e9")
            .build()
            .unwrap()
            .issue()
            .unwrap()
            .expose_secret(),
    );
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "JWT", "kid": "5a0b754-895f-4279-8843-b745e11a57e9"})
    );
}

#[test]
fn custom_claims_of_every_json_type() {
    let issuer = hs256()
        .custom_claim("scp", "read write update")
        .custom_claim("int", 42)
        .custom_claim("float", 1.5)
        .custom_claim("bool", true)
        .custom_claim("null", serde_json::Value::Null)
        .custom_claim("list", json!([1, "two", {"three": 3}]))
        .custom_claim("object", json!({"nested": {"deep": [true]}}))
        .build()
        .unwrap();
    let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
    assert_eq!(claims["scp"], "read write update");
    assert_eq!(claims["int"], 42);
    assert_eq!(claims["float"], 1.5);
    assert_eq!(claims["bool"], true);
    assert!(claims["null"].is_null() && claims.get("null").is_some());
    assert_eq!(claims["list"], json!([1, "two", {"three": 3}]));
    assert_eq!(claims["object"]["nested"]["deep"][0], true);
}

#[test]
fn a_custom_claim_may_not_override_a_registered_one() {
    for (claim, field) in [
        ("exp", "`exp_time`"),
        ("aud", "`audience`"),
        ("iss", "`issuer`"),
        ("sub", "`username`"),
        ("jti", "`jwt_id`"),
        ("iat", "`exp_time`"),
        ("nbf", "`exp_time`"),
    ] {
        let err = hs256().custom_claim(claim, 1).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(
            err.message()
                .contains(&format!("custom claim `{claim}` collides")),
            "{err}"
        );
        assert!(err.message().contains(field), "{err}");
    }
}

#[test]
fn none_only_when_asked_and_in_rfc7519_form() {
    let issuer = JwtIssuer::builder()
        .signer(SigningKey::unsigned())
        .issuer("joe")
        .build()
        .unwrap();
    let jwt = issuer.issue().unwrap();
    let jwt = jwt.expose_secret();
    assert!(
        jwt.starts_with("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."),
        "{jwt}"
    );
    assert!(
        jwt.ends_with('.'),
        "RFC 7519 §6.1: an empty signature after the second dot"
    );
    let (header, claims, signature) = decode(jwt);
    assert_eq!(header["alg"], "none");
    assert_eq!(claims["iss"], "joe");
    assert!(signature.is_empty());

    let err = JwtIssuer::builder().issuer("joe").build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.message().contains("SigningKey::unsigned()"), "{err}");

    let err = SigningKey::from_file(Algorithm::None, key("rsa.pem"), None).unwrap_err();
    assert!(err.message().contains("`none` signs nothing"), "{err}");
}

#[test]
fn a_fresh_jti_per_token_unless_configured() {
    let issuer = hs256().build().unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let (_, claims, _) = decode(issuer.issue().unwrap().expose_secret());
        let jti = claims["jti"].as_str().unwrap().to_owned();
        assert_eq!(jti.len(), 22, "128 random bits, base64url");
        assert!(seen.insert(jti), "jti repeated");
    }
    let fixed = hs256().jwt_id("fixed").build().unwrap();
    for _ in 0..3 {
        let (_, claims, _) = decode(fixed.issue().unwrap().expose_secret());
        assert_eq!(claims["jti"], "fixed");
    }
}

#[test]
fn short_hmac_secrets_are_refused() {
    let err = SigningKey::hmac(Algorithm::Hs256, "s3cr3t").unwrap_err();
    assert!(err.message().contains("at least 32 bytes"), "{err}");
    assert!(!err.to_string().contains("s3cr3t"));
    let err = SigningKey::hmac(Algorithm::Hs512, SECRET).unwrap_err();
    assert!(err.message().contains("at least 64 bytes"), "{err}");
}

#[test]
fn hmac_takes_only_the_hmac_algorithms() {
    for algorithm in [Algorithm::Rs256, Algorithm::Es256, Algorithm::EdDsa] {
        let err = SigningKey::hmac(algorithm, SECRET).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{algorithm}");
        assert!(
            err.message().contains(&format!(
                "{algorithm} signs with a private key, not a shared secret"
            )),
            "{err}"
        );
        assert!(!err.to_string().contains(SECRET), "{err}");
    }
    let err = SigningKey::hmac(Algorithm::None, SECRET).unwrap_err();
    assert!(
        err.message().contains("algorithm `none` signs nothing"),
        "{err}"
    );
}

#[test]
fn control_characters_in_claim_strings_are_refused() {
    for builder in [
        hs256().issuer("acme\r\nX: y"),
        hs256().username("svc\0"),
        hs256().audience(["ok", "bad\n"]),
        hs256().key_id("kid\t1"),
        hs256().jwt_id("id\u{7f}"),
    ] {
        let err = builder.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.message().contains("control character"), "{err}");
    }
}
