//! The service's less travelled paths, against inner services written here: an inner error,
//! an inner service that is not ready at once while a credential is fetched, and a gRPC
//! rejection that the policy is told to ignore.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use auth_core::{AuthProvider, Result as AuthResult, Token, async_trait};
use auth_tower::{AuthLayer, BoxError, ReplayPolicy};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use tower::{Layer, Service, ServiceExt};

/// A provider that takes a moment (so the layer waits for it) and counts its calls.
#[derive(Debug)]
struct Slow(Arc<AtomicUsize>);

#[async_trait]
impl AuthProvider for Slow {
    async fn token(&self) -> AuthResult<Token> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
        Token::bearer(format!("t{n}"))
    }
}

fn slow_provider(calls: &Arc<AtomicUsize>) -> Slow {
    Slow(Arc::clone(calls))
}

/// Fails every call.
#[derive(Clone)]
struct Failing;

impl Service<Request<Full<Bytes>>> for Failing {
    type Response = Response<()>;
    type Error = std::io::Error;
    type Future = Ready<Result<Response<()>, std::io::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Full<Bytes>>) -> Self::Future {
        ready(Err(std::io::Error::other("connection reset")))
    }
}

#[tokio::test]
async fn an_inner_error_is_the_services_error_and_the_future_stays_safe_to_poll() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = AuthLayer::new(slow_provider(&calls)).layer(Failing);
    let mut future = service.call(Request::new(Full::new(Bytes::new())));
    let error = (&mut future).await.unwrap_err();
    let inner = error
        .downcast_ref::<std::io::Error>()
        .expect("the inner error");
    assert_eq!(inner.to_string(), "connection reset");
    // Polled again after it completed: an error, not a panic.
    let again = std::future::poll_fn(|cx| std::pin::Pin::new(&mut future).poll(cx)).await;
    assert!(
        again
            .unwrap_err()
            .to_string()
            .contains("polled after it completed")
    );
}

/// Not ready on its first `poll_ready` after each call (it wakes itself), then answers with
/// the `Authorization` it saw.
#[derive(Clone, Default)]
struct Reluctant {
    polls: Arc<AtomicUsize>,
}

impl Service<Request<Full<Bytes>>> for Reluctant {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.polls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let seen = request.headers()["authorization"]
            .to_str()
            .unwrap()
            .to_owned();
        ready(Ok(Response::new(seen)))
    }
}

#[tokio::test]
async fn an_inner_service_not_ready_while_the_credential_arrives_still_gets_the_request() {
    let calls = Arc::new(AtomicUsize::new(0));
    let service = AuthLayer::new(slow_provider(&calls)).layer(Reluctant::default());
    let response = service
        .oneshot(Request::new(Full::new(Bytes::new())))
        .await
        .unwrap();
    assert_eq!(response.body(), "Bearer t1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

/// Refuses every call, as a gRPC server does (trailers-only, status 16) or with HTTP 401, and
/// counts the calls.
#[derive(Clone, Default)]
struct Refusing {
    grpc: bool,
    calls: Arc<AtomicUsize>,
}

impl Service<Request<Full<Bytes>>> for Refusing {
    type Response = Response<()>;
    type Error = Infallible;
    type Future = Ready<Result<Response<()>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Request<Full<Bytes>>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let response = if self.grpc {
            Response::builder()
                .header("content-type", "application/grpc")
                .header("grpc-status", "16")
        } else {
            Response::builder().status(StatusCode::UNAUTHORIZED)
        };
        ready(Ok(response.body(()).unwrap()))
    }
}

#[tokio::test]
async fn grpc_unauthenticated_counts_unless_the_policy_says_otherwise() {
    for (policy, sends, fetches) in [
        (ReplayPolicy::default(), 2, 2),
        (ReplayPolicy::default().on_grpc_unauthenticated(false), 1, 1),
    ] {
        let calls = Arc::new(AtomicUsize::new(0));
        let inner = Refusing {
            grpc: true,
            ..Refusing::default()
        };
        let layer = AuthLayer::new(slow_provider(&calls)).with_replay_policy(policy);
        let response: Result<_, BoxError> = layer
            .layer(inner.clone())
            .oneshot(Request::new(Full::new(Bytes::from_static(b"copyable"))))
            .await;
        assert_eq!(response.unwrap().headers()["grpc-status"], "16");
        assert_eq!(inner.calls.load(Ordering::SeqCst), sends, "sends");
        assert_eq!(calls.load(Ordering::SeqCst), fetches, "credentials fetched");
    }
}

/// Hands out the same credential from `token()` every time, and has nothing at hand.
#[derive(Debug, Default)]
struct SameEveryTime {
    fetches: AtomicUsize,
}

#[async_trait]
impl AuthProvider for SameEveryTime {
    async fn token(&self) -> AuthResult<Token> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        Token::bearer("same")
    }
}

#[tokio::test]
async fn a_fetched_credential_equal_to_the_rejected_one_is_not_sent_again() {
    let provider = Arc::new(SameEveryTime::default());
    let inner = Refusing::default();
    let response = AuthLayer::new(Arc::clone(&provider))
        .layer(inner.clone())
        .oneshot(Request::new(Full::new(Bytes::from_static(b"copyable"))))
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the rejection, as it came"
    );
    assert_eq!(inner.calls.load(Ordering::SeqCst), 1, "sent once");
    assert_eq!(
        provider.fetches.load(Ordering::SeqCst),
        2,
        "asked again after the rejection"
    );
}
