//! `Authorization` never follows a redirect to another origin.

use auth_core::Token;
use auth_http::AuthClient;

use crate::support::{reply, serve};

#[tokio::test]
async fn cross_origin_redirects_drop_authorization_same_origin_keeps_it() {
    let elsewhere = serve(None, |_| async { reply(200, "elsewhere") }).await;
    let target = elsewhere.url("/landing");
    let origin = serve(None, move |seen| {
        let target = target.clone();
        async move {
            match seen.path.as_str() {
                "/away" => http::Response::builder()
                    .status(302)
                    .header("location", target)
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
                "/here" => http::Response::builder()
                    .status(302)
                    .header("location", "/landing")
                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                    .unwrap(),
                _ => reply(200, "landed"),
            }
        }
    })
    .await;
    let client = AuthClient::new(
        reqwest::Client::new(),
        Token::bearer("secret-token").unwrap(),
    );

    client.get(origin.url("/away")).send().await.unwrap();
    let landed = &elsewhere.seen()[0];
    assert_eq!(landed.path, "/landing");
    assert!(
        landed.authorization().is_none(),
        "another port is another origin"
    );

    client.get(origin.url("/here")).send().await.unwrap();
    let same = origin
        .seen()
        .into_iter()
        .find(|s| s.path == "/landing")
        .unwrap();
    assert_eq!(same.authorization().as_deref(), Some("Bearer secret-token"));
}

/// A `401` from the other origin a redirect led to is not a rejection of our credential (it
/// was never sent there): no invalidation, no new token request, the `401` returned as it came.
#[cfg(all(feature = "oauth2", feature = "middleware"))]
#[tokio::test]
async fn a_401_from_another_origin_after_a_redirect_keeps_the_token() {
    use std::sync::Arc;

    use auth_http::{AuthMiddleware, ClientSettings, ReqwestTransport};
    use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};

    let tokens = crate::oauth2::token_server().await;
    let b = serve(None, |_| async { reply(401, "not yours") }).await;
    let target = b.url("/landing");
    let a = serve(None, move |_| {
        let target = target.clone();
        async move {
            http::Response::builder()
                .status(302)
                .header("location", target)
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .unwrap()
        }
    })
    .await;

    /// Counts invalidations of the OAuth2 provider it wraps.
    #[derive(Debug)]
    struct Watched(OAuth2Provider, std::sync::atomic::AtomicUsize);

    #[auth_core::async_trait]
    impl auth_core::AuthProvider for Watched {
        async fn token(&self) -> auth_core::Result<Token> {
            self.0.token().await
        }
        fn token_now(&self) -> Option<Token> {
            self.0.token_now()
        }
        fn invalidate(&self, rejected: &Token) {
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.0.invalidate(rejected);
        }
    }

    let transport = Arc::new(ReqwestTransport::new(&ClientSettings::default()).unwrap());
    let config =
        OAuth2Config::client_credentials(tokens.url("/token"), ClientAuth::basic("id", "secret"));
    let provider = Arc::new(Watched(
        OAuth2Provider::new(config, transport).unwrap(),
        std::sync::atomic::AtomicUsize::new(0),
    ));
    let client = AuthClient::from_shared(
        reqwest::Client::new(),
        auth_core::SharedAuthProvider::from(
            Arc::clone(&provider) as Arc<dyn auth_core::AuthProvider>
        ),
    );
    let middleware = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::from_shared(
            auth_core::SharedAuthProvider::from(
                Arc::clone(&provider) as Arc<dyn auth_core::AuthProvider>
            ),
        ))
        .build();
    for _ in 0..5 {
        let response = client.get(a.url("/start")).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let response = middleware.get(a.url("/start")).send().await.unwrap();
        assert_eq!(response.status(), 401);
    }
    assert_eq!(
        provider.1.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "no invalidation"
    );
    assert_eq!(tokens.requests(), 1, "one token request over 10 calls");
    assert_eq!(a.requests(), 10, "every call was sent once: no replay");
    assert!(b.seen().iter().all(|s| s.authorization().is_none()));
}
