//! 401 replay: exactly one new credential and one replay; a second 401 goes to the caller; a
//! streaming body is not replayed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::{AuthProvider, Result as AuthResult, Token, async_trait};
use auth_http::{AuthClient, ReplayPolicy};

use crate::support::{reply, serve};

/// Hands out `t1`, `t2`, ... and counts invalidations of the current token.
#[derive(Debug, Default)]
pub(crate) struct Counting {
    pub(crate) issued: AtomicUsize,
    pub(crate) invalidated: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl AuthProvider for Counting {
    async fn token(&self) -> AuthResult<Token> {
        let n = self.issued.load(Ordering::SeqCst).max(1);
        self.issued.store(n, Ordering::SeqCst);
        Token::bearer(format!("t{n}"))
    }

    fn invalidate(&self, rejected: &Token) {
        self.invalidated
            .lock()
            .unwrap()
            .push(rejected.expose_credential().to_owned());
        let current = format!("t{}", self.issued.load(Ordering::SeqCst));
        if rejected.expose_credential() == current {
            self.issued.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Accepts only `Bearer t2` (or whatever `accepted` says).
pub(crate) async fn resource(accepted: &'static str) -> crate::support::Server {
    serve(None, move |seen| async move {
        if seen.authorization().as_deref() == Some(accepted) {
            reply(200, format!("ok {}", String::from_utf8_lossy(&seen.body)))
        } else {
            http::Response::builder()
                .status(401)
                .header("www-authenticate", r#"Bearer error="invalid_token""#)
                .body(http_body_util::Full::new(bytes::Bytes::from_static(b"no")))
                .unwrap()
        }
    })
    .await
}

#[tokio::test]
async fn a_rejected_token_is_invalidated_and_the_request_replayed_once() {
    let server = resource("Bearer t2").await;
    let provider = Arc::new(Counting::default());
    let client = AuthClient::from_shared(
        reqwest::Client::new(),
        auth_core::SharedAuthProvider::from(provider.clone() as Arc<dyn AuthProvider>),
    );
    let response = client
        .post(server.url("/items"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().await.unwrap(),
        "ok payload",
        "the body was replayed"
    );
    assert_eq!(
        *provider.invalidated.lock().unwrap(),
        ["t1"],
        "exactly the rejected token"
    );
    let auths: Vec<_> = server
        .seen()
        .iter()
        .map(|s| s.authorization().unwrap())
        .collect();
    assert_eq!(auths, ["Bearer t1", "Bearer t2"], "one replay");
}

#[tokio::test]
async fn a_second_rejection_goes_back_to_the_caller() {
    let server = resource("Bearer never").await;
    let provider = Arc::new(Counting::default());
    let client = AuthClient::from_shared(
        reqwest::Client::new(),
        auth_core::SharedAuthProvider::from(provider.clone() as Arc<dyn AuthProvider>),
    );
    let response = client.get(server.url("/items")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(server.requests(), 2, "never more than one replay");
}

#[tokio::test]
async fn a_streaming_body_is_not_replayed() {
    let server = resource("Bearer t2").await;
    let provider = Arc::new(Counting::default());
    let client = AuthClient::from_shared(
        reqwest::Client::new(),
        auth_core::SharedAuthProvider::from(provider.clone() as Arc<dyn AuthProvider>),
    );
    // A body reqwest cannot copy: a streaming `http_body::Body`.
    let stream =
        http_body_util::StreamBody::new(futures_util::stream::iter(vec![Ok::<_, std::io::Error>(
            hyper::body::Frame::data(bytes::Bytes::from_static(b"chunk")),
        )]));
    let response = client
        .post(server.url("/upload"))
        .body(reqwest::Body::wrap(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "returned unreplayed");
    assert_eq!(server.requests(), 1);
    assert_eq!(
        *provider.invalidated.lock().unwrap(),
        ["t1"],
        "still invalidated"
    );
}

#[tokio::test]
async fn a_403_with_an_invalid_token_challenge_counts_when_asked() {
    let server = serve(None, |seen| async move {
        if seen.authorization().as_deref() == Some("Bearer t2") {
            reply(200, "ok")
        } else {
            http::Response::builder()
                .status(403)
                .header(
                    "www-authenticate",
                    r#"Bearer realm="api", error="invalid_token""#,
                )
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .unwrap()
        }
    })
    .await;
    let plain = AuthClient::new(reqwest::Client::new(), Counting::default());
    assert_eq!(
        plain.get(server.url("/")).send().await.unwrap().status(),
        403
    );
    let asked = AuthClient::new(reqwest::Client::new(), Counting::default()).with_replay_policy(
        ReplayPolicy::default().on_invalid_token_challenge(http::StatusCode::FORBIDDEN),
    );
    assert_eq!(
        asked.get(server.url("/")).send().await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn the_request_builder_extension_replaces_an_existing_authorization() {
    use auth_http::RequestBuilderExt as _;
    let server = resource("Bearer t1").await;
    let provider = Counting::default();
    let response = reqwest::Client::new()
        .get(server.url("/"))
        .header("authorization", "Basic old")
        .authorize(&provider)
        .await
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = &server.seen()[0];
    assert_eq!(seen.headers.get_all("authorization").iter().count(), 1);
}

#[tokio::test]
async fn a_static_credential_that_is_rejected_is_not_sent_twice() {
    let server = resource("Bearer accepted").await;
    let client = AuthClient::new(reqwest::Client::new(), Token::bearer("fixed").unwrap());
    let response = client.get(server.url("/x")).send().await.unwrap();
    assert_eq!(response.status(), 401, "the rejection, as it came");
    assert_eq!(server.requests(), 1, "nothing newer to replay with");
}

#[cfg(feature = "middleware")]
#[tokio::test]
async fn the_middleware_does_not_send_a_rejected_static_credential_twice() {
    let server = resource("Bearer accepted").await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth_http::AuthMiddleware::new(
            Token::bearer("fixed").unwrap(),
        ))
        .build();
    let response = client.get(server.url("/x")).send().await.unwrap();
    assert_eq!(response.status(), 401, "the rejection, as it came");
    assert_eq!(server.requests(), 1, "nothing newer to replay with");
}
