//! Caching and renewal, driven by the test clock.

use std::time::Duration;

use auth_core::AuthProvider;
use auth_oauth2::{ClientAuth, OAuth2Config, PasswordGrant};

use crate::script::{
    Reply, Script, TOKEN_URL, cc, clock, oauth_error, ok, ok_with_refresh, provider,
};

#[tokio::test]
async fn sequential_calls_send_one_request() {
    let script = Script::new([ok("tok", 3600)]);
    let provider = provider(cc(), &script, &clock());
    for _ in 0..100 {
        assert_eq!(provider.token().await.unwrap().expose_credential(), "tok");
    }
    assert_eq!(script.count(), 1);
}

#[tokio::test]
async fn token_now_answers_only_from_a_valid_cache() {
    let clock = clock();
    let script = Script::new([ok("one", 100), ok("two", 100)]);
    let provider = provider(cc(), &script, &clock);
    assert!(
        provider.token_now().is_none(),
        "nothing cached, nothing sent"
    );
    assert_eq!(script.count(), 0);
    provider.token().await.unwrap();
    assert_eq!(provider.token_now().unwrap().expose_credential(), "one");
    clock.advance(Duration::from_secs(100));
    assert!(provider.token_now().is_none(), "expired");
    assert_eq!(script.count(), 1, "token_now never sends a request");
}

#[tokio::test]
async fn expiry_honours_clock_skew() {
    let clock = clock();
    let script = Script::new([ok("one", 100), ok("two", 100)]);
    let provider = provider(cc().clock_skew(Duration::from_secs(10)), &script, &clock);
    assert_eq!(provider.token().await.unwrap().expose_credential(), "one");
    clock.advance(Duration::from_secs(89));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "one");
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "two",
        "at 100 - 10 s"
    );
    assert_eq!(script.count(), 2);
}

#[tokio::test]
async fn a_huge_clock_skew_is_clamped_to_half_the_lifetime() {
    let clock = clock();
    let script = Script::new([ok("one", 100), ok("two", 100)]);
    let provider = provider(cc().clock_skew(Duration::from_secs(3600)), &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(49));
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "one",
        "no request storm"
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "two");
}

