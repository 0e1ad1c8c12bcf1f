//! The middleware and the request-builder extension with every kind of provider.

use std::sync::Arc;

use auth_basic::BasicProvider;
use auth_bearer::BearerProvider;
use auth_core::{AuthProvider, SharedAuthProvider};
use auth_http::{AuthMiddleware, ClientSettings, RequestBuilderExt as _, ReqwestTransport};
use auth_jwt_issuer::{Algorithm, JwtIssuer, JwtProvider, SigningKey};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};

use crate::oauth2::token_server;
use crate::support::{reply, serve};

#[tokio::test]
async fn middleware_and_extension_with_basic_bearer_jwt_and_oauth2() {
    let tokens = token_server().await;
    let resource = serve(None, |seen| async move {
        if seen.authorization().is_some() {
            reply(200, "ok")
        } else {
            reply(401, "")
        }
    })
    .await;
    let oauth2 =
        OAuth2Config::client_credentials(tokens.url("/token"), ClientAuth::basic("id", "secret"));
    let transport = Arc::new(ReqwestTransport::new(&ClientSettings::default()).unwrap());
    let jwt = JwtIssuer::builder()
        .issuer("me")
        .signer(
            SigningKey::hmac(Algorithm::Hs256, "a shared secret of at least 32 bytes!").unwrap(),
        )
        .build()
        .unwrap();
    let providers: Vec<(SharedAuthProvider, &str)> = vec![
        (
            SharedAuthProvider::new(BasicProvider::new("admin", "123").unwrap()),
            "Basic YWRtaW46MTIz",
        ),
        (
            SharedAuthProvider::new(BearerProvider::new("static").unwrap()),
            "Bearer static",
        ),
        (SharedAuthProvider::new(JwtProvider::new(jwt)), "Bearer eyJ"),
        (
            SharedAuthProvider::new(OAuth2Provider::new(oauth2, transport).unwrap()),
            "Bearer at-",
        ),
    ];
    for (provider, expected) in providers {
        let with_middleware = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
            .with(AuthMiddleware::from_shared(provider.clone()))
            .build();
        let response = with_middleware
            .get(resource.url("/m"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let response = reqwest::Client::new()
            .get(resource.url("/x"))
            .authorize(provider.as_arc().as_ref() as &dyn AuthProvider)
            .await
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let seen = resource.seen();
        let last_two = &seen[seen.len() - 2..];
        for request in last_two {
            let header = request.authorization().unwrap();
            assert!(
                header.starts_with(expected),
                "{header} should start with {expected}"
            );
        }
    }
}

#[tokio::test]
async fn the_middleware_replays_once_on_401() {
    let resource = serve(None, |seen| async move {
        if seen.authorization().as_deref() == Some("Bearer t2") {
            reply(200, "ok")
        } else {
            reply(401, "")
        }
    })
    .await;
    let provider = Arc::new(crate::replay::Counting::default());
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::from_shared(SharedAuthProvider::from(
            provider.clone() as Arc<dyn AuthProvider>,
        )))
        .build();
    let response = client
        .post(resource.url("/"))
        .body("again")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(resource.requests(), 2);
    assert_eq!(resource.seen()[1].body, "again");
}
