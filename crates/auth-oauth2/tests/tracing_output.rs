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

use std::sync::Arc;

use auth_core::AuthProvider;
use auth_core::testing::{CapturedOutput, wire_forms};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, RetryPolicy};
use base64::Engine as _;

use crate::script::{Reply, Script, TOKEN_URL, clock};

#[tokio::test(start_paused = true)]
async fn spans_and_events_carry_no_secret() {
    let captured = CapturedOutput::default();
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
        Reply::Json(200, r#"{"access_token":"acc+ess/m=rker7","refresh_token":"r+fresh/m=rker8","expires_in":60}"#.into()),
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

    let output = captured.text();
    assert!(output.contains("oauth2.token_request"), "{output}");
    assert!(output.contains("grant=\"password\""), "{output}");
    assert!(output.contains("endpoint=idp.example"), "{output}");
    assert!(output.contains("attempt=2"), "{output}");
    assert!(
        output.contains("status=503") && output.contains("status=200"),
        "{output}"
    );
    assert!(output.contains("token cache hit"), "{output}");
    // Each secret and the forms it takes on the wire; the access token is a header value and
    // goes out as is.
    let markers: Vec<String> =
        ["p&w m+rker:9ü", "r+fresh/m=rker8", "cl!ent m@rker%6"]
            .into_iter()
            .flat_map(wire_forms)
            .chain(["acc+ess/m=rker7".to_owned(), "rker".to_owned()])
            // The Basic credential as sent: base64 of `id:secret`, the secret raw or form-encoded.
            .chain(wire_forms("cl!ent m@rker%6")[..3].iter().map(|secret| {
                base64::engine::general_purpose::STANDARD.encode(format!("id:{secret}"))
            }))
            .collect();
    for marker in &markers {
        assert!(
            !output.contains(marker.as_str()),
            "{marker} leaked into tracing output:\n{output}"
        );
    }
}

/// A store that never answers: every operation fails as an unreachable server does.
#[cfg(feature = "store")]
#[derive(Debug)]
struct Unreachable;

#[cfg(feature = "store")]
#[auth_core::async_trait]
impl auth_core::store::TokenStore for Unreachable {
    async fn load(
        &self,
        _: &auth_core::store::StoreKey,
    ) -> auth_core::Result<Option<auth_core::store::StoredRecord>> {
        Err(auth_core::Error::transport("connection refused"))
    }
    async fn save(
        &self,
        _: &auth_core::store::StoreKey,
        _: Option<u64>,
        _: Vec<u8>,
        _: Option<std::time::Duration>,
        _: Option<&auth_core::store::Lease>,
    ) -> auth_core::Result<Option<u64>> {
        Err(auth_core::Error::transport("connection refused"))
    }
    async fn remove(&self, _: &auth_core::store::StoreKey, _: u64) -> auth_core::Result<bool> {
        Err(auth_core::Error::transport("connection refused"))
    }
    async fn try_lease(
        &self,
        _: &auth_core::store::StoreKey,
        _: std::time::Duration,
    ) -> auth_core::Result<Option<auth_core::store::Lease>> {
        Err(auth_core::Error::transport("connection refused"))
    }
    async fn renew_lease(
        &self,
        _: &auth_core::store::StoreKey,
        _: &auth_core::store::Lease,
        _: std::time::Duration,
    ) -> auth_core::Result<bool> {
        Err(auth_core::Error::transport("connection refused"))
    }
    async fn release_lease(
        &self,
        _: &auth_core::store::StoreKey,
        _: &auth_core::store::Lease,
    ) -> auth_core::Result<()> {
        Err(auth_core::Error::transport("connection refused"))
    }
}

/// A store that is down costs one warning, not one per call or per expiry.
#[cfg(feature = "store")]
#[tokio::test] // one thread: the callers' tasks see the subscriber set here
async fn a_store_that_is_down_is_one_warning() {
    let captured = CapturedOutput::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let script = Script::new([]);
    script.always(Reply::Json(
        200,
        r#"{"access_token":"local","expires_in":60}"#.to_owned(),
    ));
    let clock = clock();
    let provider = OAuth2Provider::builder(script::cc(), script.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .store(auth_oauth2::StoreSettings::new(Arc::new(Unreachable)))
        .build()
        .unwrap();
    for _ in 0..5 {
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let provider = provider.clone();
                tokio::spawn(async move { provider.token().await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().expose_credential(), "local");
        }
        clock.advance(std::time::Duration::from_secs(61));
    }
    assert_eq!(script.count(), 5, "one request per expiry, fetched locally");
    let output = captured.text();
    let warnings = output.lines().filter(|line| line.contains("WARN")).count();
    assert_eq!(warnings, 1, "{output}");
    assert!(output.contains("token store unavailable"), "{output}");
}

/// A token exchange whose server issues another token type than requested: one warning that
/// names both types, and never the subject token; an issued type that matches is silent.
#[tokio::test]
async fn another_issued_token_type_is_one_warning_without_the_subject_token() {
    let captured = CapturedOutput::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let issued = |token: &str, kind: &str| {
        Reply::Json(
            200,
            format!(
                r#"{{"access_token":"{token}","issued_token_type":"urn:ietf:params:oauth:token-type:{kind}","expires_in":60}}"#
            ),
        )
    };
    let script = Script::new([issued("first", "jwt"), issued("second", "access_token")]);
    let grant =
        auth_oauth2::TokenExchangeGrant::new(auth_oauth2::SubjectToken::fixed("subj+ct/m=rker5"))
            .requested_token_type(auth_oauth2::TokenExchangeGrant::ACCESS_TOKEN_TYPE);
    let clock = clock();
    let provider = OAuth2Provider::builder(
        OAuth2Config::token_exchange(TOKEN_URL, grant),
        script.clone(),
    )
    .clock(Arc::new(clock.clone()))
    .refresh_ahead(None)
    .build()
    .unwrap();
    assert_eq!(provider.token().await.unwrap().expose_credential(), "first");
    clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(
        provider.token().await.unwrap().expose_credential(),
        "second"
    );

    let output = captured.text();
    let warnings: Vec<&str> = output
        .lines()
        .filter(|line| line.contains("WARN"))
        .collect();
    assert_eq!(warnings.len(), 1, "{output}");
    assert!(
        warnings[0].contains("requested=urn:ietf:params:oauth:token-type:access_token")
            && warnings[0].contains("issued=urn:ietf:params:oauth:token-type:jwt")
            && warnings[0].contains("another token type than requested"),
        "{output}"
    );
    assert!(output.contains("grant=\"token-exchange\""), "{output}");
    for marker in wire_forms("subj+ct/m=rker5")
        .iter()
        .map(String::as_str)
        .chain(["rker5"])
    {
        assert!(!output.contains(marker), "{marker} leaked:\n{output}");
    }
}
