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
        Reply::Json(503, r#"{"error":"temporarily_unavailable","error_description":"p&w m+rker:9ü rejected"}"#.into()),
        Reply::Json(200, r#"{"access_token":"access-marker-7","refresh_token":"r+fresh/m=rker8","expires_in":60}"#.into()),
    ]);
    let config = OAuth2Config::password(TOKEN_URL, "alice", "p&w m+rker:9ü")
        .client_auth(ClientAuth::basic("id", "cl!ent m@rker%6"));
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
    // Each secret and the forms it takes on the wire (form-encoded, and with `%20` for a
    // space); the access token is a header value and goes out as is.
    let wire_forms = |secret: &str| {
        let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        [secret.to_owned(), form.replace('+', "%20"), form]
    };
    let markers: Vec<String> = ["p&w m+rker:9ü", "r+fresh/m=rker8", "cl!ent m@rker%6"]
        .into_iter()
        .flat_map(wire_forms)
        .chain(["access-marker-7".to_owned(), "rker".to_owned()])
        .collect();
    for marker in &markers {
        assert!(
            !output.contains(marker.as_str()),
            "{marker} leaked into tracing output:\n{output}"
        );
    }
}
