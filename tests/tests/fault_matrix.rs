//! The fault matrix: every grant, through the real reqwest transport, against a token server on
//! 127.0.0.1 that misbehaves in each way a real one can. For each fault: the documented typed
//! error (or success after a retry), no panic, recovery on the next call once the fault clears,
//! and the number of requests within the documented bound. Prints the table that
//! docs/reliability.md copies.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth::http::{ClientSettings, ReqwestTransport};
use auth::oauth2::{
    Assertion, ClientAuth, OAuth2Config, OAuth2Provider, RetryPolicy, TokenEndpointError,
};
use auth_core::clock::ManualClock;
use auth_core::{AuthProvider, ErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    Status500,
    Status502,
    Status503RetryAfter,
    Status429RetryAfter,
    InvalidGrant,
    InvalidClient,
    Status400NotJson,
    Ok200NotJson,
    Ok200NoToken,
    Ok200NumberToken,
    Oversized,
    Slow,
    ResetMidBody,
}

struct Server {
    port: u16,
    fault: Arc<Mutex<Fault>>,
    requests: Arc<AtomicUsize>,
}

async fn read_request(stream: &mut TcpStream) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return Some(());
            }
        }
    }
}

fn response(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

async fn serve(mut stream: TcpStream, fault: Fault) {
    if read_request(&mut stream).await.is_none() {
        return;
    }
    let ok = r#"{"access_token":"good-token","token_type":"Bearer","expires_in":60,"refresh_token":"rt-next"}"#;
    let text = match fault {
        Fault::None => response("200 OK", "", ok),
        Fault::Status500 => response("500 Internal Server Error", "", "{}"),
        Fault::Status502 => response("502 Bad Gateway", "", "<html>bad gateway</html>"),
        Fault::Status503RetryAfter => {
            response("503 Service Unavailable", "retry-after: 1\r\n", "{}")
        }
        Fault::Status429RetryAfter => response("429 Too Many Requests", "retry-after: 1\r\n", "{}"),
        Fault::InvalidGrant => response("400 Bad Request", "", r#"{"error":"invalid_grant"}"#),
        Fault::InvalidClient => response("401 Unauthorized", "", r#"{"error":"invalid_client"}"#),
        Fault::Status400NotJson => response("400 Bad Request", "", "<html>no</html>"),
        Fault::Ok200NotJson => response("200 OK", "", "<html>sign in</html>"),
        Fault::Ok200NoToken => response("200 OK", "", r#"{"token_type":"Bearer"}"#),
        Fault::Ok200NumberToken => response("200 OK", "", r#"{"access_token":12345}"#),
        Fault::Oversized => response(
            "200 OK",
            "",
            &format!(r#"{{"access_token":"{}"}}"#, "x".repeat(300 * 1024)),
        ),
        Fault::Slow => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            response("200 OK", "", ok)
        }
        Fault::ResetMidBody => {
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{\"access_to";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            // Abort the connection: a reset (RST), not an orderly close.
            let _ = stream.set_zero_linger();
            drop(stream);
            return;
        }
    };
    let _ = stream.write_all(text.as_bytes()).await;
    let _ = stream.shutdown().await;
}

async fn server() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let fault = Arc::new(Mutex::new(Fault::None));
    let requests = Arc::new(AtomicUsize::new(0));
    let (f, r) = (Arc::clone(&fault), Arc::clone(&requests));
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            r.fetch_add(1, Ordering::SeqCst);
            let current = *f.lock().unwrap();
            tokio::spawn(serve(stream, current));
        }
    });
    Server {
        port,
        fault,
        requests,
    }
}

fn grants(url: &str) -> Vec<(&'static str, OAuth2Config)> {
    vec![
        (
            "client_credentials",
            OAuth2Config::client_credentials(url, ClientAuth::basic("id", "secret")),
        ),
        ("password", OAuth2Config::password(url, "alice", "pw")),
        ("refresh_token", OAuth2Config::refresh_token(url, "rt-1")),
        (
            "jwt-bearer",
            OAuth2Config::jwt_bearer(url, Assertion::fixed("eyJ.e30.sig")),
        ),
    ]
}

fn provider(config: OAuth2Config, clock: &ManualClock) -> OAuth2Provider {
    let settings = ClientSettings::default()
        .request_timeout(Duration::from_millis(500))
        .connect_timeout(Duration::from_millis(500));
    let transport = ReqwestTransport::new(&settings).unwrap();
    let mut retry = RetryPolicy::default();
    retry.initial_backoff = Duration::from_millis(10);
    retry.max_backoff = Duration::from_millis(20);
    OAuth2Provider::builder(config, Arc::new(transport))
        .clock(Arc::new(clock.clone()))
        .retry_policy(retry)
        .refresh_ahead(None)
        .build()
        .unwrap()
}

/// A fault, its name, the error kind and retryability expected, the most requests one call may
/// send, and what the message must say.
type Expectation = (
    Fault,
    &'static str,
    Option<ErrorKind>,
    bool,
    usize,
    &'static str,
);

fn expectations() -> Vec<Expectation> {
    vec![
        (
            Fault::Status500,
            "500",
            Some(ErrorKind::Transport),
            true,
            3,
            "HTTP 500",
        ),
        (
            Fault::Status502,
            "502",
            Some(ErrorKind::Transport),
            true,
            3,
            "HTTP 502",
        ),
        (
            Fault::Status503RetryAfter,
            "503 + Retry-After: 1",
            Some(ErrorKind::Transport),
            true,
            3,
            "HTTP 503",
        ),
        (
            Fault::Status429RetryAfter,
            "429 + Retry-After: 1",
            Some(ErrorKind::Transport),
            true,
            3,
            "HTTP 429",
        ),
        (
            Fault::InvalidGrant,
            "400 invalid_grant",
            Some(ErrorKind::Rejected),
            false,
            1,
            "invalid_grant",
        ),
        (
            Fault::InvalidClient,
            "401 invalid_client",
            Some(ErrorKind::Rejected),
            false,
            1,
            "invalid_client",
        ),
        (
            Fault::Status400NotJson,
            "400, non-JSON body",
            Some(ErrorKind::Rejected),
            false,
            1,
            "non-JSON",
        ),
        (
            Fault::Ok200NotJson,
            "200, non-JSON body",
            Some(ErrorKind::Other),
            false,
            1,
            "not a JSON object",
        ),
        (
            Fault::Ok200NoToken,
            "200 without access_token",
            Some(ErrorKind::Other),
            false,
            1,
            "no `access_token`",
        ),
        (
            Fault::Ok200NumberToken,
            "200, non-string access_token",
            Some(ErrorKind::Other),
            false,
            1,
            "JSON number",
        ),
        (
            Fault::Oversized,
            "oversized body (300 KiB)",
            Some(ErrorKind::Other),
            false,
            1,
            "larger than",
        ),
        (
            Fault::Slow,
            "slower than the 500 ms timeout",
            Some(ErrorKind::Transport),
            true,
            3,
            "timed out",
        ),
        (
            Fault::ResetMidBody,
            "connection reset mid-body",
            Some(ErrorKind::Transport),
            true,
            3,
            "token request",
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_grant_against_every_fault() {
    let server = server().await;
    let url = format!("http://127.0.0.1:{}/token", server.port);
    let mut table = vec![
        "| fault | grant | error kind | retryable | requests | recovered |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    for (fault, name, kind, retryable, max_requests, says) in expectations() {
        for (grant, config) in grants(&url) {
            let clock = ManualClock::starting_now();
            let provider = provider(config, &clock);
            *server.fault.lock().unwrap() = fault;
            let before = server.requests.load(Ordering::SeqCst);
            let err = provider
                .token()
                .await
                .expect_err(&format!("{name} / {grant} must fail"));
            let sent = server.requests.load(Ordering::SeqCst) - before;
            let details = std::error::Error::source(&err)
                .and_then(|s| s.downcast_ref::<TokenEndpointError>());
            assert_eq!(Some(err.kind()), kind, "{name} / {grant}: {err}");
            assert_eq!(err.is_retryable(), retryable, "{name} / {grant}: {err}");
            assert!(
                err.to_string().contains(says),
                "{name} / {grant}: `{err}` should say `{says}`"
            );
            assert!(details.is_some(), "{name} / {grant}: details attached");
            assert!(
                sent >= 1 && sent <= max_requests,
                "{name} / {grant}: {sent} requests, bound {max_requests}"
            );
            // The fault clears; after any failure penalty the next call recovers.
            *server.fault.lock().unwrap() = Fault::None;
            clock.advance(Duration::from_secs(2));
            let recovered = provider
                .token()
                .await
                .map(|t| t.expose_credential() == "good-token");
            assert!(
                matches!(recovered, Ok(true)),
                "{name} / {grant}: {recovered:?}"
            );
            table.push(format!(
                "| {name} | {grant} | {:?} | {retryable} | {sent} (bound {max_requests}) | yes |",
                err.kind()
            ));
        }
    }

    // A refused connection: nothing listens on the port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for (grant, config) in grants(&format!("http://127.0.0.1:{port}/token")) {
        let clock = ManualClock::starting_now();
        let err = provider(config, &clock).token().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport, "{grant}: {err}");
        assert!(err.is_retryable());
        assert!(
            err.to_string().contains("after 3 attempts"),
            "{grant}: {err}"
        );
        table.push(format!(
            "| connection refused | {grant} | Transport | true | 3 attempts | n/a |"
        ));
    }
    println!("\n{}\n", table.join("\n"));
}
