//! The cached path: `token()` + the header value, single-threaded.
//!
//! `cargo bench -p auth-oauth2 --bench cached`

use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use auth_core::{AuthProvider, Token, async_trait};
use auth_oauth2::{OAuth2Config, OAuth2Provider, TokenTransport, TransportError};
use criterion::{Criterion, criterion_group, criterion_main};

#[derive(Debug)]
struct Fixed;

#[async_trait]
impl TokenTransport for Fixed {
    async fn send(
        &self,
        _: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        Ok(http::Response::new(
            br#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.payload.signature","expires_in":3600}"#
                .to_vec(),
        ))
    }
}

fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the cached path must not wait"),
    }
}

fn cached(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = OAuth2Config::client_credentials("https://idp.example/token", "id", "secret");
    let provider = OAuth2Provider::new(config, Arc::new(Fixed)).expect("provider");
    runtime.block_on(provider.prefetch()).expect("first token");

    c.bench_function("cached OAuth2Provider::token() + header value", |b| {
        b.iter(|| {
            let token = now_or_never(provider.token()).expect("cached");
            black_box(token.header_value().clone())
        })
    });
    let token = Token::bearer("static").expect("token");
    c.bench_function("baseline: static Token::token() + header value", |b| {
        b.iter(|| {
            let token = now_or_never(token.token()).expect("static");
            black_box(token.header_value().clone())
        })
    });
    c.bench_function("baseline: static Token::token() alone", |b| {
        b.iter(|| black_box(now_or_never(token.token()).expect("static")))
    });
    c.bench_function("baseline: HeaderValue clone + drop alone", |b| {
        b.iter(|| black_box(token.header_value().clone()))
    });
    c.bench_function("baseline: SystemTime::now()", |b| {
        b.iter(|| black_box(std::time::SystemTime::now()))
    });
}

criterion_group!(benches, cached);
criterion_main!(benches);