#[tokio::test]
async fn expires_in_missing_string_float_and_zero() {
    for (json, valid_for) in [
        (r#"{"access_token":"t"}"#, 1800), // default_token_exp_time
        (r#"{"access_token":"t","expires_in":"120"}"#, 120),
        (r#"{"access_token":"t","expires_in":90.5}"#, 91), // valid at 90 s, not at 91 s
        (r#"{"access_token":"t","expires_in":0}"#, 0),
    ] {
        let clock = clock();
        let script = Script::new([]);
        script.always(Reply::Json(200, json.to_owned()));
        let config = cc().default_token_exp_time(Duration::from_secs(1800));
        let provider = provider(config, &script, &clock);
        provider.token().await.unwrap();
        if valid_for > 0 {
            clock.advance(Duration::from_secs(valid_for - 1));
            provider.token().await.unwrap();
            assert_eq!(script.count(), 1, "{json}: still valid");
        }
        clock.advance(Duration::from_secs(1));
        provider.token().await.unwrap();
        assert_eq!(script.count(), 2, "{json}: renewed after {valid_for} s");
    }
}

#[tokio::test]
async fn refresh_token_grant_keeps_the_newest_rotated_token() {
    let clock = clock();
    let script = Script::new([
        ok_with_refresh("a1", 60, "rt-2"),
        ok("a2", 60), // no new refresh token: keep rt-2
        ok_with_refresh("a3", 60, "rt-3"),
        ok("a4", 60),
    ]);
    let config = OAuth2Config::refresh_token("https://idp.example/refresh", "rt-1")
        .client_auth(ClientAuth::basic("id", "s"));
    let provider = provider(config, &script, &clock);
    for _ in 0..4 {
        provider.token().await.unwrap();
        clock.advance(Duration::from_secs(61));
    }
    let sent: Vec<_> = script
        .seen()
        .iter()
        .map(|s| s.param("refresh_token").unwrap().to_owned())
        .collect();
    assert_eq!(sent, ["rt-1", "rt-2", "rt-2", "rt-3"]);
}

#[tokio::test]
async fn password_grant_refreshes_then_falls_back_on_invalid_grant() {
    let clock = clock();
    let script = Script::new([
        ok_with_refresh("p1", 60, "rt-1"),
        ok_with_refresh("r1", 60, "rt-2"),
        oauth_error(400, "invalid_grant"),
        ok_with_refresh("p2", 60, "rt-3"),
    ]);
    let config =
        OAuth2Config::password(TOKEN_URL, "alice", "pw").client_auth(ClientAuth::basic("id", "s"));
    let provider = provider(config, &script, &clock);
    assert_eq!(provider.token().await.unwrap().expose_credential(), "p1");
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "r1");
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "p2");
    let grants: Vec<_> = script
        .seen()
        .iter()
        .map(|s| s.param("grant_type").unwrap().to_owned())
        .collect();
    assert_eq!(
        grants,
        ["password", "refresh_token", "refresh_token", "password"]
    );
    assert_eq!(script.seen()[2].param("refresh_token"), Some("rt-2"));
}

#[tokio::test]
async fn fallback_can_be_switched_off() {
    let clock = clock();
    let script = Script::new([
        ok_with_refresh("p1", 60, "rt-1"),
        oauth_error(400, "invalid_grant"),
    ]);
    let config = OAuth2Config::new(
        TOKEN_URL,
        PasswordGrant::new("alice", "pw").fallback_on_invalid_grant(false),
    );
    let provider = provider(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    let err = provider.token().await.unwrap_err();
    assert!(err.message().contains("invalid_grant"), "{err}");
    assert_eq!(script.count(), 2);
}

#[tokio::test]
async fn password_grant_without_a_refresh_token_runs_the_grant_again() {
    let clock = clock();
    let script = Script::new([ok("p1", 60), ok("p2", 60)]);
    let provider = provider(
        OAuth2Config::password(TOKEN_URL, "alice", "pw"),
        &script,
        &clock,
    );
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "p2");
    assert_eq!(script.last().param("grant_type"), Some("password"));
}

#[tokio::test]
async fn client_credentials_ignores_refresh_tokens() {
    let clock = clock();
    let script = Script::new([ok_with_refresh("c1", 60, "rt"), ok("c2", 60)]);
    let provider = provider(cc(), &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    provider.token().await.unwrap();
    assert_eq!(
        script.last().param("grant_type"),
        Some("client_credentials")
    );
}

#[tokio::test]
async fn invalidate_drops_only_that_token() {
    let script = Script::new([ok("first", 3600), ok("second", 3600)]);
    let provider = provider(cc(), &script, &clock());
    let first = provider.token().await.unwrap();
    provider.invalidate(&first);
    let second = provider.token().await.unwrap();
    assert_eq!(second.expose_credential(), "second");
    provider.invalidate(&first); // stale: a newer token is cached
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "second"
    );
    assert_eq!(script.count(), 2);
}

#[tokio::test]
async fn building_sends_nothing_and_prefetch_fetches() {
    let script = Script::new([ok("tok", 3600)]);
    let provider = provider(cc(), &script, &clock());
    assert_eq!(script.count(), 0);
    provider.prefetch().await.unwrap();
    assert_eq!(script.count(), 1);
    provider.token().await.unwrap();
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn refresh_ahead_serves_the_old_token_while_one_background_request_renews() {
    let clock = clock();
    let script = Script::new([ok("old", 100), ok("new", 100)]);
    // On the test's runtime, so the yields below let the background renewal run.
    let provider = auth_oauth2::OAuth2Provider::builder(cc(), script.clone())
        .clock(std::sync::Arc::new(clock.clone()))
        .runtime(tokio::runtime::Handle::current())
        .build()
        .unwrap();
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(85)); // past 80 % of 100 s
    for _ in 0..20 {
        assert_eq!(provider.token().await.unwrap().expose_credential(), "old");
    }
    // Let the background task run.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    assert_eq!(script.count(), 2, "exactly one background request");
    assert_eq!(provider.token().await.unwrap().expose_credential(), "new");
}
