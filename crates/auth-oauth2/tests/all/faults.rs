//! A misbehaving token endpoint: typed errors, no panics, recovery, bounded requests.

use std::sync::Arc;
use std::time::Duration;

use auth_core::{AuthProvider, ErrorKind};
use auth_oauth2::{
    ClientAuth, MAX_RESPONSE_BYTES, OAuth2Config, OAuth2Provider, RetryPolicy, TokenEndpointError,
    TransportErrorKind,
};

use crate::script::{Reply, Script, TOKEN_URL, cc, clock, oauth_error, ok, ok_with_refresh};

fn details(err: &auth_core::Error) -> &TokenEndpointError {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<TokenEndpointError>())
        .expect("details attached")
}

/// Retries on, on the test's runtime, whose clock is paused: backoff costs no real time.
fn retrying(script: &Arc<Script>, clock: &auth_core::clock::ManualClock) -> OAuth2Provider {
    retrying_with(cc(), script, clock)
}

fn retrying_with(
    config: OAuth2Config,
    script: &Arc<Script>,
    clock: &auth_core::clock::ManualClock,
) -> OAuth2Provider {
    OAuth2Provider::builder(config, script.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .runtime(tokio::runtime::Handle::current())
        .build()
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn every_fault_is_a_typed_error_and_the_next_call_recovers() {
    let oversized = format!(r#"{{"access_token":"{}"}}"#, "x".repeat(MAX_RESPONSE_BYTES));
    let cases: Vec<(&str, Reply, ErrorKind, bool, &str)> = vec![
        (
            "500",
            Reply::Json(500, "{}".into()),
            ErrorKind::Transport,
            true,
            "HTTP 500",
        ),
        (
            "502",
            Reply::Json(502, "bad gateway".into()),
            ErrorKind::Transport,
            true,
            "HTTP 502",
        ),
        (
            "429",
            Reply::Json(429, "{}".into()),
            ErrorKind::Transport,
            true,
            "HTTP 429",
        ),
        (
            "400 invalid_grant",
            oauth_error(400, "invalid_grant"),
            ErrorKind::Rejected,
            false,
            "invalid_grant",
        ),
        (
            "401 invalid_client",
            oauth_error(401, "invalid_client"),
            ErrorKind::Rejected,
            false,
            "invalid_client",
        ),
        (
            "404",
            Reply::Json(404, "not here".into()),
            ErrorKind::Rejected,
            false,
            "check the token URL",
        ),
        (
            "200 non-JSON",
            Reply::Json(200, "<html>".into()),
            ErrorKind::Other,
            false,
            "not a JSON object",
        ),
        (
            "200 no token",
            Reply::Json(200, "{}".into()),
            ErrorKind::Other,
            false,
            "no `access_token`",
        ),
        (
            "200 number token",
            Reply::Json(200, r#"{"access_token":7}"#.into()),
            ErrorKind::Other,
            false,
            "a JSON number",
        ),
        (
            "200 CRLF token",
            Reply::Json(200, r#"{"access_token":"a\r\nb"}"#.into()),
            ErrorKind::Other,
            false,
            "cannot stand in an HTTP header",
        ),
        (
            "oversized",
            Reply::Json(200, oversized),
            ErrorKind::Other,
            false,
            "over the",
        ),
        (
            "refused",
            Reply::Fail(TransportErrorKind::Connect),
            ErrorKind::Transport,
            true,
            "scripted Connect",
        ),
        (
            "timeout",
            Reply::Fail(TransportErrorKind::Timeout),
            ErrorKind::Transport,
            true,
            "scripted Timeout",
        ),
        (
            "reset",
            Reply::Fail(TransportErrorKind::Io),
            ErrorKind::Transport,
            true,
            "scripted Io",
        ),
        (
            "tls",
            Reply::Fail(TransportErrorKind::Tls),
            ErrorKind::Transport,
            false,
            "certificate",
        ),
    ];
    for (name, fault, kind, transient, says) in cases {
        let clock = clock();
        let script = Script::new([]);
        script.always(fault);
        let provider = retrying(&script, &clock);
        let err = provider.token().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{name}: {err}");
        assert_eq!(err.is_retryable(), transient, "{name}: {err}");
        assert!(
            err.to_string().contains(says),
            "{name}: `{err}` should say `{says}`"
        );
        assert!(
            err.to_string().contains("https://idp.example/oauth2/token"),
            "{name}: {err}"
        );
        let expected_requests = if transient { 3 } else { 1 };
        assert_eq!(script.count(), expected_requests, "{name}: bounded retries");
        assert_eq!(details(&err).attempts(), expected_requests as u32, "{name}");

        // The fault clears; the next call (after any failure penalty) recovers.
        script.always(ok("recovered", 3600));
        clock.advance(Duration::from_secs(61));
        assert_eq!(
            provider.token().await.unwrap().expose_credential(),
            "recovered",
            "{name}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn transient_failures_are_retried_within_one_call() {
    let clock = clock();
    let script = Script::new([
        Reply::Json(503, "{}".into()),
        Reply::Fail(TransportErrorKind::Io),
        ok("t", 3600),
    ]);
    let started = tokio::time::Instant::now();
    let token = retrying(&script, &clock).token().await.unwrap();
    assert_eq!(token.expose_credential(), "t");
    assert_eq!(script.count(), 3);
    // 250 ms then 500 ms of backoff (in paused, auto-advancing test time).
    assert_eq!(started.elapsed(), Duration::from_millis(750));
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_up_to_the_cap() {
    let clock = clock();
    let script = Script::new([
        Reply::WithHeaders(429, vec![("retry-after", "3".into())], b"{}".to_vec()),
        ok("t", 3600),
    ]);
    let started = tokio::time::Instant::now();
    retrying(&script, &clock).token().await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(3));

    let script = Script::new([Reply::WithHeaders(
        503,
        vec![("retry-after", "120".into())],
        b"{}".to_vec(),
    )]);
    let started = tokio::time::Instant::now();
    let err = retrying(&script, &clock).token().await.unwrap_err();
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "does not wait two minutes"
    );
    assert_eq!(details(&err).retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_retryable());
    assert_eq!(script.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_long_retry_after_holds_off_the_following_calls_too() {
    let clock = clock();
    let script = Script::new([Reply::WithHeaders(
        503,
        vec![("retry-after", "120".into())],
        b"{}".to_vec(),
    )]);
    script.always(ok("t", 3600));
    let provider = retrying(&script, &clock);
    provider.token().await.unwrap_err();
    for _ in 0..10 {
        let err = provider.token().await.unwrap_err();
        assert_eq!(details(&err).retry_after(), Some(Duration::from_secs(120)));
    }
    assert_eq!(
        script.count(),
        1,
        "no request before the server's Retry-After"
    );
    clock.advance(Duration::from_secs(121));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t");
}

#[tokio::test]
async fn invalid_client_is_not_hammered() {
    let clock = clock();
    let script = Script::new([]);
    script.always(oauth_error(401, "invalid_client"));
    let provider = OAuth2Provider::builder(cc(), script.clone())
        .clock(Arc::new(clock.clone()))
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    for _ in 0..50 {
        let err = provider.token().await.unwrap_err();
        assert_eq!(details(&err).oauth_error(), Some("invalid_client"));
    }
    assert_eq!(script.count(), 1, "one request, then the penalty answers");
    clock.advance(Duration::from_millis(1001));
    provider.token().await.unwrap_err();
    assert_eq!(script.count(), 2, "one more after the first second");
    for _ in 0..50 {
        provider.token().await.unwrap_err();
    }
    assert_eq!(script.count(), 2, "the penalty doubled");
}

#[tokio::test]
async fn errors_never_contain_secrets_or_bodies() {
    let secret = "s3cr&t +ü:%!";
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    // The server echoes the secret raw, form-encoded, and with `%20` for the space.
    let script = Script::new([Reply::Json(
        400,
        format!(
            r#"{{"error":"invalid_request","error_description":"bad secret {secret} / {form} / {} for client-1","echo":"BODY-MARKER"}}"#,
            form.replace('+', "%20")
        ),
    )]);
    let config = OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::basic("client-1", secret));
    let provider = crate::script::provider(config, &script, &clock());
    let err = provider.token().await.unwrap_err();
    let everything = format!("{err} {err:?} {:?}", details(&err));
    for form in [secret.to_owned(), form.clone(), form.replace('+', "%20")] {
        assert!(!everything.contains(&form), "{form}: {everything}");
    }
    assert!(!everything.contains("s3cr"), "{everything}");
    assert!(!everything.contains("BODY-MARKER"), "{everything}");
    assert!(everything.contains("[redacted]"), "{everything}");
    assert!(!format!("{provider:?}").contains("s3cr"));
}

/// Polls `future` to completion on this thread with no runtime at all, as a blocking program
/// with a minimal executor would.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = std::task::Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut context = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
        std::thread::park_timeout(Duration::from_secs(5));
    }
}

#[test]
fn a_caller_without_any_runtime_gets_its_token() {
    let script = Script::new([ok("t", 3600)]);
    let provider = crate::script::provider(cc(), &script, &clock());
    let token = block_on(provider.token()).unwrap();
    assert_eq!(token.expose_credential(), "t");
    assert_eq!(script.count(), 1);
}

/// A transport that panics on every request.
#[derive(Debug, Default)]
struct Panicking(std::sync::atomic::AtomicUsize);

#[auth_core::async_trait]
impl auth_oauth2::TokenTransport for Panicking {
    async fn send(
        &self,
        _: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, auth_oauth2::TransportError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        panic!("transport bug with password=hunter2-marker");
    }
}

#[tokio::test]
async fn a_panicking_request_fails_its_callers_and_earns_a_penalty() {
    let transport = Arc::new(Panicking::default());
    let clock = clock();
    let provider = OAuth2Provider::builder(cc(), transport.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .build()
        .unwrap();
    let err = provider.token().await.unwrap_err();
    assert!(
        err.message().contains("the token request panicked"),
        "{err}"
    );
    assert!(!err.to_string().contains("hunter2-marker"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Other);
    // The next calls within the penalty get the same error without a request (no storm).
    for _ in 0..20 {
        let again = provider.token().await.unwrap_err();
        assert!(again.message().contains("panicked"), "{again}");
    }
    assert_eq!(transport.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    clock.advance(Duration::from_secs(2));
    provider.token().await.unwrap_err();
    assert_eq!(transport.0.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_kept_even_when_the_access_token_is_unusable() {
    for (body, expected) in [
        (
            r#"{"access_token":"not\nusable","expires_in":60,"refresh_token":"rt-3"}"#,
            "`access_token` holds characters",
        ),
        (
            r#"{"refresh_token":"rt-3","expires_in":60}"#,
            "has no `access_token`",
        ),
    ] {
        let clock = clock();
        let script = Script::new([
            ok_with_refresh("t1", 60, "rt-2"),
            Reply::Json(200, body.into()),
            ok_with_refresh("t3", 60, "rt-4"),
        ]);
        let config = OAuth2Config::refresh_token(TOKEN_URL, "rt-1");
        let provider = crate::script::provider(config, &script, &clock);
        provider.token().await.unwrap();
        clock.advance(Duration::from_secs(61));
        let err = provider.token().await.unwrap_err();
        assert!(err.message().contains(expected), "{body}: {err}");
        clock.advance(Duration::from_secs(2)); // past the failure penalty
        assert_eq!(provider.token().await.unwrap().expose_credential(), "t3");
        // rt-2 was revoked when rt-3 was issued: the next refresh must present rt-3.
        assert_eq!(script.last().param("refresh_token"), Some("rt-3"), "{body}");
    }
}

#[tokio::test]
async fn echoed_custom_header_and_payload_values_are_blanked() {
    // The header value goes out as is; the payload value form-encoded, echoed back decoded.
    let script = Script::new([Reply::Json(
        400,
        r#"{"error":"invalid_request","error_description":"headers X-Api-Key: k3y&+%!@:hdr, body tenant=pay mark+er&x"}"#
            .into(),
    )]);
    let config = cc()
        .custom_header("X-Api-Key", "k3y&+%!@:hdr")
        .custom_payload("tenant=pay%20mark%2Ber%26x");
    let err = crate::script::provider(config, &script, &clock())
        .token()
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(text.contains("invalid_request"), "{text}");
    assert!(!text.contains("k3y") && !text.contains("mark"), "{text}");
}

/// A refresh whose first attempt got no answer (the server rotated the token, the response was
/// lost) is retried with the same refresh token; a rotating server refuses it.
#[tokio::test(start_paused = true)]
async fn a_refresh_token_reused_by_a_retry_is_explained_or_recovered_from() {
    let lost_then_refused = || {
        [
            ok_with_refresh("t1", 60, "rt-2"),
            Reply::Fail(TransportErrorKind::Io),
            oauth_error(400, "invalid_grant"),
        ]
    };
    // The refresh-token grant has nothing to fall back to: the error says why.
    let clock = clock();
    let script = Script::new(lost_then_refused());
    let config = OAuth2Config::refresh_token(TOKEN_URL, "rt-1");
    let provider = retrying_with(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    let err = provider.token().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Rejected);
    assert!(err.message().contains("after 2 attempts"), "{err}");
    assert!(
        err.message().contains("may have used this one already"),
        "{err}"
    );
    let sent: Vec<_> = script
        .seen()
        .iter()
        .map(|s| s.param("refresh_token").map(str::to_owned))
        .collect();
    assert_eq!(
        sent,
        [
            Some("rt-1".into()),
            Some("rt-2".into()),
            Some("rt-2".into())
        ]
    );

    // The password grant logs in again.
    let clock = crate::script::clock();
    let script = Script::new(lost_then_refused());
    script.always(ok("t2", 60));
    let config = OAuth2Config::password(TOKEN_URL, "alice", "pw");
    let provider = retrying_with(config, &script, &clock);
    provider.token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    assert_eq!(provider.token().await.unwrap().expose_credential(), "t2");
    assert_eq!(script.last().param("grant_type"), Some("password"));
}

/// A signer that does not answer in time fails the attempt within the provider's timeout
/// instead of holding every caller; the failure is transient, so it is retried like a network
/// failure (a key service's hiccup is not a broken configuration).
#[cfg(feature = "jwt")]
#[tokio::test]
async fn a_signer_that_hangs_fails_the_attempt_within_the_request_timeout_and_is_retried() {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use auth_jwt_issuer::{Algorithm, JwsSigner};

    /// Hangs on its first `hangs` calls, then answers at once.
    #[derive(Debug)]
    struct Hangs {
        hangs: usize,
        calls: Arc<AtomicUsize>,
    }

    impl JwsSigner for Hangs {
        fn algorithm(&self) -> Algorithm {
            Algorithm::Es256
        }
        fn sign(&self, _: &[u8]) -> auth_core::Result<Vec<u8>> {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.hangs {
                std::thread::sleep(Duration::from_secs(2));
            }
            Ok(vec![0; 64])
        }
    }

    let provider = |hangs: usize,
                    calls: &Arc<AtomicUsize>,
                    retry: RetryPolicy,
                    script: &Arc<Script>| {
        let signer = Hangs {
            hangs,
            calls: Arc::clone(calls),
        };
        let config =
            OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::private_key_jwt("svc", signer));
        OAuth2Provider::builder(config, script.clone())
            .clock(Arc::new(clock()))
            .retry_policy(retry)
            .request_timeout(Duration::from_millis(200))
            .build()
            .unwrap()
    };

    // No retries: the timeout is the error, typed as a transient transport failure.
    let calls = Arc::new(AtomicUsize::new(0));
    let script = Script::new([ok("t", 3600)]);
    let err = provider(1, &calls, RetryPolicy::none(), &script)
        .token()
        .await
        .unwrap_err();
    assert!(
        err.message()
            .contains("the signer did not answer within 0.2 s"),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable());
    assert_eq!(script.count(), 0);

    // With retries: the second attempt signs at once and gets the token.
    let calls = Arc::new(AtomicUsize::new(0));
    let script = Script::new([ok("t", 3600)]);
    let token = provider(1, &calls, RetryPolicy::default(), &script)
        .token()
        .await
        .unwrap();
    assert_eq!(token.expose_credential(), "t");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(script.count(), 1);
}
