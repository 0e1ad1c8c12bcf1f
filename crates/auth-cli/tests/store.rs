//! `authc` with a `[store]`: runs share tokens through a file store (two runs, one token
//! request) and through Redis (eight processes at once, one token request).
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_store_redis::testing::RedisServer;
use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// A token endpoint that takes 300 ms (so processes started together overlap) and answers
/// `at-N` for its N-th request.
async fn slow_counting_token_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |_request| {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    async move {
                        tokio::time::sleep(Duration::from_millis(300)).await;
                        let body = format!(r#"{{"access_token":"at-{n}","expires_in":3600}}"#);
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(body)))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, count)
}

fn config(addr: SocketAddr, store: &str) -> String {
    format!(
        "[auth]\ntoken_url = \"http://{addr}/token\"\nclient_id = \"id\"\nclient_secret = \"secret\"\n{store}"
    )
}

/// `authc token --config path` in `count` processes started together; their outputs.
async fn tokens(path: &std::path::Path, count: usize) -> Vec<String> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let children: Vec<_> = (0..count)
            .map(|_| {
                std::process::Command::new(assert_cmd::cargo::cargo_bin("authc"))
                    .args(["token", "--config"])
                    .arg(&path)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().unwrap();
                let stderr = String::from_utf8_lossy(&output.stderr);
                assert!(output.status.success(), "authc failed: {stderr}");
                String::from_utf8(output.stdout).unwrap().trim().to_owned()
            })
            .collect()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_file_store_authc_token_run_twice_sends_one_token_request() {
    let (addr, count) = slow_counting_token_server().await;
    let dir = tempfile::tempdir().unwrap();
    let store = format!(
        "[store]\nkind = \"file\"\npath = \"{}\"",
        dir.path().join("tokens").display()
    );
    let path = dir.path().join("client.toml");
    std::fs::write(&path, config(addr, &store)).unwrap();
    assert_eq!(tokens(&path, 1).await, ["at-1"]);
    assert_eq!(tokens(&path, 1).await, ["at-1"]);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Without the store, every run asks.
    std::fs::write(&path, config(addr, "")).unwrap();
    assert_eq!(tokens(&path, 1).await, ["at-2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_redis_eight_authc_processes_started_at_once_send_one_token_request() {
    let Some(redis) = RedisServer::shared_or_private("eight_authc_processes") else {
        return;
    };
    let (addr, count) = slow_counting_token_server().await;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let store = format!(
        "[store]\nkind = \"redis\"\nurl = \"{}\"\nkey_prefix = \"authc-test:{nanos}:\"",
        redis.url()
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.toml");
    std::fs::write(&path, config(addr, &store)).unwrap();
    let seen = tokens(&path, 8).await;
    assert_eq!(seen, vec!["at-1"; 8]);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
