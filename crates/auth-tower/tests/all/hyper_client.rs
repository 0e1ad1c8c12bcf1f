//! A hyper-util legacy client through the layer, against a hyper server that checks tokens.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use auth_core::AuthProvider;
use auth_core::clock::ManualClock;
use auth_tower::{AuthLayer, AuthService, BoxError};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};

use crate::support::{TokenServer, assert_no_secret, provider_at, serve};

/// A resource server that refuses revoked tokens with 401, and records each request's
/// `Authorization`.
#[derive(Clone, Default)]
struct Resource {
    revoked: Arc<Mutex<HashSet<String>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Resource {
    async fn start(&self) -> String {
        let state = self.clone();
        let addr = serve(move |request: Request<hyper::body::Incoming>| {
            let state = state.clone();
            async move {
                let authorization = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                let body = request.into_body().collect().await.unwrap().to_bytes();
                state.seen.lock().unwrap().push(authorization.clone());
                let token = authorization.strip_prefix("Bearer ").unwrap_or_default();
                if token.is_empty() || state.revoked.lock().unwrap().contains(token) {
                    return status(StatusCode::UNAUTHORIZED, "revoked");
                }
                let text = format!("{authorization} {}", String::from_utf8_lossy(&body));
                status(StatusCode::OK, text)
            }
        })
        .await;
        format!("http://{addr}")
    }

    fn revoke(&self, token: &str) {
        self.revoked.lock().unwrap().insert(token.to_owned());
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn status(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(body.into()))
        .unwrap()
}

/// A hyper-util client for bodies of type `B`, wrapped in the layer with `provider`.
fn layered<B>(provider: impl AuthProvider + 'static) -> AuthService<Client<HttpConnector, B>>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    let client = Client::builder(TokioExecutor::new()).build_http::<B>();
    ServiceBuilder::new()
        .layer(AuthLayer::new(provider))
        .service(client)
}

/// Sends `request` through `service` and reads the status and body.
async fn send<S, B>(service: &mut S, request: Request<B>) -> (StatusCode, String)
where
    S: Service<Request<B>, Response = Response<hyper::body::Incoming>, Error = BoxError>,
{
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(url: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(url)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

#[tokio::test]
async fn the_header_is_present_and_one_token_serves_every_request() {
    let tokens = TokenServer::start().await;
    let resource = Resource::default();
    let base = resource.start().await;
    let mut service =
        layered::<Full<Bytes>>(tokens.provider(Arc::new(ManualClock::starting_now())));
    for i in 0..20 {
        let (status, body) = send(&mut service, post(&format!("{base}/items"), "x")).await;
        assert_eq!(status, StatusCode::OK, "request {i}");
        assert_eq!(body, "Bearer t1 x");
    }
    assert_eq!(tokens.requests(), 1);
}

#[tokio::test]
async fn a_401_replays_a_copyable_body_once_with_a_fresh_token() {
    let tokens = TokenServer::start().await;
    let resource = Resource::default();
    let base = resource.start().await;
    let mut service =
        layered::<Full<Bytes>>(tokens.provider(Arc::new(ManualClock::starting_now())));
    assert_eq!(
        send(&mut service, post(&base, "first")).await.0,
        StatusCode::OK
    );
    resource.revoke("t1");
    let (status, body) = send(&mut service, post(&base, "payload")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "Bearer t2 payload", "the body was sent again");
    assert_eq!(resource.seen(), ["Bearer t1", "Bearer t1", "Bearer t2"]);
    assert_eq!(tokens.requests(), 2);

    // A token the server refuses again is not replayed twice: the caller gets the 401.
    resource.revoke("t2");
    resource.revoke("t3");
    let (status, _) = send(&mut service, post(&base, "again")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(resource.seen().len(), 5, "one send and one replay");
    assert_eq!(tokens.requests(), 3);
}

type Chunks = futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>;

fn streaming(url: &str) -> Request<StreamBody<Chunks>> {
    let chunks = vec![Ok(Frame::data(Bytes::from_static(b"streamed")))];
    Request::post(url)
        .body(StreamBody::new(futures_util::stream::iter(chunks)))
        .unwrap()
}

#[tokio::test]
async fn a_streaming_body_is_not_replayed_but_its_rejected_token_is_dropped() {
    let tokens = TokenServer::start().await;
    let resource = Resource::default();
    let base = resource.start().await;
    let mut service =
        layered::<StreamBody<Chunks>>(tokens.provider(Arc::new(ManualClock::starting_now())));
    assert_eq!(send(&mut service, streaming(&base)).await.0, StatusCode::OK);
    resource.revoke("t1");
    let (status, body) = send(&mut service, streaming(&base)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "returned as it came");
    assert_eq!(body, "revoked");
    assert_eq!(resource.seen(), ["Bearer t1", "Bearer t1"], "no replay");
    let (status, body) = send(&mut service, streaming(&base)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "Bearer t2 streamed")
    );
    assert_eq!(tokens.requests(), 2);
}

#[cfg(feature = "follow-redirect")]
#[tokio::test]
async fn a_401_from_another_origin_after_a_redirect_keeps_the_token() {
    use tower_http::follow_redirect::FollowRedirectLayer;

    let tokens = TokenServer::start().await;
    let elsewhere = Resource::default();
    elsewhere.revoke("t1");
    let elsewhere_base = elsewhere.start().await;
    let home = Resource::default();
    let home_addr = serve(move |request: Request<hyper::body::Incoming>| {
        let target = format!("{elsewhere_base}/moved");
        let home = home.clone();
        async move {
            let authorization = request.headers().get("authorization").cloned();
            home.seen.lock().unwrap().push(format!("{authorization:?}"));
            if request.uri().path() == "/away" {
                Response::builder()
                    .status(StatusCode::TEMPORARY_REDIRECT)
                    .header("location", target)
                    .body(Full::new(Bytes::new()))
                    .unwrap()
            } else if authorization.is_some_and(|v| v == "Bearer t1") {
                status(StatusCode::OK, "home")
            } else {
                status(StatusCode::UNAUTHORIZED, "who?")
            }
        }
    })
    .await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut service = ServiceBuilder::new()
        .layer(AuthLayer::new(
            tokens.provider(Arc::new(ManualClock::starting_now())),
        ))
        .layer(FollowRedirectLayer::new())
        .service(client);
    let get = |path: &str| {
        Request::get(format!("http://{home_addr}{path}"))
            .body(Full::new(Bytes::new()))
            .unwrap()
    };
    let (status, _) = send(&mut service, get("/away")).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the other origin's answer"
    );
    assert_eq!(
        elsewhere.seen(),
        [""],
        "the credential did not cross origins"
    );
    let (status, body) = send(&mut service, get("/ok")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "home"));
    assert_eq!(tokens.requests(), 1, "the token was kept");
}

#[tokio::test]
async fn a_provider_failure_is_a_boxed_auth_error_without_secrets() {
    // Nothing listens on port 1 of 127.0.0.1.
    let provider = provider_at(
        "http://127.0.0.1:1/token",
        Arc::new(ManualClock::starting_now()),
    );
    let service = layered::<Full<Bytes>>(provider);
    let service_debug = format!("{service:?}");
    let error = service
        .oneshot(post("http://127.0.0.1:1/x", "x"))
        .await
        .unwrap_err();
    let auth = error
        .downcast_ref::<auth_core::Error>()
        .expect("the provider's error");
    assert!(auth.is_retryable(), "{auth}");
    let text = format!("{error} {error:?} {service_debug}");
    assert_no_secret(&text);
}

#[tokio::test]
async fn a_static_credential_that_is_rejected_is_not_sent_twice() {
    let resource = Resource::default();
    resource.revoke("fixed");
    let base = resource.start().await;
    let mut service = layered::<Full<Bytes>>(auth_core::Token::bearer("fixed").unwrap());
    let (status, _) = send(&mut service, post(&base, "x")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        resource.seen(),
        ["Bearer fixed"],
        "nothing newer to replay with"
    );
}
