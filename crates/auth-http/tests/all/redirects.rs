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
