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
use crate::measure::{median, paired_rates, report};

/// A server on 127.0.0.1: `/token` answers a token after `delay` (an identity provider's own
/// work) and counts requests; anything else answers `ok`.
pub(crate) async fn server(
    delay: Duration,
    token_requests: Arc<AtomicUsize>,
) -> Result<SocketAddr, String> {
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

/// Each throughput round lasts at least this long, so one hiccup of this noisy machine moves a
/// round's rate by little.
const ROUND: Duration = Duration::from_secs(1);

/// Concurrent senders in the throughput rounds.
const WORKERS: usize = 16;

pub(crate) async fn throughput(effort: Effort) -> Result<(), String> {
    let addr = server(Duration::ZERO, Arc::new(AtomicUsize::new(0))).await?;
    let url = format!("http://{addr}/items");
    let clock = ManualClock::new(SystemTime::now());
    let provider = oauth2(addr, &clock)?;
    provider.prefetch().await.map_err(|e| e.to_string())?;
    let plain = reqwest::Client::new();
    let authed = AuthClient::new(reqwest::Client::new(), provider.clone());

    let plain_send = {
        let (client, url) = (plain.clone(), url.clone());
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                match client.get(&url).send().await {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                }
            }
        }
    };
    let sender = |client: AuthClient| {
        let url = url.clone();
        move || {
            let (client, url) = (client.clone(), url.clone());
            async move {
                match client.get(&url).send().await {
                    Ok(response) => {
                        response.status().is_success() && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                }
            }
        }
    };
    let auth_send = sender(authed.clone());
    let result = paired_rates(
        effort.repeats,
        ROUND,
        WORKERS,
        auth_send,
        plain_send.clone(),
    )
    .await;
    report(
        "GET throughput, AuthClient (cached OAuth2) vs plain reqwest",
        result.ratio,
        "x",
        ">= 0.97 x",
    );
    println!(
        "  ({:.0} against {:.0} requests/s, {WORKERS} concurrent, rounds of {} s, {}; 127.0.0.1)",
        result.ours,
        result.baseline,
        ROUND.as_secs(),
        result.spread()
    );
    // The same without the copy each request keeps for a possible replay: what replay costs.
    let no_replay = sender(authed.with_replay_policy(auth_http::ReplayPolicy::never()));
    let result = paired_rates(effort.repeats, ROUND, WORKERS, no_replay, plain_send).await;
    report(
        "GET throughput, AuthClient with replay off vs plain reqwest",
        result.ratio,
        "x",
        "report",
    );
    println!("  ({})", result.spread());
    crate::layer::throughput(effort, &url, provider, ROUND, WORKERS).await
}

/// Sends `count` GETs one after another through `client` ("plain" reqwest, "header" for it
/// with the header set by hand, "auth" for
/// `AuthClient`, "hyper" for a bare hyper-util client, "hyper-header" for it with the header set by hand,
/// "layer" for it with `AuthLayer`), on a
/// one-thread runtime, and nothing else: a run under `valgrind --tool=callgrind` then counts the
/// instructions one request costs, repeatably, whatever else the machine is doing.
pub(crate) fn sequential(client: &str, count: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let addr = server(Duration::ZERO, Arc::new(AtomicUsize::new(0))).await?;
        let url = format!("http://{addr}/items");
        let clock = ManualClock::new(SystemTime::now());
        let provider = oauth2(addr, &clock)?;
        provider.prefetch().await.map_err(|e| e.to_string())?;
        match client {
            "plain" => {
                let client = reqwest::Client::new();
                for _ in 0..count {
                    let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
                    let _ = response.bytes().await;
                }
            }
            "header" => {
                // Plain reqwest with the same header set by hand: what a header alone costs.
                let client = reqwest::Client::new();
                let token = provider.token().await.map_err(|e| e.to_string())?;
                for _ in 0..count {
                    let response = client
                        .get(&url)
                        .header(http::header::AUTHORIZATION, token.header_value().clone())
                        .send()
                        .await
                        .map_err(|e| e.to_string())?;
                    let _ = response.bytes().await;
                }
            }
            "auth" => {
                let client = AuthClient::new(reqwest::Client::new(), provider);
                for _ in 0..count {
                    let response = client.get(&url).send().await.map_err(|e| e.to_string())?;
                    let _ = response.bytes().await;
                }
            }
            "hyper" | "hyper-header" | "layer" => {
                let how = match client {
                    "layer" => crate::layer::Hyper::Layer,
                    "hyper-header" => crate::layer::Hyper::Header,
                    _ => crate::layer::Hyper::Bare,
                };
                crate::layer::sequential(how, &url, provider, count).await?;
            }
            other => return Err(format!("--sequential takes plain, header, auth, hyper, hyper-header or layer, not {other}")),
        }
        Ok(())
    })
}
