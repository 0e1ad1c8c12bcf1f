//! The caching provider: sign once per validity window, renew ahead of expiry, invalidate.

use std::sync::Arc;
use std::time::Duration;

use auth_core::clock::ManualClock;
use auth_core::{AuthProvider, Scheme};
use auth_jwt_issuer::{Algorithm, JwtIssuer, JwtProvider, SigningKey};

use crate::helpers::{at, decode};

fn provider(clock: &ManualClock, exp_time: u64) -> JwtProvider {
    let issuer = JwtIssuer::builder()
        .issuer("provider-test")
        .exp_time(Duration::from_secs(exp_time))
        .signer(
            SigningKey::hmac(Algorithm::Hs256, "a shared secret of at least 32 bytes!").unwrap(),
        )
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    JwtProvider::new(issuer)
}

#[tokio::test]
async fn signs_once_per_window_and_renews_at_the_leeway_point() {
    let clock = ManualClock::new(at(1_000_000));
    let provider = provider(&clock, 300).with_leeway(Duration::from_secs(30));
    let first = provider.token().await.unwrap();
    assert_eq!(first.scheme(), &Scheme::Bearer);
    assert_eq!(first.expires_at(), Some(at(1_000_300)));
    for _ in 0..100 {
        assert!(provider.token().await.unwrap().same_credential(&first));
    }
    clock.advance(Duration::from_secs(269));
    assert!(
        provider.token().await.unwrap().same_credential(&first),
        "still before exp - leeway"
    );
    clock.advance(Duration::from_secs(1));
    let second = provider.token().await.unwrap();
    assert!(!second.same_credential(&first), "renewed 30 s before exp");
    let (_, claims, _) = decode(second.expose_credential());
    assert_eq!(claims["iat"], 1_000_270);
}

#[tokio::test]
async fn leeway_is_clamped_to_half_the_lifetime() {
    let clock = ManualClock::new(at(2_000_000));
    let provider = provider(&clock, 10).with_leeway(Duration::from_secs(3600));
    let first = provider.token().await.unwrap();
    clock.advance(Duration::from_secs(4));
    assert!(
        provider.token().await.unwrap().same_credential(&first),
        "reused for half of 10 s"
    );
    clock.advance(Duration::from_secs(1));
    assert!(!provider.token().await.unwrap().same_credential(&first));
}

#[tokio::test]
async fn invalidate_drops_exactly_the_rejected_token() {
    let clock = ManualClock::new(at(3_000_000));
    let provider = provider(&clock, 300);
    let first = provider.token().await.unwrap();
    provider.invalidate(&auth_core::Token::bearer("some-older-token").unwrap());
    assert!(provider.token().await.unwrap().same_credential(&first));
    provider.invalidate(&first);
    let second = provider.token().await.unwrap();
    assert!(!second.same_credential(&first));
}

#[tokio::test]
async fn fresh_per_request_signs_every_time() {
    let clock = ManualClock::new(at(4_000_000));
    let provider = provider(&clock, 300).fresh_per_request(true);
    let a = provider.token().await.unwrap();
    let b = provider.token().await.unwrap();
    assert!(!a.same_credential(&b), "fresh jti each time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_at_expiry_share_one_signature() {
    let clock = ManualClock::new(at(5_000_000));
    let provider = Arc::new(provider(&clock, 300));
    let first = provider.token().await.unwrap();
    clock.advance(Duration::from_secs(300));
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.token().await.unwrap() })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    assert!(tokens.iter().all(|t| !t.same_credential(&first)));
    assert!(
        tokens.iter().all(|t| t.same_credential(&tokens[0])),
        "one new token for all callers"
    );
}

#[tokio::test]
async fn debug_shows_no_key_or_token() {
    let clock = ManualClock::new(at(6_000_000));
    let provider = provider(&clock, 300);
    let token = provider.token().await.unwrap();
    let debug = format!("{provider:?}");
    assert!(!debug.contains(token.expose_credential()), "{debug}");
    assert!(!debug.contains("a shared secret"), "{debug}");
    assert!(
        debug.contains("Hs256") && debug.contains("provider-test"),
        "{debug}"
    );
}

/// A signer as slow as a remote key service, counting its calls; it fails when told to.
#[derive(Debug)]
struct SlowSigner {
    calls: std::sync::atomic::AtomicUsize,
    fail: bool,
}

impl auth_jwt_issuer::JwsSigner for SlowSigner {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Hs256
    }

    fn sign(&self, _signing_input: &[u8]) -> auth_core::Result<Vec<u8>> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Blocks its worker, as a synchronous remote signer does.
        std::thread::sleep(Duration::from_millis(300));
        if self.fail {
            return Err(auth_core::Error::transport(
                "the key service did not answer",
            ));
        }
        Ok(vec![7; 32])
    }
}

async fn sixteen_callers_at_once(fail: bool) -> (usize, Vec<auth_core::Result<auth_core::Token>>) {
    let signer = Arc::new(SlowSigner {
        calls: std::sync::atomic::AtomicUsize::new(0),
        fail,
    });
    let issuer = JwtIssuer::builder()
        .issuer("slow-signer-test")
        .shared_signer(signer.clone())
        .build()
        .unwrap();
    let provider = Arc::new(JwtProvider::new(issuer));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.token().await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    (
        signer.calls.load(std::sync::atomic::Ordering::SeqCst),
        results,
    )
}

/// Callers arriving while a slow signature is in progress wait for it (on the other worker)
/// instead of signing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_during_a_slow_signature_share_it() {
    let (calls, results) = sixteen_callers_at_once(false).await;
    assert_eq!(calls, 1, "one signature for sixteen callers");
    let tokens: Vec<_> = results.into_iter().map(Result::unwrap).collect();
    assert!(tokens.iter().all(|t| t.same_credential(&tokens[0])));
}

/// A failing signer is asked once for the callers that waited on it, not once per caller (which
/// would make the last wait sixteen times the signer's timeout); they share its error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_waiting_on_a_failed_signature_share_its_error() {
    let (calls, results) = sixteen_callers_at_once(true).await;
    assert_eq!(calls, 1, "one attempt for sixteen callers");
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), auth_core::ErrorKind::Transport);
        assert!(
            err.message().contains("the key service did not answer"),
            "{err}"
        );
    }
}
