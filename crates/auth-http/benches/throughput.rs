//! GET throughput to a local hyper server: the authenticated client (cached OAuth2 token)
//! against the same reqwest client with no auth, alternating rounds in one run.
//!
//! `cargo bench -p auth-http --features oauth2 --bench throughput`

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::async_trait;
use auth_http::AuthClient;
use auth_oauth2::{OAuth2Config, OAuth2Provider, TokenTransport, TransportError};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

const REQUESTS_PER_ROUND: usize = 4_000;
const CONCURRENCY: usize = 16;
const ROUNDS: usize = 10;

#[derive(Debug)]
struct Fixed;

#[async_trait]
impl TokenTransport for Fixed {
    async fn send(
        &self,
        _: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        Ok(http::Response::new(
            br#"{"access_token":"cached-token","expires_in":3600}"#.to_vec(),
        ))
    }
}

async fn server() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_request| async {
                    Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

async fn round<F, Fut>(send: Arc<F>) -> Duration
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let start = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let send = Arc::clone(&send);
            tokio::spawn(async move {
                for _ in 0..REQUESTS_PER_ROUND / CONCURRENCY {
                    send().await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    start.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let addr = server().await;
        let url = format!("http://{addr}/items");
        let plain = reqwest::Client::new();
        let config = OAuth2Config::client_credentials("https://idp.example/token", "id", "secret");
        let provider = OAuth2Provider::new(config, Arc::new(Fixed)).expect("provider");
        provider.prefetch().await.expect("token");
        let authed = AuthClient::new(reqwest::Client::new(), provider);

        let plain_send = {
            let (client, url) = (plain.clone(), url.clone());
            Arc::new(move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let response = client.get(&url).send().await.expect("plain");
                    response.bytes().await.expect("body");
                }
            })
        };
        let auth_send = {
            let (client, url) = (authed.clone(), url.clone());
            Arc::new(move || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let response = client.get(&url).send().await.expect("authed");
                    response.bytes().await.expect("body");
                }
            })
        };
        // Warm both pools.
        round(Arc::clone(&plain_send)).await;
        round(Arc::clone(&auth_send)).await;
        let (mut plain_total, mut auth_total) = (Duration::ZERO, Duration::ZERO);
        for n in 1..=ROUNDS {
            // ABBA order, so drift in the machine's speed hits both sides alike.
            let (p, a) = if n % 2 == 1 {
                let p = round(Arc::clone(&plain_send)).await;
                (p, round(Arc::clone(&auth_send)).await)
            } else {
                let a = round(Arc::clone(&auth_send)).await;
                (round(Arc::clone(&plain_send)).await, a)
            };
            plain_total += p;
            auth_total += a;
            let rate = |d: Duration| REQUESTS_PER_ROUND as f64 / d.as_secs_f64();
            println!("round {n}: plain reqwest {:.0} req/s, AuthClient (cached OAuth2) {:.0} req/s", rate(p), rate(a));
        }
        let requests = (REQUESTS_PER_ROUND * ROUNDS) as f64;
        let plain_rate = requests / plain_total.as_secs_f64();
        let auth_rate = requests / auth_total.as_secs_f64();
        println!(
            "throughput: AuthClient {auth_rate:.0} req/s vs plain reqwest {plain_rate:.0} req/s = {:.3}x (goal >= 0.97x); {CONCURRENCY} concurrent, {ROUNDS} alternating rounds of {REQUESTS_PER_ROUND}",
            auth_rate / plain_rate
        );
    });
}
