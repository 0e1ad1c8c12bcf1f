//! 10 000 concurrent `token()` calls at expiry against a token endpoint that takes a fixed
//! round trip: how many requests are sent, and how long callers wait compared with one round
//! trip. A release-mode harness (not criterion): one stampede is one measurement.
//!
//! `cargo bench -p auth-oauth2 --bench stampede`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{AuthProvider, ManualClock, async_trait};
use auth_oauth2::{OAuth2Config, OAuth2Provider, TokenTransport, TransportError};

const CALLERS: usize = 10_000;
const ROUND_TRIP: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
struct SlowEndpoint {
    requests: AtomicUsize,
}

#[async_trait]
impl TokenTransport for SlowEndpoint {
    async fn send(
        &self,
        _: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(ROUND_TRIP).await;
        Ok(http::Response::new(
            format!(r#"{{"access_token":"token-{n}","expires_in":60}}"#).into_bytes(),
        ))
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        for round in 1..=3 {
            let endpoint = Arc::new(SlowEndpoint::default());
            let clock = ManualClock::new(SystemTime::now());
            let config = OAuth2Config::client_credentials("https://idp.example/token", "id", "secret");
            let provider = Arc::new(
                OAuth2Provider::builder(config, endpoint.clone())
                    .clock(Arc::new(clock.clone()))
                    .refresh_ahead(None)
                    .build()
                    .expect("provider"),
            );
            provider.prefetch().await.expect("first token");
            clock.advance(Duration::from_secs(61));

            let start = Instant::now();
            let tasks: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let provider = Arc::clone(&provider);
                    tokio::spawn(async move {
                        let begun = Instant::now();
                        provider.token().await.expect("token");
                        begun.elapsed()
                    })
                })
                .collect();
            let mut waits = Vec::with_capacity(CALLERS);
            for task in tasks {
                waits.push(task.await.expect("task"));
            }
            let total = start.elapsed();
            waits.sort();
            let requests = endpoint.requests.load(Ordering::SeqCst) - 1;
            let p50 = percentile(&waits, 0.50);
            let p99 = percentile(&waits, 0.99);
            println!(
                "stampede round {round}: {CALLERS} callers, {requests} token request(s); wait p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; one round trip {:.1} ms; p99/round trip {:.2}; all done in {:.1} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3,
                waits[CALLERS - 1].as_secs_f64() * 1e3,
                ROUND_TRIP.as_secs_f64() * 1e3,
                p99.as_secs_f64() / ROUND_TRIP.as_secs_f64(),
                total.as_secs_f64() * 1e3,
            );
            assert_eq!(requests, 1, "a stampede must send exactly one token request");
        }
    });
}
