//! The Redis store against a real `redis-server` on 127.0.0.1: the CI one (`AUTH_REDIS_URL`)
//! or a private one; each test skips, saying so, where there is neither.
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::ErrorKind;
use auth_core::store::{Lease, StoreKey, TokenStore};
use auth_store_redis::RedisStore;
use auth_store_redis::testing::RedisServer;

/// A prefix no other test (or earlier run) uses.
fn prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("test:{test}:{nanos}:")
}

fn store(server: &RedisServer, test: &str) -> RedisStore {
    RedisStore::builder(server.url())
        .key_prefix(prefix(test))
        .build()
        .unwrap()
}

fn key() -> StoreKey {
    StoreKey::new("oauth2:0123abcd").unwrap()
}

#[tokio::test]
async fn saves_compare_and_set_and_versions_never_repeat() {
    let Some(server) = RedisServer::shared_or_private("saves_compare_and_set") else {
        return;
    };
    let store = store(&server, "cas");
    let key = key();
    assert_eq!(store.load(&key).await.unwrap(), None);
    let v1 = store
        .save(&key, None, b"one".to_vec(), None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .save(&key, None, b"late".to_vec(), None, None)
            .await
            .unwrap(),
        None
    );
    let v2 = store
        .save(&key, Some(v1), b"two".to_vec(), None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(v2 > v1);
    assert_eq!(
        store
            .save(&key, Some(v1), b"stale".to_vec(), None, None)
            .await
            .unwrap(),
        None
    );
    let loaded = store.load(&key).await.unwrap().unwrap();
    assert_eq!((loaded.version(), loaded.sealed()), (v2, &b"two"[..]));
    assert!(
        !store.remove(&key, v1).await.unwrap(),
        "a stale version removes nothing"
    );
    assert!(store.remove(&key, v2).await.unwrap());
    assert_eq!(store.load(&key).await.unwrap(), None);
    let v3 = store
        .save(&key, None, vec![0, 255, 1], None, None)
        .await
        .unwrap()
        .unwrap();
    assert!(
        v3 > v2,
        "a version is never given twice, even after a removal"
    );
    assert_eq!(
        store.load(&key).await.unwrap().unwrap().sealed(),
        &[0, 255, 1]
    );
}

#[tokio::test]
async fn records_expire_when_asked() {
    let Some(server) = RedisServer::shared_or_private("records_expire") else {
        return;
    };
    let store = store(&server, "expiry");
    let key = key();
    let ttl = Some(Duration::from_millis(300));
    store
        .save(&key, None, b"short".to_vec(), ttl, None)
        .await
        .unwrap()
        .unwrap();
    assert!(store.load(&key).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(store.load(&key).await.unwrap(), None);
}

#[tokio::test]
async fn leases_are_exclusive_fenced_and_released_only_by_their_holder() {
    let Some(server) = RedisServer::shared_or_private("leases") else {
        return;
    };
    let prefix = prefix("leases");
    let one = RedisStore::builder(server.url())
        .key_prefix(&prefix)
        .build()
        .unwrap();
    let two = RedisStore::builder(server.url())
        .key_prefix(&prefix)
        .build()
        .unwrap();
    let key = key();
    let ttl = Duration::from_millis(400);
    let first = one.try_lease(&key, ttl).await.unwrap().unwrap();
    assert!(two.try_lease(&key, ttl).await.unwrap().is_none());
    assert!(one.renew_lease(&key, &first, ttl).await.unwrap());
    // Another process's save with its own (stale or forged) lease is refused while held.
    let forged = Lease::new(first.fencing_token(), "someone-else");
    assert_eq!(
        two.save(&key, None, b"x".to_vec(), None, Some(&forged))
            .await
            .unwrap(),
        None
    );
    assert!(!two.renew_lease(&key, &forged, ttl).await.unwrap());
    two.release_lease(&key, &forged).await.unwrap();
    assert!(
        two.try_lease(&key, ttl).await.unwrap().is_none(),
        "a forged release does nothing"
    );
    // The holder's save goes through.
    assert!(
        one.save(&key, None, b"x".to_vec(), None, Some(&first))
            .await
            .unwrap()
            .is_some()
    );
    // Run out: the lease passes to another caller, with a larger fence, and stays theirs.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let second = two.try_lease(&key, ttl).await.unwrap().unwrap();
    assert!(second.fencing_token() > first.fencing_token());
    assert!(!one.renew_lease(&key, &first, ttl).await.unwrap());
    one.release_lease(&key, &first).await.unwrap();
    assert!(
        one.try_lease(&key, ttl).await.unwrap().is_none(),
        "the successor keeps its lease"
    );
    two.release_lease(&key, &second).await.unwrap();
    assert!(one.try_lease(&key, ttl).await.unwrap().is_some());
}

#[tokio::test]
async fn waiters_are_woken_by_another_processes_save() {
    let Some(server) = RedisServer::shared_or_private("waiters_woken") else {
        return;
    };
    let prefix = prefix("wake");
    let waiter = RedisStore::builder(server.url())
        .key_prefix(&prefix)
        .build()
        .unwrap();
    let writer = RedisStore::builder(server.url())
        .key_prefix(&prefix)
        .build()
        .unwrap();
    let key = key();
    // The first subscription starts the listener; give it a moment to subscribe.
    drop(waiter.subscribe(&key).await);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let quiet = waiter.subscribe(&key).await;
    let other_key = StoreKey::new("oauth2:other").unwrap();
    writer
        .save(&other_key, None, b"x".to_vec(), None, None)
        .await
        .unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(300), quiet)
            .await
            .is_err(),
        "a save of another key wakes nobody here"
    );

    let woken = waiter.subscribe(&key).await;
    let started = Instant::now();
    writer
        .save(&key, None, b"x".to_vec(), None, None)
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(2), woken)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));

    let lease = writer
        .try_lease(&key, Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    let woken = waiter.subscribe(&key).await;
    writer.release_lease(&key, &lease).await.unwrap();
    tokio::time::timeout(Duration::from_secs(2), woken)
        .await
        .unwrap();
}

