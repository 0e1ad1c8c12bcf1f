//! Against a token server nobody here wrote: oauth2-mock-server (npm), started by .ci/run on
//! 127.0.0.1 and found through AUTH_OAUTH2_MOCK_URL. The three grants through auth-http's
//! transport, renewal of its 2-second tokens, and its JWT access tokens verified against its
//! JWKS.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::sync::Arc;
use std::time::Duration;

use auth::http::{AuthClient, ClientSettings, ReqwestTransport};
use auth::oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use auth_core::AuthProvider;

fn server(test: &str) -> Option<String> {
    match std::env::var("AUTH_OAUTH2_MOCK_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            eprintln!(
                "SKIPPED {test}: AUTH_OAUTH2_MOCK_URL is not set; .ci/run starts oauth2-mock-server \
                 (tests/oauth2-mock-server) on 127.0.0.1 and sets it"
            );
            None
        }
    }
}

fn provider(config: OAuth2Config) -> OAuth2Provider {
    let transport = ReqwestTransport::new(&ClientSettings::default()).unwrap();
    OAuth2Provider::new(config, Arc::new(transport)).unwrap()
}

/// Verifies an access token with the server's published keys.
async fn verify(base: &str, token: &str) -> serde_json::Value {
    let body = reqwest::get(format!("{base}/jwks"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_slice(&body).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the signing key is published");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[base]);
    validation.validate_aud = false;
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn three_grants_against_oauth2_mock_server() {
    let Some(base) = server("three_grants_against_oauth2_mock_server") else {
        return;
    };
    let token_url = format!("{base}/token");

    let cc = provider(
        OAuth2Config::client_credentials(&token_url, ClientAuth::basic("client-a", "secret-a"))
            .scopes(["read"]),
    );
    let post = provider(OAuth2Config::client_credentials(
        &token_url,
        ClientAuth::post("client-b", "secret-b"),
    ));
    let password = provider(
        OAuth2Config::password(&token_url, "alice", "wonderland")
            .client_auth(ClientAuth::public("app")),
    );
    let refresh = provider(
        OAuth2Config::refresh_token(&token_url, "any-refresh-token")
            .client_auth(ClientAuth::basic("client-a", "secret-a")),
    );

    for provider in [&cc, &post, &password, &refresh] {
        let token = provider.token().await.unwrap();
        let claims = verify(&base, token.expose_credential()).await;
        assert_eq!(claims["iss"], base.as_str(), "{provider:?}");
    }
    let claims = verify(&base, password.token().await.unwrap().expose_credential()).await;
    assert_eq!(
        claims["sub"], "alice",
        "the password grant's token names the user"
    );

    // Its tokens say `expires_in: 2`: after that, each provider renews (the password grant with
    // the refresh token the server gave it).
    let before: Vec<String> = {
        let mut v = Vec::new();
        for provider in [&cc, &password, &refresh] {
            v.push(
                provider
                    .token()
                    .await
                    .unwrap()
                    .expose_credential()
                    .to_owned(),
            );
        }
        v
    };
    tokio::time::sleep(Duration::from_millis(2200)).await;
    for (provider, old) in [&cc, &password, &refresh].into_iter().zip(before) {
        let new = provider.token().await.unwrap();
        assert_ne!(new.expose_credential(), old, "{provider:?} renewed");
        verify(&base, new.expose_credential()).await;
    }

    // Through the authenticated client: the server's userinfo endpoint accepts its own token.
    let client = AuthClient::new(reqwest::Client::new(), password);
    let response = client.get(format!("{base}/userinfo")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let userinfo: serde_json::Value =
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(userinfo.get("sub").is_some(), "{userinfo}");
}
