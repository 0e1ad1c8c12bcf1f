//! Token stores shared by real OS processes (`store-worker`, one OAuth2 provider each, many
//! callers) against a counting token server on 127.0.0.1 whose tokens expire quickly: one
//! token request per expiry across all of them, with Redis and with the file store; a lease
//! holder killed with SIGKILL; Redis stopped and started again mid-run; garbled records and
//! records sealed under another key; rotating refresh tokens revoked on first use; and no
//! token in the clear in the Redis keyspace or the store directory.
//!
//! Redis tests use the server `.ci/run` starts (`AUTH_REDIS_URL`) or a private
//! `redis-server`; without either they say SKIPPED and pass.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_store_redis::testing::RedisServer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;

/// These tests run one at a time: each loads both cores with its processes. (An async mutex:
/// the guard is held across the test's awaits, on each test's own runtime.)
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().await
}

fn now_ms() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// What the token server does with the first request.
#[derive(Clone, Copy, PartialEq)]
enum First {
    Answer,
    /// Never answer it (its sender is to be killed).
    Hang,
}

struct TokenServer {
    addr: SocketAddr,
    /// When each token request arrived (Unix ms).
    requests: Arc<Mutex<Vec<u64>>>,
    invalid_grants: Arc<AtomicUsize>,
}

impl TokenServer {
    /// Tokens `ACCESS-<n>-<expiry ms>` living `lifetime` seconds, answered after 200 ms; a
    /// refresh token is good for one use (the grant answers with the next one), a second use
    /// is `invalid_grant`.
    async fn start(lifetime: u64, first: First) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests: Arc<Mutex<Vec<u64>>> = Arc::default();
        let invalid_grants = Arc::new(AtomicUsize::new(0));
        let current_refresh = Arc::new(Mutex::new("REFRESH-TOKEN-0".to_owned()));
        let (log, invalid) = (Arc::clone(&requests), Arc::clone(&invalid_grants));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, invalid, current_refresh) = (
                    Arc::clone(&log),
                    Arc::clone(&invalid),
                    Arc::clone(&current_refresh),
                );
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request: http::Request<_>| {
                        let (log, invalid, current_refresh) = (
                            Arc::clone(&log),
                            Arc::clone(&invalid),
                            Arc::clone(&current_refresh),
                        );
                        async move {
                            let body: hyper::body::Incoming = request.into_body();
                            let form = body.collect().await.unwrap().to_bytes();
                            let n = {
                                let mut log = log.lock().unwrap();
                                log.push(now_ms());
                                log.len()
                            };
                            if n == 1 && first == First::Hang {
                                std::future::pending::<()>().await;
                            }
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            let form: Vec<(String, String)> =
                                form_urlencoded::parse(&form).into_owned().collect();
                            let presented = form
                                .iter()
                                .find(|(k, _)| k == "refresh_token")
                                .map(|(_, v)| v.clone());
                            let mut refresh = String::new();
                            if let Some(presented) = presented {
                                let mut current = current_refresh.lock().unwrap();
                                if presented != *current {
                                    invalid.fetch_add(1, Ordering::SeqCst);
                                    return Ok::<_, Infallible>(reply(
                                        400,
                                        r#"{"error":"invalid_grant"}"#.to_owned(),
                                    ));
                                }
                                *current = format!("REFRESH-TOKEN-{n}");
                                refresh = format!(r#","refresh_token":"{current}""#);
                            }
                            let expiry = now_ms() + lifetime * 1000;
                            Ok(reply(
                                200,
                                format!(
                                    r#"{{"access_token":"ACCESS-{n}-{expiry}","expires_in":{lifetime}{refresh}}}"#
                                ),
                            ))
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self {
            addr,
            requests,
            invalid_grants,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/token", self.addr)
    }

    fn requests(&self) -> Vec<u64> {
        self.requests.lock().unwrap().clone()
    }
}

fn reply(status: u16, body: String) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// Where the workers share their tokens.
#[derive(Clone)]
enum Shared {
    Redis { url: String, prefix: String },
    File { dir: std::path::PathBuf },
}

impl Shared {
    fn redis(server: &RedisServer, test: &str) -> Self {
        Self::Redis {
            url: server.url().to_owned(),
            prefix: format!("{test}:{}:", now_ms()),
        }
    }

    fn args(&self) -> Vec<String> {
        match self {
            Self::Redis { url, prefix } => {
                vec![
                    "store=redis".into(),
                    format!("at={url}"),
                    format!("prefix={prefix}"),
                ]
            }
            Self::File { dir } => vec!["store=file".into(), format!("at={}", dir.display())],
        }
    }
}

struct Run<'a> {
    server: &'a TokenServer,
    shared: &'a Shared,
    grant: &'a str,
    callers: usize,
    lease_ttl_ms: u64,
    key: Option<&'a str>,
}

impl Run<'_> {
    /// Starts `processes` workers calling until `until_ms`.
    fn spawn(&self, processes: usize, until_ms: u64) -> Vec<Child> {
        (0..processes)
            .map(|_| {
                let mut command = Command::new(env!("CARGO_BIN_EXE_store-worker"));
                command
                    .arg(format!("token_url={}", self.server.url()))
                    .arg(format!("grant={}", self.grant))
                    .arg(format!("callers={}", self.callers))
                    .arg(format!("until_ms={until_ms}"))
                    .arg(format!("lease_ttl_ms={}", self.lease_ttl_ms))
                    .args(self.shared.args())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                if let Some(key) = self.key {
                    command.arg(format!("key={key}"));
                }
                command.spawn().unwrap()
            })
            .collect()
    }

    /// Runs `processes` workers for `seconds` and returns their reports.
    async fn run(&self, processes: usize, seconds: f64) -> Vec<Value> {
        let until = now_ms() + (seconds * 1000.0) as u64;
        reports(self.spawn(processes, until)).await
    }
}

