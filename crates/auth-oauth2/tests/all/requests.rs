//! The exact request each grant and client-authentication method sends.

use auth_core::AuthProvider;
use auth_oauth2::{Assertion, ClientAuth, OAuth2Config, PasswordGrant, RefreshConfig};
use base64::Engine as _;

use crate::script::{Script, TOKEN_URL, cc, clock, ok, ok_with_refresh, provider};

/// The reference's own awkward password.
const PASSWORD: &str = "Ef2%I1^@Nd8>WTtcn+3=QL?M!{gG198h=lH4<ukg";
const SECRET: &str = "se+cr/et=with&a space";

fn basic(seen: &crate::script::Seen) -> (String, String) {
    let value = seen.header("authorization").expect("Authorization header");
    let encoded = value.strip_prefix("Basic ").expect("Basic scheme");
    let decoded = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap();
    let (id, secret) = decoded.split_once(':').unwrap();
    (id.to_owned(), secret.to_owned())
}

fn form_decode(text: &str) -> String {
    form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn client_credentials_with_basic_auth() {
    let script = Script::new([ok("tok", 3600)]);
    let config =
        OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::basic("my client", SECRET))
            .scopes(["read", "write:all"])
            .optional_param("audience", "https://api.example/ x&y")
            .custom_header("X-Tenant", "t1");
    let token = provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(token.header_value(), "Bearer tok");

    let seen = script.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.uri, TOKEN_URL);
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen.header("accept"), Some("application/json"));
    assert_eq!(seen.header("x-tenant"), Some("t1"));
    assert_eq!(
        seen.form,
        vec![
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("scope".to_owned(), "read write:all".to_owned()),
            ("audience".to_owned(), "https://api.example/ x&y".to_owned()),
        ]
    );
    // RFC 6749 §2.3.1: id and secret are form-encoded, then base64.
    let (id, secret) = basic(&seen);
    assert_eq!(form_decode(&id), "my client");
    assert_eq!(form_decode(&secret), SECRET);
    assert_eq!(secret, "se%2Bcr%2Fet%3Dwith%26a+space");
}

#[tokio::test]
async fn basic_auth_raw_encoding_for_servers_that_want_it() {
    let script = Script::new([ok("tok", 3600)]);
    let config = OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::basic_raw("id", SECRET));
    provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(basic(&script.last()), ("id".to_owned(), SECRET.to_owned()));
}

#[tokio::test]
async fn client_secret_post_puts_credentials_in_the_body() {
    let script = Script::new([ok("tok", 3600)]);
    let config = OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::post("id", SECRET))
        .custom_payload("resource=api%3A1&x=y");
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert!(seen.header("authorization").is_none());
    assert_eq!(seen.param("client_id"), Some("id"));
    assert_eq!(seen.param("client_secret"), Some(SECRET));
    assert_eq!(seen.param("resource"), Some("api:1"));
    assert!(
        seen.body.ends_with("&resource=api%3A1&x=y"),
        "{}",
        seen.body
    );
}

#[tokio::test]
async fn password_grant_encodes_every_parameter() {
    let script = Script::new([ok("tok", 3600)]);
    let config = OAuth2Config::password(TOKEN_URL, "us er@example.com", PASSWORD)
        .client_auth(ClientAuth::basic("id", SECRET))
        .scopes(["openid"]);
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert_eq!(seen.param("grant_type"), Some("password"));
    assert_eq!(seen.param("username"), Some("us er@example.com"));
    assert_eq!(seen.param("password"), Some(PASSWORD));
    assert_eq!(seen.param("scope"), Some("openid"));
    assert_eq!(form_decode(&basic(&seen).1), SECRET);
}

#[tokio::test]
async fn public_clients_send_no_secret() {
    let script = Script::new([ok("a", 3600), ok("b", 3600)]);
    let config = OAuth2Config::password(TOKEN_URL, "alice", "pw");
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert!(seen.header("authorization").is_none());
    assert!(seen.param("client_id").is_none() && seen.param("client_secret").is_none());

    let config = OAuth2Config::password(TOKEN_URL, "alice", "pw")
        .client_auth(ClientAuth::public("public-app"));
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert_eq!(seen.param("client_id"), Some("public-app"));
    assert!(seen.header("authorization").is_none() && seen.param("client_secret").is_none());
}

#[tokio::test]
async fn refresh_token_grant_request() {
    let refresh = "rt/with+special=chars&more";
    let script = Script::new([ok_with_refresh("tok", 3600, "rt-2")]);
    let config = OAuth2Config::refresh_token("https://idp.example/refresh", refresh)
        .client_auth(ClientAuth::basic("id", "secret"))
        .scopes(["a"]);
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert_eq!(seen.uri, "https://idp.example/refresh");
    assert_eq!(seen.param("grant_type"), Some("refresh_token"));
    assert_eq!(seen.param("refresh_token"), Some(refresh));
    assert_eq!(seen.param("scope"), Some("a"));
}

#[tokio::test]
async fn jwt_bearer_grant_request() {
    let script = Script::new([ok("tok", 3600)]);
    let config = OAuth2Config::jwt_bearer(TOKEN_URL, Assertion::fixed("eyJ.a.b"));
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    assert_eq!(
        seen.param("grant_type"),
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    );
    assert_eq!(seen.param("assertion"), Some("eyJ.a.b"));
}

