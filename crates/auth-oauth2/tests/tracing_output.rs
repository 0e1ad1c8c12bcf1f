//! What the provider tells `tracing`: a span per token request with its fields, and never a
//! secret or a token, even at TRACE level.
//!
//! A test binary of its own: `tracing` caches per call site whether anyone listens, and a test
//! running in parallel on another thread, with no subscriber, can race the thread-local one
//! set here.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

#[path = "all/script.rs"]
#[allow(dead_code, reason = "shared with the main test binary")]
mod script;

use std::io::Write;
use std::sync::{Arc, Mutex};

use auth_core::AuthProvider;
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, RetryPolicy};

use crate::script::{Reply, Script, TOKEN_URL, clock};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn spans_and_events_carry_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let script = Script::new([
        Reply::Json(503, r#"{"error":"temporarily_unavailable","error_description":"pw-marker-9 rejected"}"#.into()),
        Reply::Json(200, r#"{"access_token":"access-marker-7","refresh_token":"refresh-marker-8","expires_in":60}"#.into()),
    ]);
    let config = OAuth2Config::password(TOKEN_URL, "alice", "pw-marker-9")
        .client_auth(ClientAuth::basic("id", "client-marker-6"));
    let provider = OAuth2Provider::builder(config, script.clone())
        .clock(Arc::new(clock()))
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    provider.token().await.unwrap();
    provider.token().await.unwrap();

    let output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(output.contains("oauth2.token_request"), "{output}");
    assert!(output.contains("grant=\"password\""), "{output}");
    assert!(output.contains("endpoint=idp.example"), "{output}");
    assert!(output.contains("attempt=2"), "{output}");
    assert!(
        output.contains("status=503") && output.contains("status=200"),
        "{output}"
    );
    assert!(output.contains("token cache hit"), "{output}");
    for marker in [
        "pw-marker-9",
        "access-marker-7",
        "refresh-marker-8",
        "client-marker-6",
    ] {
        assert!(
            !output.contains(marker),
            "{marker} leaked into tracing output:\n{output}"
        );
    }
}