async fn reports(children: Vec<Child>) -> Vec<Value> {
    tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(output.status.success(), "a worker failed: {stderr}");
                serde_json::from_slice(&output.stdout).unwrap()
            })
            .collect()
    })
    .await
    .unwrap()
}

/// Every worker got tokens, none an error, none past its expiry.
fn assert_clean(reports: &[Value]) {
    for report in reports {
        assert_eq!(report["error_count"], 0, "{report}");
        assert_eq!(
            report["late"], 0,
            "a token was handed out past its expiry: {report}"
        );
        assert!(report["calls"].as_u64().unwrap() > 0, "{report}");
    }
}

/// One request per expiry: consecutive token requests are at least most of a lifetime apart
/// (two processes fetching for the same expiry would be a few ms apart), and there were
/// `expiries` of them.
fn assert_one_request_per_expiry(
    requests: &[u64],
    lifetime_ms: u64,
    expiries: std::ops::RangeInclusive<usize>,
) {
    for pair in requests.windows(2) {
        assert!(
            pair[1] - pair[0] >= lifetime_ms * 3 / 4,
            "two token requests {} ms apart, in {requests:?}",
            pair[1] - pair[0]
        );
    }
    assert!(
        expiries.contains(&requests.len()),
        "{} requests: {requests:?}",
        requests.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_processes_of_a_hundred_callers_share_one_redis_and_send_one_request_per_expiry() {
    let Some(redis) = RedisServer::shared_or_private("eight_processes_redis") else {
        return;
    };
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(2, First::Answer).await;
    let shared = Shared::redis(&redis, "stampede");
    let run = Run {
        server: &server,
        shared: &shared,
        grant: "cc",
        callers: 100,
        lease_ttl_ms: 2000,
        key: None,
    };
    let reports = run.run(8, 7.0).await;
    assert_clean(&reports);
    // 7 s of 2-second tokens (each fetched in about 200 ms): 3 or 4 expiries.
    assert_one_request_per_expiry(&server.requests(), 2000, 3..=4);
    assert_no_plaintext_in_redis(&redis, &shared);
}

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_share_one_file_store_and_send_one_request_per_expiry() {
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(2, First::Answer).await;
    let dir = tempfile::tempdir().unwrap();
    let shared = Shared::File {
        dir: dir.path().join("tokens"),
    };
    let run = Run {
        server: &server,
        shared: &shared,
        grant: "cc",
        callers: 100,
        lease_ttl_ms: 2000,
        key: None,
    };
    let reports = run.run(4, 7.0).await;
    assert_clean(&reports);
    assert_one_request_per_expiry(&server.requests(), 2000, 3..=4);
    for entry in std::fs::read_dir(dir.path().join("tokens")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(
            !contains(&bytes, b"ACCESS-"),
            "an access token in the clear in the store"
        );
    }
}

/// The first worker's token request never gets an answer; it is killed with SIGKILL while it
/// holds the lease. The others take over once the lease runs out (Redis) or at once (the
/// file store's OS lock dies with its holder): one extra request, no error.
async fn lease_holder_killed(shared: Shared) {
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(60, First::Hang).await;
    let run = Run {
        server: &server,
        shared: &shared,
        grant: "cc",
        callers: 10,
        lease_ttl_ms: 1000,
        key: None,
    };
    let mut holder = run.spawn(1, 0);
    while server.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let others = run.spawn(3, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder[0].kill().unwrap();
    holder[0].wait().unwrap();
    let reports = reports(others).await;
    assert_clean(&reports);
    assert_eq!(
        server.requests().len(),
        2,
        "the hung request and one takeover"
    );
    let tokens: Vec<_> = reports.iter().map(|r| r["tokens"].clone()).collect();
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_holder_killed_mid_request_is_taken_over_with_redis() {
    let Some(redis) = RedisServer::shared_or_private("lease_holder_killed_redis") else {
        return;
    };
    lease_holder_killed(Shared::redis(&redis, "sigkill")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_holder_killed_mid_request_is_taken_over_with_the_file_store() {
    let dir = tempfile::tempdir().unwrap();
    lease_holder_killed(Shared::File {
        dir: dir.path().join("tokens"),
    })
    .await;
}

/// Redis goes away for two seconds mid-run: callers keep getting (unexpired) tokens without
/// an error, and once it is back the processes share again.
#[tokio::test(flavor = "multi_thread")]
async fn redis_stopped_and_restarted_mid_run() {
    let Some(mut redis) = RedisServer::private("redis_stopped_and_restarted") else {
        return;
    };
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(1, First::Answer).await;
    let shared = Shared::redis(&redis, "restart");
    let run = Run {
        server: &server,
        shared: &shared,
        grant: "cc",
        callers: 20,
        lease_ttl_ms: 1000,
        key: None,
    };
    let started = now_ms();
    let workers = run.spawn(4, started + 13_000);
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.restart();
    let reports = reports(workers).await;
    assert_clean(&reports);
    // Each process pauses 1 s, then 2 s, before it asks a store that failed again: all are
    // back by 9 s, and from then on they share one request per expiry.
    let late: Vec<u64> = server
        .requests()
        .into_iter()
        .filter(|at| *at >= started + 9_000)
        .collect();
    assert_one_request_per_expiry(&late, 1000, 2..=4);
}

/// A record overwritten with garbage, and records sealed under another key, are misses: one
/// request replaces them, nobody sees an error.
#[tokio::test(flavor = "multi_thread")]
async fn garbled_records_and_records_sealed_under_another_key_are_replaced() {
    let Some(redis) = RedisServer::shared_or_private("garbled_records") else {
        return;
    };
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(60, First::Answer).await;
    let shared = Shared::redis(&redis, "garbled");
    let key_one = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let key_two = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
    let mut run = Run {
        server: &server,
        shared: &shared,
        grant: "cc",
        callers: 10,
        lease_ttl_ms: 1000,
        key: Some(key_one),
    };
    assert_clean(&run.run(1, 0.0).await);
    assert_clean(&run.run(2, 0.0).await);
    assert_eq!(
        server.requests().len(),
        1,
        "the second run read the stored token"
    );

    let Shared::Redis { prefix, .. } = &shared else {
        unreachable!()
    };
    let record = records(&redis, prefix).pop().unwrap();
    redis.command(&[
        b"HSET",
        record.as_bytes(),
        b"d",
        b"\x00garbage, not a sealed record",
    ]);
    assert_clean(&run.run(3, 0.0).await);
    assert_eq!(
        server.requests().len(),
        2,
        "one request replaced the garbled record"
    );

    run.key = Some(key_two);
    assert_clean(&run.run(3, 0.0).await);
    assert_eq!(
        server.requests().len(),
        3,
        "another key cannot open the record: one request"
    );
    run.key = Some(key_one);
    assert_clean(&run.run(1, 0.0).await);
    assert_eq!(server.requests().len(), 4);
}

/// Eight processes refresh with rotating refresh tokens that the server revokes on first use:
/// no process ever presents a superseded one.
#[tokio::test(flavor = "multi_thread")]
async fn rotating_refresh_tokens_across_eight_processes_give_no_invalid_grant() {
    let Some(redis) = RedisServer::shared_or_private("rotation_eight_processes") else {
        return;
    };
    let _serial = one_at_a_time().await;
    let server = TokenServer::start(1, First::Answer).await;
    let shared = Shared::redis(&redis, "rotation");
    let run = Run {
        server: &server,
        shared: &shared,
        grant: "refresh",
        callers: 20,
        lease_ttl_ms: 2000,
        key: None,
    };
    let reports = run.run(8, 5.0).await;
    assert_clean(&reports);
    assert_eq!(server.invalid_grants.load(Ordering::SeqCst), 0);
    assert_one_request_per_expiry(&server.requests(), 1000, 3..=5);
    assert_no_plaintext_in_redis(&redis, &shared);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The record keys (not the lease or counter) under `prefix`.
fn records(redis: &RedisServer, prefix: &str) -> Vec<String> {
    let reply = redis.command(&[b"KEYS", format!("{prefix}*").as_bytes()]);
    String::from_utf8_lossy(&reply)
        .lines()
        .filter(|line| line.starts_with(prefix) && !line.contains('#'))
        .map(str::to_owned)
        .collect()
}

/// Every key under the test's prefix, names and values, holds no token.
fn assert_no_plaintext_in_redis(redis: &RedisServer, shared: &Shared) {
    let Shared::Redis { prefix, .. } = shared else {
        unreachable!()
    };
    let names = redis.command(&[b"KEYS", format!("{prefix}*").as_bytes()]);
    let names: Vec<String> = String::from_utf8_lossy(&names)
        .lines()
        .filter(|line| line.starts_with(prefix.as_str()))
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 2, "the record and its counter: {names:?}");
    for name in &names {
        assert!(
            !name.contains("ACCESS") && !name.contains("REFRESH"),
            "{name}"
        );
        let value = redis.command(&[b"DUMP", name.as_bytes()]);
        assert!(value.len() > 5, "{name} has a value");
        for token in [&b"ACCESS-"[..], b"REFRESH-TOKEN", b"s3cr3t"] {
            assert!(
                !contains(&value, token),
                "{name} holds {:?} in the clear",
                String::from_utf8_lossy(token)
            );
        }
    }
}
