//! Discovery (RFC 8414, OpenID Connect Discovery): the token endpoint comes from the issuer's
//! metadata, fetched once on first use and checked against the config.

use auth_core::{AuthProvider, ErrorKind};
use auth_oauth2::{ClientAuth, Grant, OAuth2Config};

use crate::script::{Reply, Script, clock, ok, provider};

const ISSUER: &str = "https://idp.example";

fn document(issuer: &str, extra: &str) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"issuer":"{issuer}","token_endpoint":"https://idp.example/oauth/token"{extra}}}"#
        ),
    )
}

fn not_found() -> Reply {
    Reply::Json(404, r#"{"error":"not_found"}"#.to_owned())
}

fn discovered(client_auth: ClientAuth) -> OAuth2Config {
    OAuth2Config::discovered(ISSUER, Grant::ClientCredentials).client_auth(client_auth)
}

fn basic() -> ClientAuth {
    ClientAuth::basic("client-1", "secret-1")
}

#[tokio::test]
async fn the_rfc8414_document_names_the_token_endpoint_once_for_the_providers_life() {
    let script = Script::new([document(ISSUER, ""), ok("t1", 3600), ok("t2", 3600)]);
    let config = discovered(basic());
    assert_eq!(config.issuer_url(), Some(ISSUER));
    let provider = provider(config, &script, &clock());
    let first = provider.token().await.unwrap();
    provider.invalidate(&first);
    assert_eq!(provider.token().await.unwrap().header_value(), "Bearer t2");
    let seen = script.seen();
    assert_eq!(seen.len(), 3, "one discovery, two token requests");
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].uri,
        "https://idp.example/.well-known/oauth-authorization-server"
    );
    for token_request in &seen[1..] {
        assert_eq!(token_request.method, "POST");
        assert_eq!(token_request.uri, "https://idp.example/oauth/token");
    }
}

#[tokio::test]
async fn openid_configuration_is_tried_when_rfc8414_has_none() {
    let issuer = "https://idp.example/realms/r1";
    let script = Script::new([
        not_found(),
        Reply::Json(
            200,
            format!(
                r#"{{"issuer":"{issuer}","token_endpoint":"https://idp.example/realms/r1/token"}}"#
            ),
        ),
        ok("t1", 3600),
    ]);
    let config = OAuth2Config::discovered(issuer, Grant::ClientCredentials).client_auth(basic());
    provider(config, &script, &clock()).token().await.unwrap();
    let seen = script.seen();
    assert_eq!(
        seen[0].uri,
        "https://idp.example/.well-known/oauth-authorization-server/realms/r1"
    );
    assert_eq!(
        seen[1].uri,
        "https://idp.example/realms/r1/.well-known/openid-configuration"
    );
    assert_eq!(seen[2].uri, "https://idp.example/realms/r1/token");
}

#[tokio::test]
async fn a_mismatched_issuer_is_refused_before_any_token_request() {
    for issuer in ["https://evil.example", "https://idp.example/"] {
        let script = Script::new([document(issuer, "")]);
        let error = provider(discovered(basic()), &script, &clock())
            .token()
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("must match exactly"), "{text}");
        assert!(text.contains(issuer), "{text}");
        assert_eq!(error.kind(), ErrorKind::InvalidConfig);
        assert_eq!(
            script.count(),
            1,
            "no token request to a server that is not the issuer"
        );
    }
}

#[tokio::test]
async fn the_metadata_is_checked_against_the_client_authentication_method() {
    let script = Script::new([document(
        ISSUER,
        r#","token_endpoint_auth_methods_supported":["private_key_jwt","tls_client_auth"]"#,
    )]);
    let error = provider(discovered(basic()), &script, &clock())
        .token()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("client_secret_basic"), "{error}");
    assert!(
        error.contains("private_key_jwt, tls_client_auth"),
        "{error}"
    );
}

