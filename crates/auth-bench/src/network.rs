//! Figures over loopback HTTP: the 10 000-caller stampede against a token server, and request
//! throughput with and without authentication.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use auth_core::AuthProvider;
use auth_core::clock::ManualClock;
use auth_http::{AuthClient, ClientSettings, ReqwestTransport};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::Effort;
use crate::measure::{median, report};

/// A server on 127.0.0.1: `/token` answers a token after `delay` (an identity provider's own
/// work) and counts requests; anything else answers `ok`.
async fn server(delay: Duration, token_requests: Arc<AtomicUsize>) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&token_requests);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let counter = Arc::clone(&counter);
                        async move {
                            let body = if request.uri().path() == "/token" {
                                let n = counter.fetch_add(1, Ordering::SeqCst);
                                tokio::time::sleep(delay).await;
                                format!(r#"{{"access_token":"token-{n}","expires_in":60}}"#)
                            } else {
                                "ok".to_owned()
                            };
                            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from(body))))
                        }
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

fn oauth2(addr: SocketAddr, clock: &ManualClock) -> Result<OAuth2Provider, String> {
    let config = OAuth2Config::client_credentials(
        format!("http://{addr}/token"),
        ClientAuth::basic("id", "secret"),
    );
    let transport = ReqwestTransport::new(&ClientSettings::default()).map_err(|e| e.to_string())?;
    OAuth2Provider::builder(config, Arc::new(transport))
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .build()
        .map_err(|e| e.to_string())
}

const CALLERS: usize = 10_000;

pub(crate) async fn stampede(effort: Effort) -> Result<(), String> {
    for delay in [Duration::from_millis(20), Duration::ZERO] {
        let requests = Arc::new(AtomicUsize::new(0));
        let addr = server(delay, Arc::clone(&requests)).await?;
        let (mut sent, mut p50s, mut p99s, mut trips) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..effort.repeats {
            let clock = ManualClock::new(SystemTime::now());
            let provider = Arc::new(oauth2(addr, &clock)?);
            provider.prefetch().await.map_err(|e| e.to_string())?; // connection up
            // One token round trip over the warm connection.
            clock.advance(Duration::from_secs(61));
            let start = Instant::now();
            provider.token().await.map_err(|e| e.to_string())?;
            trips.push(start.elapsed().as_secs_f64());

            clock.advance(Duration::from_secs(61));
            let before = requests.load(Ordering::SeqCst);
            let tasks: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let provider = Arc::clone(&provider);
                    tokio::spawn(async move {
                        let start = Instant::now();
                        provider.token().await.map(|_| start.elapsed())
                    })
                })
                .collect();
            let mut waits = Vec::with_capacity(CALLERS);
            for task in tasks {
                waits.push(
                    task.await
                        .map_err(|e| e.to_string())?
                        .map_err(|e| e.to_string())?
                        .as_secs_f64(),
                );
            }
            sent.push((requests.load(Ordering::SeqCst) - before) as f64);
            waits.sort_by(f64::total_cmp);
            p50s.push(waits[CALLERS / 2]);
            p99s.push(waits[CALLERS * 99 / 100]);
        }
        let trip = median(&mut trips);
        let label = format!("server time {} ms", delay.as_millis());
        report(
            &format!("stampede, {CALLERS} callers at expiry, {label}: token requests"),
            median(&mut sent),
            "requests",
            "exactly 1",
        );
        let p99 = median(&mut p99s);
        report(
            &format!("stampede, {label}: p99 wait / one token round trip"),
            p99 / trip,
            "x",
            "<= 2 x",
        );
        println!(
            "  (round trip {:.2} ms; wait p50 {:.2} ms, p99 {:.2} ms)",
            trip * 1e3,
            median(&mut p50s) * 1e3,
            p99 * 1e3
        );
    }
    Ok(())
}

pub(crate) async fn throughput(effort: Effort) -> Result<(), String> {
    let addr = server(Duration::ZERO, Arc::new(AtomicUsize::new(0))).await?;
    let url = format!("http://{addr}/items");
    let clock = ManualClock::new(SystemTime::now());
    let provider = oauth2(addr, &clock)?;
    provider.prefetch().await.map_err(|e| e.to_string())?;
    let plain = reqwest::Client::new();
    let authed = AuthClient::new(reqwest::Client::new(), provider);
    let per_round = 2_000 * effort.scale;
    let workers = 16;

    async fn round<F, Fut>(per_round: usize, workers: usize, send: F) -> f64
    where
        F: Fn() -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let start = Instant::now();
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let send = send.clone();
                tokio::spawn(async move {
                    for _ in 0..per_round / workers {
                        send().await;
                    }
                })
            })
            .collect();
        for handle in handles {
            let _ = handle.await;
        }
        per_round as f64 / start.elapsed().as_secs_f64()
    }

    let plain_send = {
        let (client, url) = (plain.clone(), url.clone());
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                if let Ok(response) = client.get(&url).send().await {
                    let _ = response.bytes().await;
                }
            }
        }
    };
    let auth_send = {
        let (client, url) = (authed.clone(), url.clone());
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                if let Ok(response) = client.get(&url).send().await {
                    let _ = response.bytes().await;
                }
            }
        }
    };
    round(per_round, workers, plain_send.clone()).await;
    round(per_round, workers, auth_send.clone()).await;
    let (mut ratios, mut plain_rates, mut auth_rates) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..effort.repeats * 2 {
        // ABBA, so drift in the machine's speed hits both sides alike.
        let (p, a) = if n % 2 == 0 {
            let p = round(per_round, workers, plain_send.clone()).await;
            (p, round(per_round, workers, auth_send.clone()).await)
        } else {
            let a = round(per_round, workers, auth_send.clone()).await;
            (round(per_round, workers, plain_send.clone()).await, a)
        };
        ratios.push(a / p);
        plain_rates.push(p);
        auth_rates.push(a);
    }
    report(
        "GET throughput, AuthClient (cached OAuth2) vs plain reqwest",
        median(&mut ratios),
        "x",
        ">= 0.97 x",
    );
    println!(
        "  ({:.0} against {:.0} requests/s, {workers} concurrent, 127.0.0.1)",
        median(&mut auth_rates),
        median(&mut plain_rates)
    );
    Ok(())
}
