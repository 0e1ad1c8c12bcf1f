//! DPoP through the layer: a DPoP-bound token goes with a fresh proof for each request's method
//! and URL, a resource's nonce challenge is answered with one retry, and a request whose URI is
//! not absolute is refused rather than sent with a proof that names no URL.

use std::sync::{Arc, Mutex};

use auth_core::clock::ManualClock;
use auth_http::{ClientSettings, ReqwestTransport};
use auth_jwt_issuer::{Algorithm, DpopKey};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use auth_tower::AuthLayer;
use base64::Engine as _;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{ServiceBuilder, ServiceExt};

use crate::support::serve;

const NONCE: &str = "rs-nonce";

fn claims(proof: &str) -> serde_json::Value {
    let payload = proof.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn reply(status: StatusCode, headers: &[(&str, &str)], body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    response
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap()
}

/// `/token` issues a DPoP token; any other path wants a proof with `ath`, its method and its
/// path, and the nonce (401 `use_dpop_nonce` until then). Records each resource proof.
async fn server(proofs: Arc<Mutex<Vec<serde_json::Value>>>) -> String {
    let addr = serve(move |request: Request<hyper::body::Incoming>| {
        let proofs = Arc::clone(&proofs);
        async move {
            if request.uri().path() == "/token" {
                return reply(
                    StatusCode::OK,
                    &[("content-type", "application/json")],
                    r#"{"access_token":"bound","token_type":"DPoP","expires_in":3600}"#,
                );
            }
            let proof = request
                .headers()
                .get("dpop")
                .map(|v| claims(v.to_str().unwrap()));
            let authorization = request.headers().get("authorization").cloned();
            let Some(proof) = proof else {
                return reply(StatusCode::UNAUTHORIZED, &[], "no proof");
            };
            proofs.lock().unwrap().push(proof.clone());
            let right = authorization.is_some_and(|v| v == "DPoP bound")
                && proof["htm"] == request.method().as_str()
                && proof["htu"]
                    .as_str()
                    .is_some_and(|htu| htu.ends_with(request.uri().path()))
                && proof["ath"].is_string();
            if !right {
                return reply(StatusCode::UNAUTHORIZED, &[], "bad proof");
            }
            if proof["nonce"] != NONCE {
                return reply(
                    StatusCode::UNAUTHORIZED,
                    &[
                        ("www-authenticate", r#"DPoP error="use_dpop_nonce""#),
                        ("dpop-nonce", NONCE),
                    ],
                    "nonce",
                );
            }
            reply(StatusCode::OK, &[("dpop-nonce", NONCE)], "ok")
        }
    })
    .await;
    format!("http://{addr}")
}

fn provider(base: &str) -> OAuth2Provider {
    let config =
        OAuth2Config::client_credentials(format!("{base}/token"), ClientAuth::basic("svc", "s"))
            .dpop(DpopKey::generate(Algorithm::Es256).unwrap());
    let transport = ReqwestTransport::new(&ClientSettings::default()).unwrap();
    OAuth2Provider::builder(config, Arc::new(transport))
        .clock(Arc::new(ManualClock::new(std::time::SystemTime::now())))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_layer_sends_a_proof_per_request_and_answers_a_nonce_challenge_once() {
    let proofs = Arc::new(Mutex::new(Vec::new()));
    let base = server(Arc::clone(&proofs)).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(provider(&base)))
        .service(client);
    for (method, path) in [("GET", "/items?page=2"), ("POST", "/items")] {
        let request = Request::builder()
            .method(method)
            .uri(format!("{base}{path}"))
            .body(Full::new(Bytes::from_static(b"body")))
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, StatusCode::OK, "{method} {path}: {body:?}");
    }
    let proofs = proofs.lock().unwrap().clone();
    assert_eq!(
        proofs.len(),
        3,
        "the first request's challenge and retry, then one request"
    );
    assert!(proofs[0].get("nonce").is_none());
    assert_eq!(proofs[1]["nonce"], NONCE);
    assert_eq!(proofs[2]["htm"], "POST");
    assert_eq!(proofs[0]["htu"], format!("{base}/items"), "no query in htu");
    assert_ne!(proofs[0]["jti"], proofs[1]["jti"]);
}

#[tokio::test]
async fn with_replay_off_a_nonce_challenge_is_still_answered_and_the_token_kept() {
    let proofs = Arc::new(Mutex::new(Vec::new()));
    let base = server(Arc::clone(&proofs)).await;
    let provider = auth_core::SharedAuthProvider::new(provider(&base));
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(
            AuthLayer::from_shared(provider.clone())
                .with_replay_policy(auth_core::rejection::ReplayPolicy::never()),
        )
        .service(client);
    // Warm: the token is cached, so the layer knows it is bound when the request comes.
    auth_core::AuthProvider::token(&provider).await.unwrap();
    for _ in 0..2 {
        let request = Request::builder()
            .uri(format!("{base}/items"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(
        proofs.lock().unwrap().len(),
        3,
        "challenge, retry, then the nonce at once"
    );
}

#[tokio::test]
async fn a_relative_uri_with_a_bound_token_is_refused_clearly() {
    let proofs = Arc::new(Mutex::new(Vec::new()));
    let base = server(proofs).await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let service = ServiceBuilder::new()
        .layer(AuthLayer::new(provider(&base)))
        .service(client);
    // The first call fetches the token; the second finds it cached: both paths refuse.
    for _ in 0..2 {
        let request = Request::builder()
            .uri("/items")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let error = service
            .clone()
            .oneshot(request)
            .await
            .unwrap_err()
            .to_string();
        assert!(error.contains("absolute"), "{error}");
    }
}