#[tokio::test]
async fn certificate_clients_use_the_mtls_alias() {
    let script = Script::new([
        document(
            ISSUER,
            r#","mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example/token"}"#,
        ),
        ok("t1", 3600),
    ]);
    provider(
        discovered(ClientAuth::tls_client_auth("c")),
        &script,
        &clock(),
    )
    .token()
    .await
    .unwrap();
    assert_eq!(script.last().uri, "https://mtls.idp.example/token");
    // A secret client keeps the plain endpoint.
    let script = Script::new([
        document(
            ISSUER,
            r#","mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example/token"}"#,
        ),
        ok("t1", 3600),
    ]);
    provider(discovered(basic()), &script, &clock())
        .token()
        .await
        .unwrap();
    assert_eq!(script.last().uri, "https://idp.example/oauth/token");
}

#[tokio::test]
async fn a_plain_http_token_endpoint_from_the_document_is_refused() {
    let script = Script::new([Reply::Json(
        200,
        format!(r#"{{"issuer":"{ISSUER}","token_endpoint":"http://idp.example/token"}}"#),
    )]);
    let error = provider(discovered(basic()), &script, &clock())
        .token()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("plain http://"), "{error}");
}

#[tokio::test]
async fn a_failed_discovery_is_not_repeated_within_its_back_off() {
    let script = Script::new([Reply::Fail(auth_oauth2::TransportErrorKind::Connect)]);
    let provider = provider(discovered(basic()), &script, &clock());
    let first = provider.token().await.unwrap_err();
    assert!(first.is_retryable(), "{first}");
    assert!(
        first
            .to_string()
            .contains("discovering the token endpoint failed"),
        "{first}"
    );
    let second = provider.token().await.unwrap_err();
    assert_eq!(
        script.count(),
        1,
        "the back-off holds the second call: {second}"
    );
    // After the back-off (one second), discovery runs again and succeeds.
    script.always(document(ISSUER, ""));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The same reply answers the token request too, which then has no token in it.
    let third = provider.token().await.unwrap_err().to_string();
    assert_eq!(
        script.count(),
        3,
        "discovery again, then a token request: {third}"
    );
    assert!(third.contains("access_token"), "{third}");
}

#[tokio::test]
async fn no_document_at_either_url_says_which_were_tried() {
    let script = Script::new([not_found(), not_found()]);
    let error = provider(discovered(basic()), &script, &clock())
        .token()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("oauth-authorization-server"), "{error}");
    assert!(error.contains("openid-configuration"), "{error}");
    assert!(error.contains("issuer_url"), "{error}");
}

#[test]
fn an_issuer_with_a_query_is_refused_when_built() {
    let config =
        OAuth2Config::discovered("https://idp.example/?tenant=1", Grant::ClientCredentials)
            .client_auth(basic());
    let error = auth_oauth2::OAuth2Provider::new(config, Script::new([])).unwrap_err();
    assert!(error.message().contains("issuer_url"), "{error}");
}

#[cfg(feature = "jwt")]
#[tokio::test]
async fn a_client_assertion_names_the_issuer_exactly_as_configured() {
    use base64::Engine as _;
    let script = Script::new([document(ISSUER, ""), ok("t1", 3600)]);
    let auth = ClientAuth::client_secret_jwt(
        "client-1",
        "a shared secret of at least thirty-two bytes",
        auth_jwt_issuer::Algorithm::Hs256,
    );
    provider(discovered(auth), &script, &clock())
        .token()
        .await
        .unwrap();
    let assertion = script.last().param("client_assertion").unwrap().to_owned();
    let payload = assertion.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], ISSUER, "not `https://idp.example/`");
}

#[tokio::test]
async fn clients_that_want_certificate_bound_tokens_use_the_mtls_alias() {
    let script = Script::new([
        document(
            ISSUER,
            r#","mtls_endpoint_aliases":{"token_endpoint":"https://mtls.idp.example/token"}"#,
        ),
        ok("t1", 3600),
    ]);
    let config = discovered(basic()).certificate_bound(true);
    provider(config, &script, &clock()).token().await.unwrap();
    assert_eq!(script.last().uri, "https://mtls.idp.example/token");
}
