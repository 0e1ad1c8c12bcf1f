//! Single flight, cancel-safety and stale invalidation under concurrency.

use std::sync::Arc;
use std::time::Duration;

use auth_core::AuthProvider;
use auth_oauth2::OAuth2Config;

use crate::script::{Script, cc, clock, ok, ok_with_refresh, provider};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_callers_at_expiry_send_exactly_one_request() {
    let clock = clock();
    let (script, gate) = Script::held([ok("first", 60), ok("second", 60)]);
    let provider = Arc::new(provider(cc(), &script, &clock));
    gate.add_permits(1);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));

    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let provider = Arc::clone(&provider);
            tokio::spawn(async move { provider.token().await.unwrap() })
        })
        .collect();
    // Every caller is now waiting on the one request, which the endpoint holds.
    while script.count() < 2 {
        tokio::task::yield_now().await;
    }
    gate.add_permits(1);
    for task in tasks {
        assert_eq!(task.await.unwrap().expose_credential(), "second");
    }
    assert_eq!(
        script.count(),
        2,
        "one initial request and exactly one renewal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_caller_does_not_abort_the_refresh_or_lose_the_rotated_token() {
    let clock = clock();
    let (script, gate) = Script::held([
        ok_with_refresh("a1", 60, "rt-2"),
        ok_with_refresh("a2", 60, "rt-3"),
    ]);
    let config = OAuth2Config::refresh_token("https://idp.example/refresh", "rt-1");
    let provider = Arc::new(provider(config, &script, &clock));

    let first = tokio::spawn({
        let provider = Arc::clone(&provider);
        async move { provider.token().await }
    });
    while script.count() < 1 {
        tokio::task::yield_now().await;
    }
    first.abort(); // the only caller goes away mid-refresh
    assert!(first.await.unwrap_err().is_cancelled());
    gate.add_permits(1);

    // The refresh finished anyway: its token is cached and its rotated refresh token kept.
    let mut token = None;
    for _ in 0..1000 {
        if script.count() == 1
            && let Ok(Ok(t)) =
                tokio::time::timeout(Duration::from_millis(1), provider.token()).await
        {
            token = Some(t);
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(token.unwrap().expose_credential(), "a1");
    assert_eq!(
        script.count(),
        1,
        "the aborted caller's request served the next caller"
    );

    clock.advance(Duration::from_secs(61));
    gate.add_permits(1);
    provider.token().await.unwrap();
    assert_eq!(
        script.last().param("refresh_token"),
        Some("rt-2"),
        "rotated token was kept"
    );
}

#[tokio::test]
async fn a_stale_invalidate_does_not_evict_a_newer_token() {
    let script = Script::new([ok("t1", 3600), ok("t2", 3600)]);
    let provider = provider(cc(), &script, &clock());
    let t1 = provider.token().await.unwrap();
    provider.invalidate(&t1);
    let t2 = provider.token().await.unwrap();
    // Two requests failed with t1 concurrently; the second invalidation arrives late.
    provider.invalidate(&t1);
    assert!(provider.token().await.unwrap().same_credential(&t2));
    assert_eq!(script.count(), 2);
}

/// Callers on another runtime get the token even when the runtime whose caller started the
/// refresh stops being driven (the refresh does not run on a caller's runtime).
#[test]
fn a_refresh_finishes_when_the_runtime_that_started_it_stops() {
    let (script, gate) = Script::held([ok("shared", 3600)]);
    let provider = Arc::new(provider(cc(), &script, &clock()));

    // Runtime A, current-thread: its caller starts the refresh, then A is no longer driven.
    let a = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Arc::clone(&provider);
    let mut first = Box::pin(async move { started.token().await });
    a.block_on(async {
        let _ = tokio::time::timeout(Duration::from_millis(50), &mut first).await;
    });
    while script.count() < 1 {
        std::thread::sleep(Duration::from_millis(5));
    }

    // Runtime B: a caller joins the refresh in flight and gets its token once the server
    // answers, while A sits idle.
    let b = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    gate.add_permits(1);
    let token = b
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), provider.token()).await })
        .expect("the caller on runtime B waited forever")
        .unwrap();
    assert_eq!(token.expose_credential(), "shared");
    assert_eq!(script.count(), 1, "B joined A's refresh");
    drop(first);
    drop(a);
}
