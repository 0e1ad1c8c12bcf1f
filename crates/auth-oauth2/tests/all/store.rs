//! Token stores (feature `store`): several providers with the same config, each with its own
//! local cache and single flight, stand in for replicas sharing one store. The cross-process
//! tests (real processes, Redis) are in the workspace's `tests/` crate.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_core::clock::ManualClock;
use auth_core::store::{ChangeFuture, Lease, MemoryStore, StoreKey, StoredRecord, TokenStore};
use auth_core::{AuthProvider, Token, async_trait};
use auth_oauth2::{
    FileStore, OAuth2Config, OAuth2Provider, RetryPolicy, StoreEncryption, StoreSettings,
    TokenTransport, TransportError,
};

use crate::script::{Reply, Script, TOKEN_URL, cc, clock, ok, ok_with_refresh};

fn replica(
    config: OAuth2Config,
    transport: Arc<dyn TokenTransport>,
    clock: &ManualClock,
    settings: StoreSettings,
) -> OAuth2Provider {
    OAuth2Provider::builder(config, transport)
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .retry_policy(RetryPolicy::none())
        .store(settings)
        .build()
        .unwrap()
}

fn shared(store: &MemoryStore) -> StoreSettings {
    StoreSettings::new(Arc::new(store.clone())).lease_ttl(Duration::from_millis(500))
}

/// Calls `token()` on every replica from `callers` tasks each, at once; the credentials seen.
async fn stampede(replicas: &[OAuth2Provider], callers: usize) -> Vec<String> {
    let mut tasks = Vec::new();
    for replica in replicas {
        for _ in 0..callers {
            let replica = replica.clone();
            tasks.push(tokio::spawn(async move {
                replica
                    .token()
                    .await
                    .unwrap()
                    .expose_credential()
                    .to_owned()
            }));
        }
    }
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await.unwrap());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_send_one_request_per_expiry_between_them() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 60), ok("two", 60), ok("three", 60)]);
    let replicas: Vec<_> = (0..4)
        .map(|_| replica(cc(), script.clone(), &clock, shared(&store)))
        .collect();
    for (round, expected) in ["one", "two", "three"].into_iter().enumerate() {
        let seen = stampede(&replicas, 25).await;
        assert!(
            seen.iter().all(|t| t == expected),
            "round {round}: {seen:?}"
        );
        assert_eq!(
            script.count(),
            round + 1,
            "one request per expiry, all replicas together"
        );
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(store.keys().len(), 1, "one record for one config");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_provider_uses_the_stored_token_and_the_rotated_refresh_token() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let settings = || StoreSettings::new(Arc::new(FileStore::new(dir.path()).unwrap()));
    let config = || OAuth2Config::refresh_token(TOKEN_URL, "initial-refresh");
    let script = Script::new([
        ok_with_refresh("first", 60, "rotated-1"),
        ok_with_refresh("second", 60, "rotated-2"),
    ]);
    let before = replica(config(), script.clone(), &clock, settings());
    assert_eq!(before.token().await.unwrap().expose_credential(), "first");
    drop(before);

    // A new process: no request while the stored token is valid...
    let after = replica(config(), script.clone(), &clock, settings());
    assert_eq!(after.token().await.unwrap().expose_credential(), "first");
    assert_eq!(script.count(), 1);
    // ...and its renewal presents the rotated refresh token, not the configured one.
    clock.advance(Duration::from_secs(60));
    assert_eq!(after.token().await.unwrap().expose_credential(), "second");
    assert_eq!(script.last().param("refresh_token"), Some("rotated-1"));
}

/// A token server that rotates refresh tokens and revokes each on first use: presenting a
/// superseded one gets `invalid_grant`.
#[derive(Debug, Default)]
struct Rotating {
    state: Mutex<(u32, String)>,
    invalid_grants: AtomicUsize,
    requests: AtomicUsize,
}

