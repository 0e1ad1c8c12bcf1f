//! The hot path: a cached credential to an `Authorization` header value, on 1 and 2 threads.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use auth_core::{AuthProvider, SharedAuthProvider, async_trait};
use auth_oauth2::{OAuth2Config, OAuth2Provider, TokenTransport, TransportError};

use crate::Effort;
use crate::measure::{median, now_or_never, ns_per_op, report};

/// A token endpoint that answers at once, so the provider holds a cached OAuth2 token.
#[derive(Debug)]
pub(crate) struct Fixed;

#[async_trait]
impl TokenTransport for Fixed {
    async fn send(
        &self,
        _: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        Ok(http::Response::new(
            br#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.cached.token","expires_in":3600}"#.to_vec(),
        ))
    }
}

pub(crate) fn key(name: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys")
        .join(name)
}

/// One call of the hot path as `auth-http` makes it: the credential without waiting
/// (`token_now`, falling back to `token()`), and an owned header value for the request.
fn call(provider: &dyn AuthProvider) {
    let token = provider
        .token_now()
        .unwrap_or_else(|| now_or_never(provider.token()).expect("cached credential"));
    black_box(token.header_value().clone());
}

/// The same through the async `token()` alone (its boxed future included).
fn call_async(provider: &dyn AuthProvider) {
    let token = now_or_never(provider.token()).expect("cached credential");
    black_box(token.header_value().clone());
}

/// Calls per second on `threads` threads at once, each making `iterations` calls.
fn rate(provider: &SharedAuthProvider, threads: usize, iterations: usize) -> f64 {
    let barrier = Arc::new(Barrier::new(threads));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let provider = provider.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let start = Instant::now();
                for _ in 0..iterations {
                    call(&provider);
                }
                start.elapsed()
            })
        })
        .collect();
    let slowest = workers
        .into_iter()
        .map(|w| w.join().expect("worker"))
        .max()
        .unwrap_or_default();
    (threads * iterations) as f64 / slowest.as_secs_f64()
}

pub(crate) async fn run(effort: Effort) -> Result<(), String> {
    let jwt = auth_jwt_issuer::JwtIssuer::builder()
        .issuer("bench")
        .signer(
            auth_jwt_issuer::SigningKey::from_file(
                auth_jwt_issuer::Algorithm::Rs256,
                key("rsa.pem"),
                None,
            )
            .map_err(|e| e.to_string())?,
        )
        .build()
        .map_err(|e| e.to_string())?;
    let oauth2 = OAuth2Provider::new(
        OAuth2Config::client_credentials(
            "https://idp.example/token",
            auth_oauth2::ClientAuth::basic("id", "secret"),
        ),
        Arc::new(Fixed),
    )
    .map_err(|e| e.to_string())?;
    oauth2.prefetch().await.map_err(|e| e.to_string())?;
    let providers = [
        (
            "Basic",
            SharedAuthProvider::new(
                auth_basic::BasicProvider::new("admin", "123").map_err(|e| e.to_string())?,
            ),
        ),
        (
            "Bearer",
            SharedAuthProvider::new(
                auth_bearer::BearerProvider::new("static-token").map_err(|e| e.to_string())?,
            ),
        ),
        (
            "cached JWT",
            SharedAuthProvider::new(auth_jwt_issuer::JwtProvider::new(jwt)),
        ),
        ("cached OAuth2", SharedAuthProvider::new(oauth2)),
    ];
    let iterations = 200_000 * effort.scale;
    for (name, provider) in &providers {
        call(provider); // warm: the JWT provider signs here
        let ns = ns_per_op(effort.repeats, iterations, || call(provider));
        report(
            &format!("hot path, {name}, 1 thread"),
            ns,
            "ns/call",
            "<= 100 ns",
        );
        let ns = ns_per_op(effort.repeats, iterations, || call_async(provider));
        println!("  (through the async token(), boxed future included: {ns:.0} ns/call)");
    }
    // Long enough (about a tenth of a second per run) that thread start-up does not count.
    let scaling_iterations = 10 * iterations;
    for (name, provider) in &providers {
        let mut ratios: Vec<f64> = (0..effort.repeats)
            .map(|_| {
                rate(provider, 2, scaling_iterations)
                    / (2.0 * rate(provider, 1, scaling_iterations))
            })
            .collect();
        report(
            &format!("hot path, {name}, 2 threads vs linear"),
            median(&mut ratios),
            "x",
            ">= 0.9 x linear scaling",
        );
    }
    Ok(())
}