#[tokio::test]
async fn a_custom_authorization_header_replaces_the_client_credential() {
    let script = Script::new([ok("tok", 3600)]);
    let config = cc().custom_header("Authorization", "Custom abc");
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.last();
    let values: Vec<_> = seen.headers.get_all("authorization").iter().collect();
    assert_eq!(values, ["Custom abc"], "exactly one Authorization header");
}

#[tokio::test]
async fn explicit_refresh_config_is_used_for_password_refresh() {
    let clock = clock();
    let script = Script::new([
        ok_with_refresh("t1", 60, "rt-1"),
        ok_with_refresh("t2", 60, "rt-2"),
    ]);
    let refresh = RefreshConfig::new("https://idp.example/refresh")
        .scopes(["offline"])
        .client_auth(ClientAuth::post("id", "secret"));
    let config = OAuth2Config::new(
        TOKEN_URL,
        PasswordGrant::new("alice", "pw").refresh(refresh),
    )
    .client_auth(ClientAuth::basic("id", "secret"));
    let provider = provider(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t2");
    let seen = script.last();
    assert_eq!(seen.uri, "https://idp.example/refresh");
    assert_eq!(seen.param("grant_type"), Some("refresh_token"));
    assert_eq!(seen.param("refresh_token"), Some("rt-1"));
    assert_eq!(seen.param("scope"), Some("offline"));
    assert_eq!(seen.param("client_secret"), Some("secret"));
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn private_key_jwt_client_assertion() {
    use auth_jwt_issuer::{Algorithm, SigningKey};

    let key = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys/rsa.pem");
    let signer = SigningKey::from_file(Algorithm::Rs256, &key, None).unwrap();
    let script = Script::new([ok("a", 3600), ok("b", 3600)]);
    let config = OAuth2Config::client_credentials(
        TOKEN_URL,
        ClientAuth::private_key_jwt("client-7", signer),
    );
    let provider = provider(config, &script, &clock());
    provider.token().await.unwrap();

    let seen = script.last();
    assert_eq!(seen.param("client_id"), Some("client-7"));
    assert!(seen.param("client_secret").is_none() && seen.header("authorization").is_none());
    assert_eq!(
        seen.param("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let jwt = seen.param("client_assertion").unwrap().to_owned();
    let public = std::fs::read(key.with_file_name("rsa.pub.pem")).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[TOKEN_URL]);
    validation.set_issuer(&["client-7"]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &jwt,
        &jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["sub"], "client-7");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        60
    );
    let first_jti = claims["jti"].clone();

    // A fresh assertion (new jti) for the next token request.
    provider.invalidate(&provider.token().await.unwrap());
    provider.token().await.unwrap();
    let second = script.last().param("client_assertion").unwrap().to_owned();
    assert_ne!(second, jwt);
    let second_claims = jsonwebtoken::decode::<serde_json::Value>(
        &second,
        &jsonwebtoken::DecodingKey::from_rsa_pem(&public).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    assert_ne!(
        second_claims["jti"], first_jti,
        "a fresh jti per token request"
    );
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn jwt_bearer_with_an_issuer_config_signs_a_fresh_assertion_per_request() {
    use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};

    let issuer = JwtIssuer::builder()
        .issuer("svc")
        .audience(TOKEN_URL)
        .signer(SigningKey::hmac(Algorithm::Hs256, "an assertion secret of 32+ bytes!").unwrap())
        .build()
        .unwrap();
    let clock = clock();
    let script = Script::new([ok("a", 60), ok("b", 60)]);
    let config = OAuth2Config::jwt_bearer(TOKEN_URL, Assertion::issued(issuer));
    let provider = provider(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(std::time::Duration::from_secs(61));
    provider.token().await.unwrap();
    let assertions: Vec<_> = script
        .seen()
        .iter()
        .map(|s| s.param("assertion").unwrap().to_owned())
        .collect();
    assert_ne!(assertions[0], assertions[1], "a fresh assertion each time");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&[TOKEN_URL]);
    for jwt in &assertions {
        jsonwebtoken::decode::<serde_json::Value>(
            jwt,
            &jsonwebtoken::DecodingKey::from_secret(b"an assertion secret of 32+ bytes!"),
            &validation,
        )
        .unwrap();
    }
}

#[tokio::test]
async fn certificate_client_auth_sends_the_client_id_and_no_secret() {
    for (auth, method) in [
        (
            ClientAuth::tls_client_auth("mtls-client"),
            "tls_client_auth",
        ),
        (
            ClientAuth::self_signed_tls_client_auth("mtls-client"),
            "self_signed_tls_client_auth",
        ),
    ] {
        assert_eq!(auth.method(), method);
        assert!(auth.uses_client_certificate());
        assert!(format!("{auth:?}").contains(method));
        let script = Script::new([ok("tok", 3600)]);
        let config = OAuth2Config::client_credentials(TOKEN_URL, auth).scopes(["api"]);
        let token = provider(config, &script, &clock()).token().await.unwrap();
        assert_eq!(token.header_value(), "Bearer tok");
        let seen = script.last();
        assert_eq!(seen.param("grant_type"), Some("client_credentials"));
        assert_eq!(seen.param("client_id"), Some("mtls-client"));
        assert_eq!(seen.param("scope"), Some("api"));
        assert!(seen.param("client_secret").is_none());
        assert!(seen.header("authorization").is_none());
    }
    assert!(!ClientAuth::basic("a", "b").uses_client_certificate());
    let error = OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::tls_client_auth(""));
    assert!(auth_oauth2::OAuth2Provider::new(error, Script::new([])).is_err());
}