#[async_trait]
impl TokenTransport for Rotating {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let presented = form_urlencoded::parse(request.body())
            .find(|(name, _)| name == "refresh_token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        // A little latency, so that racing replicas would overlap.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut state = self.state.lock().unwrap();
        let respond = |status: u16, body: String| {
            Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .unwrap())
        };
        let current = if state.0 == 0 {
            "r0".to_owned()
        } else {
            state.1.clone()
        };
        if presented != current {
            self.invalid_grants.fetch_add(1, Ordering::SeqCst);
            return respond(400, r#"{"error":"invalid_grant"}"#.to_owned());
        }
        state.0 += 1;
        state.1 = format!("r{}", state.0);
        respond(
            200,
            format!(
                r#"{{"access_token":"a{n}","expires_in":60,"refresh_token":"r{n}"}}"#,
                n = state.0
            ),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_refreshing_a_rotating_refresh_token_never_present_a_superseded_one() {
    let clock = clock();
    let store = MemoryStore::new();
    let server = Arc::new(Rotating::default());
    let replicas: Vec<_> = (0..6)
        .map(|_| {
            replica(
                OAuth2Config::refresh_token(TOKEN_URL, "r0"),
                server.clone(),
                &clock,
                shared(&store),
            )
        })
        .collect();
    // Two replicas at a time, a different pair each round: a replica that sat out rounds
    // holds a superseded refresh token and must take the newest from the store.
    for round in 1..=8 {
        let pair = [
            replicas[round % 6].clone(),
            replicas[(round + 3) % 6].clone(),
        ];
        let seen = stampede(&pair, 10).await;
        assert!(seen.iter().all(|t| *t == format!("a{round}")), "{seen:?}");
        clock.advance(Duration::from_secs(60));
    }
    assert_eq!(server.invalid_grants.load(Ordering::SeqCst), 0);
    assert_eq!(server.requests.load(Ordering::SeqCst), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_store_the_same_replicas_lose_the_race() {
    // The baseline the test above is measured against: the failure is real.
    let clock = clock();
    let server = Arc::new(Rotating::default());
    let replicas: Vec<_> = (0..6)
        .map(|_| {
            OAuth2Provider::builder(OAuth2Config::refresh_token(TOKEN_URL, "r0"), server.clone())
                .clock(Arc::new(clock.clone()))
                .refresh_ahead(None)
                .retry_policy(RetryPolicy::none())
                .build()
                .unwrap()
        })
        .collect();
    let results: Vec<_> = futures_join(replicas.iter().map(|r| {
        let r = r.clone();
        async move { r.token().await.is_ok() }
    }))
    .await;
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    assert_eq!(server.invalid_grants.load(Ordering::SeqCst), 5);
}

async fn futures_join<F: Future<Output = bool> + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<bool> {
    let tasks: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalidate_drops_the_stored_token_only_if_it_is_still_the_rejected_one() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 600), ok("two", 600)]);
    let a = replica(cc(), script.clone(), &clock, shared(&store));
    let b = replica(cc(), script.clone(), &clock, shared(&store));
    let one = a.token().await.unwrap();
    assert_eq!(b.token().await.unwrap().expose_credential(), "one");

    // A stale token (not the stored one) changes nothing.
    a.invalidate(&Token::bearer("some-older-token").unwrap());
    tokio::time::sleep(Duration::from_millis(50)).await;
    let c = replica(cc(), script.clone(), &clock, shared(&store));
    assert_eq!(c.token().await.unwrap().expose_credential(), "one");
    assert_eq!(script.count(), 1);

    // The rejected token is never handed out again, by the rejecting provider or from the store.
    a.invalidate(&one);
    assert_eq!(a.token().await.unwrap().expose_credential(), "two");
    assert_eq!(script.count(), 2);
    b.invalidate(&one);
    assert_eq!(
        b.token().await.unwrap().expose_credential(),
        "two",
        "from the store"
    );
    assert_eq!(script.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_left_in_the_store_is_not_taken_back() {
    // `invalidate` drops the stored token in the background; the replay's `token()` may come
    // first (here the store's writes are slow) and must not take the rejected token back.
    let clock = clock();
    let store = Arc::new(Switchable::default());
    let settings = StoreSettings::new(store.clone()).lease_ttl(Duration::from_millis(500));
    let script = Script::new([ok("one", 600), ok("two", 600)]);
    let a = replica(cc(), script.clone(), &clock, settings);
    let one = a.token().await.unwrap();
    store.slow_writes.store(true, Ordering::SeqCst);
    a.invalidate(&one);
    assert_eq!(a.token().await.unwrap().expose_credential(), "two");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_token_is_never_served_past_its_expiry() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 60), ok("two", 60)]);
    let a = replica(
        cc().clock_skew(Duration::from_secs(10)),
        script.clone(),
        &clock,
        shared(&store),
    );
    a.token().await.unwrap();
    clock.advance(Duration::from_secs(50));
    // A new replica at the edge of the skew: the stored token is no longer valid.
    let b = replica(
        cc().clock_skew(Duration::from_secs(10)),
        script.clone(),
        &clock,
        shared(&store),
    );
    assert_eq!(b.token().await.unwrap().expose_credential(), "two");
    assert_eq!(script.count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_with_other_secrets_or_other_keys_share_nothing() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 600), ok("two", 600), ok("three", 600)]);
    let a = replica(cc(), script.clone(), &clock, shared(&store));
    a.token().await.unwrap();
    let other_secret = OAuth2Config::client_credentials(
        TOKEN_URL,
        auth_oauth2::ClientAuth::basic("client-1", "another-secret"),
    );
    let b = replica(other_secret, script.clone(), &clock, shared(&store));
    assert_eq!(b.token().await.unwrap().expose_credential(), "two");
    assert_eq!(store.keys().len(), 2, "another secret, another record");

    // The same config with a configured key cannot open the record sealed with the derived
    // one: a miss (no error), and its own token replaces the record.
    let keyed = shared(&store).encryption(StoreEncryption::new([9; 32]));
    let c = replica(cc(), script.clone(), &clock, keyed.clone());
    assert_eq!(c.token().await.unwrap().expose_credential(), "three");
    let d = replica(cc(), script.clone(), &clock, keyed);
    assert_eq!(
        d.token().await.unwrap().expose_credential(),
        "three",
        "same key: shared"
    );
    assert_eq!(script.count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbled_or_tampered_record_is_a_miss_and_is_replaced() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 600), ok("two", 600), ok("three", 600)]);
    let a = replica(cc(), script.clone(), &clock, shared(&store));
    a.token().await.unwrap();
    let key = store.keys().pop().unwrap();

    let record = store.load(&key).await.unwrap().unwrap();
    let mut tampered = record.sealed().to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    store
        .save(&key, Some(record.version()), tampered, None, None)
        .await
        .unwrap()
        .unwrap();
    let b = replica(cc(), script.clone(), &clock, shared(&store));
    assert_eq!(b.token().await.unwrap().expose_credential(), "two");

    let record = store.load(&key).await.unwrap().unwrap();
    store
        .save(
            &key,
            Some(record.version()),
            b"garbage".to_vec(),
            None,
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let c = replica(cc(), script.clone(), &clock, shared(&store));
    assert_eq!(c.token().await.unwrap().expose_credential(), "three");
    // And the replacement is good again for everybody.
    let d = replica(cc(), script.clone(), &clock, shared(&store));
    assert_eq!(d.token().await.unwrap().expose_credential(), "three");
    assert_eq!(script.count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_whose_holder_died_is_taken_over_after_its_time_to_live() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 600)]);
    let a = replica(cc(), script.clone(), &clock, shared(&store));
    // Learn the key, then let a "process" take the lease and die without releasing it.
    let key = StoreKey::new(
        format!("{a:?}")
            .split("store_key: \"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap(),
    )
    .unwrap();
    let dead = store
        .try_lease(&key, Duration::from_millis(400))
        .await
        .unwrap();
    assert!(dead.is_some());
    let started = std::time::Instant::now();
    assert_eq!(a.token().await.unwrap().expose_credential(), "one");
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "waited for the lease"
    );
    assert_eq!(script.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_or_refresh_token_reaches_the_store_in_plaintext() {
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let file = FileStore::new(dir.path()).unwrap();
    let memory = MemoryStore::new();
    let secret_token = "acc3ss-pl4intext-m4rker";
    let secret_refresh = "refr3sh-pl4intext-m4rker";
    let reply = ok_with_refresh(secret_token, 600, secret_refresh);
    let config = || OAuth2Config::password(TOKEN_URL, "alice", "pa55-m4rker");
    for settings in [
        StoreSettings::new(Arc::new(file.clone())),
        StoreSettings::new(Arc::new(memory.clone())),
    ] {
        let script = Script::new([reply.clone()]);
        replica(config(), script, &clock, settings)
            .token()
            .await
            .unwrap();
    }
    let mut contents: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        contents.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    for key in memory.keys() {
        let record = memory.load(&key).await.unwrap().unwrap();
        contents.push((key.to_string(), record.into_sealed()));
    }
    assert!(contents.len() >= 2, "{contents:?}");
    for (name, bytes) in &contents {
        for marker in [
            secret_token,
            secret_refresh,
            "pa55-m4rker",
            "m4rker",
            "alice",
        ] {
            assert!(!name.contains(marker), "{name}");
            assert!(
                !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                "{marker} in {name}"
            );
        }
    }
}

/// A store that can be switched off (every call fails while it is down) and whose writes
/// can be slowed down.
#[derive(Debug, Default)]
struct Switchable {
    inner: MemoryStore,
    down: AtomicBool,
    calls: AtomicUsize,
    slow_writes: AtomicBool,
}

impl Switchable {
    async fn write(&self) -> auth_core::Result<()> {
        if self.slow_writes.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        self.check()
    }

    fn check(&self) -> auth_core::Result<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            Err(auth_core::Error::transport("connection refused (scripted)"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl TokenStore for Switchable {
    async fn load(&self, key: &StoreKey) -> auth_core::Result<Option<StoredRecord>> {
        self.check()?;
        self.inner.load(key).await
    }
    async fn save(
        &self,
        key: &StoreKey,
        expected: Option<u64>,
        sealed: Vec<u8>,
        expires_after: Option<Duration>,
        lease: Option<&Lease>,
    ) -> auth_core::Result<Option<u64>> {
        self.write().await?;
        self.inner
            .save(key, expected, sealed, expires_after, lease)
            .await
    }
    async fn remove(&self, key: &StoreKey, expected: u64) -> auth_core::Result<bool> {
        self.write().await?;
        self.inner.remove(key, expected).await
    }
    async fn try_lease(&self, key: &StoreKey, ttl: Duration) -> auth_core::Result<Option<Lease>> {
        self.check()?;
        self.inner.try_lease(key, ttl).await
    }
    async fn renew_lease(
        &self,
        key: &StoreKey,
        lease: &Lease,
        ttl: Duration,
    ) -> auth_core::Result<bool> {
        self.check()?;
        self.inner.renew_lease(key, lease, ttl).await
    }
    async fn release_lease(&self, key: &StoreKey, lease: &Lease) -> auth_core::Result<()> {
        self.check()?;
        self.inner.release_lease(key, lease).await
    }
    async fn subscribe(&self, key: &StoreKey) -> ChangeFuture {
        self.inner.subscribe(key).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_is_down_is_skipped_and_sharing_resumes_when_it_is_back() {
    let clock = clock();
    let store = Arc::new(Switchable {
        down: true.into(),
        ..Switchable::default()
    });
    let settings = StoreSettings::new(store.clone()).lease_ttl(Duration::from_millis(500));
    let script = Script::new([]);
    script.always(Reply::Json(
        200,
        r#"{"access_token":"local","expires_in":60}"#.to_owned(),
    ));
    let a = replica(cc(), script.clone(), &clock, settings.clone());
    // Down: 50 callers get a token through the provider's own single flight.
    let seen = stampede(std::slice::from_ref(&a), 50).await;
    assert!(seen.iter().all(|t| t == "local"));
    assert_eq!(script.count(), 1);
    // While down, the store is not asked again on every expiry (the pause is a second at first).
    let calls = store.calls.load(Ordering::SeqCst);
    clock.advance(Duration::from_secs(60));
    a.token().await.unwrap();
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        calls,
        "skipped during the pause"
    );

    // Back: after the pause the store is asked again and replicas share once more.
    store.down.store(false, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    clock.advance(Duration::from_secs(60));
    let script = Script::new([ok("shared", 600)]);
    let b = replica(cc(), script.clone(), &clock, settings.clone());
    let c = replica(cc(), script.clone(), &clock, settings);
    assert_eq!(b.token().await.unwrap().expose_credential(), "shared");
    assert_eq!(c.token().await.unwrap().expose_credential(), "shared");
    assert_eq!(script.count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_renews_once_for_all_replicas() {
    let clock = clock();
    let store = MemoryStore::new();
    let script = Script::new([ok("one", 100), ok("two", 100)]);
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            OAuth2Provider::builder(cc(), script.clone())
                .clock(Arc::new(clock.clone()))
                .refresh_ahead(Some(0.5))
                .retry_policy(RetryPolicy::none())
                .store(shared(&store))
                .build()
                .unwrap()
        })
        .collect();
    stampede(&replicas, 5).await;
    assert_eq!(script.count(), 1);
    clock.advance(Duration::from_secs(60));
    // Every replica is in the renewal window: each starts a background renewal; one request.
    stampede(&replicas, 5).await;
    for _ in 0..100 {
        let all_renewed = replicas.iter().all(|r| {
            r.token_now()
                .is_some_and(|t| t.expose_credential() == "two")
        });
        if all_renewed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for replica in &replicas {
        assert_eq!(replica.token_now().unwrap().expose_credential(), "two");
    }
    assert_eq!(script.count(), 2);
}

#[test]
fn a_short_lease_or_a_zero_timeout_is_refused() {
    let script = Script::new([]);
    for settings in [
        StoreSettings::new(Arc::new(MemoryStore::new())).lease_ttl(Duration::from_millis(10)),
        StoreSettings::new(Arc::new(MemoryStore::new())).timeout(Duration::ZERO),
    ] {
        let error = OAuth2Provider::builder(cc(), script.clone())
            .store(settings)
            .build()
            .unwrap_err();
        assert_eq!(error.kind(), auth_core::ErrorKind::InvalidConfig);
    }
}

#[test]
fn debug_names_the_store_key_and_no_secret() {
    let script = Script::new([]);
    let provider = OAuth2Provider::builder(cc(), script)
        .store(
            StoreSettings::new(Arc::new(MemoryStore::new()))
                .encryption(StoreEncryption::new([3; 32])),
        )
        .build()
        .unwrap();
    let debug = format!("{provider:?}");
    assert!(debug.contains("store_key: \"oauth2:"), "{debug}");
    assert!(!debug.contains("secret-1"), "{debug}");
}
