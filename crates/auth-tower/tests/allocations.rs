//! The layer allocates nothing of its own on the cached path: counted with dhat's allocator,
//! against the same calls through the bare inner service. Its own test binary, as dhat's
//! profiler is one per process.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on purpose")]

use std::convert::Infallible;
use std::future::{Future, poll_fn, ready};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use auth_core::async_trait;
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, TokenTransport, TransportError};
use auth_tower::AuthLayer;
use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::Empty;
use http_body_util::combinators::UnsyncBoxBody;
use tower::{Layer, Service};

#[global_allocator]
static ALLOCATOR: dhat::Alloc = dhat::Alloc;

/// A token endpoint that answers at once.
#[derive(Debug)]
struct Fixed;

#[async_trait]
impl TokenTransport for Fixed {
    async fn send(&self, _: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        Ok(Response::new(
            br#"{"access_token":"cached","expires_in":3600}"#.to_vec(),
        ))
    }
}

fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a cached credential and an inner service that answers at once"),
    }
}

/// A request as a client makes it: a URI parsed from text (cloned by reference count) and one
/// header.
fn request<B>(uri: &Uri, body: B) -> Request<B> {
    let mut request = Request::new(body);
    *request.uri_mut() = uri.clone();
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    request
}

fn call<S: Service<Request<B>>, B>(service: &mut S, uri: &Uri, body: B)
where
    S::Error: std::fmt::Debug,
{
    now(poll_fn(|cx| service.poll_ready(cx))).unwrap();
    drop(now(service.call(request(uri, body))));
}

/// Allocations made by 1 000 runs of `f`.
fn allocations(mut f: impl FnMut()) -> u64 {
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..1_000 {
        f();
    }
    dhat::HeapStats::get().total_blocks - before
}

#[test]
fn a_cached_credential_costs_no_allocation_of_the_layers_own() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config =
        OAuth2Config::client_credentials("https://idp.example/token", ClientAuth::basic("id", "s"));
    let provider = OAuth2Provider::builder(config, Arc::new(Fixed))
        .runtime(runtime.handle().clone())
        .build()
        .unwrap();
    runtime.block_on(provider.prefetch()).unwrap();
    let layer = AuthLayer::new(provider);
    let uri: Uri = "http://127.0.0.1:8080/items".parse().unwrap();
    let uri = &uri;

    // A streaming body, as every gRPC call's: never copied.
    type Streaming = UnsyncBoxBody<Bytes, Infallible>;
    let streaming = || UnsyncBoxBody::new(Empty::<Bytes>::new());
    let mut bare =
        tower::service_fn(|_: Request<Streaming>| ready(Ok::<_, Infallible>(Response::new(()))));
    let mut layered = layer.layer(bare);
    // Warm: this thread's copy of the cached token is made on its first read.
    call(&mut layered, uri, streaming());
    let bare_count = allocations(|| call(&mut bare, uri, streaming()));
    let layered_count = allocations(|| call(&mut layered, uri, streaming()));
    assert_eq!(
        layered_count,
        bare_count,
        "the layer allocated {} times in 1 000 calls",
        layered_count - bare_count
    );

    // A copyable body: the copy a replay needs is the layer's one cost (its box and header map).
    let mut bare =
        tower::service_fn(|_: Request<Empty<Bytes>>| ready(Ok::<_, Infallible>(Response::new(()))));
    let mut layered = layer.layer(bare);
    call(&mut layered, uri, Empty::new());
    let bare_count = allocations(|| call(&mut bare, uri, Empty::new()));
    let layered_count = allocations(|| call(&mut layered, uri, Empty::new()));
    // Its box, and the header map's index and entry buffers; the URI and the service are
    // cloned by reference count.
    assert_eq!(
        layered_count - bare_count,
        3_000,
        "the replay copy costs 3 allocations a call"
    );
}