#[tokio::test]
async fn foreign_or_garbled_values_count_as_empty_and_are_replaced() {
    let Some(server) = RedisServer::shared_or_private("garbled_values") else {
        return;
    };
    let store = store(&server, "garbled");
    let key = key();
    let name = format!("{}{}", store.key_prefix(), key);
    server.command(&[
        b"HSET",
        name.as_bytes(),
        b"v",
        b"not-a-number",
        b"d",
        b"junk",
    ]);
    assert_eq!(store.load(&key).await.unwrap(), None);
    assert!(
        store
            .save(&key, None, b"ok".to_vec(), None, None)
            .await
            .unwrap()
            .is_some()
    );
    server.command(&[b"SET", name.as_bytes(), b"a plain string"]);
    assert_eq!(store.load(&key).await.unwrap(), None);
    assert!(
        store
            .save(&key, None, b"ok".to_vec(), None, None)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.load(&key).await.unwrap().unwrap().sealed(), b"ok");
}

#[tokio::test]
async fn a_server_that_is_down_fails_fast_without_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://user:pa55-w0rd@127.0.0.1:{port}/3");
    let store = RedisStore::new(&url).unwrap(); // building does not connect
    let shown = format!("{store:?}");
    assert!(
        shown.contains(&format!("127.0.0.1:{port}/3")) && !shown.contains("pa55"),
        "{shown}"
    );
    let started = Instant::now();
    let error = store.load(&key()).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(error.kind(), ErrorKind::Transport);
    let message = error.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{port}/3")),
        "{message}"
    );
    assert!(
        !message.contains("pa55") && !message.contains("user:"),
        "{message}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn sharing_resumes_after_the_server_restarts() {
    let Some(mut server) = RedisServer::private("sharing_resumes") else {
        return;
    };
    let store = store(&server, "restart");
    let key = key();
    store
        .save(&key, None, b"before".to_vec(), None, None)
        .await
        .unwrap()
        .unwrap();
    server.stop();
    let error = store.load(&key).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    server.restart();
    assert_eq!(
        store.load(&key).await.unwrap(),
        None,
        "the restarted server is empty"
    );
    assert!(
        store
            .save(&key, None, b"after".to_vec(), None, None)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.load(&key).await.unwrap().unwrap().sealed(), b"after");
}

#[test]
fn bad_urls_and_prefixes_are_refused_with_what_to_do() {
    let cases = [
        ("rediss://127.0.0.1:6380", "auth:", "does not support TLS"),
        ("http://127.0.0.1:6379", "auth:", "must start with redis://"),
        ("127.0.0.1:6379", "auth:", "must start with redis://"),
        ("redis://:secret@[bad", "auth:", "does not parse"),
        ("redis://127.0.0.1:6379", "auth {x}", "not ' '"),
    ];
    for (url, prefix, expected) in cases {
        let error = RedisStore::builder(url)
            .key_prefix(prefix)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidConfig);
        let message = error.to_string();
        assert!(message.contains(expected), "{url}: {message}");
        assert!(!message.contains("secret"), "{message}");
    }
    let long = "p".repeat(101);
    assert!(
        RedisStore::builder("redis://127.0.0.1")
            .key_prefix(long)
            .build()
            .is_err()
    );
    let zero = RedisStore::builder("redis://127.0.0.1")
        .connect_timeout(Duration::ZERO)
        .build();
    assert!(zero.is_err());
}
