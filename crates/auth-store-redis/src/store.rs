//! [`RedisStore`]: the `TokenStore` operations as single Lua scripts on one Redis server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::store::{ChangeFuture, Lease, StoreKey, StoredRecord, TokenStore, is_key_char};
use auth_core::{Error, Result, async_trait};
use redis::Client;

use crate::connection::Connector;
use crate::listener::Listener;
use crate::scripts;

/// The key prefix when none is given.
pub const DEFAULT_KEY_PREFIX: &str = "auth:";

/// The longest key prefix, in bytes.
pub const MAX_KEY_PREFIX_LEN: usize = 100;

/// The default time a connection attempt may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The default time one command may take.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A [`TokenStore`] on a Redis 7 (or Valkey) server, shared by every process that reaches it.
///
/// - Each operation is one Lua script, so compare-and-set saves, removals and lease renewals
///   are atomic on the server; leases are `SET NX PX` with a fencing token from `INCR`, and are
///   released by compare-and-delete, so a holder whose lease ran out cannot release its
///   successor's.
/// - Waiters are woken through pub/sub (one connection per store, pattern `key_prefix*`); the
///   provider also polls with a bounded interval, so lost messages only cost latency.
/// - Nothing connects until the first operation: building a provider never waits for Redis,
///   and a Redis that is down makes operations fail fast (within the connect timeout) with an
///   [`ErrorKind::Transport`](auth_core::ErrorKind::Transport) error, which the provider
///   answers by fetching on its own.
/// - The URL's password never appears in `Debug`, errors or logs.
///
/// Records hold only what the provider sealed; see `auth_oauth2::StoreSettings` for what a
/// reader of the keyspace can and cannot do. TLS (`rediss://`), Redis Cluster and Sentinel are
/// not supported.
///
/// ```
/// use std::sync::Arc;
/// use auth_store_redis::RedisStore;
///
/// let store = RedisStore::builder("redis://:hunter2@127.0.0.1:6379/0")
///     .key_prefix("myapp:auth:")
///     .build()?; // does not connect yet
/// assert_eq!(
///     format!("{store:?}"),
///     r#"RedisStore { server: "127.0.0.1:6379/0", key_prefix: "myapp:auth:" }"#
/// );
/// // StoreSettings::new(Arc::new(store)) hands it to an OAuth2 provider.
/// # let _ = Arc::new(store);
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    connector: Connector,
    listener: Listener,
    prefix: String,
    /// Random, per store: lease holders are `instance.fence`, unique even if the counter
    /// that gives fences was lost with a Redis restart.
    instance: String,
}

/// Builds a [`RedisStore`]; see [`RedisStore::builder`].
#[must_use]
pub struct RedisStoreBuilder {
    client: Result<Client>,
    prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("key_prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the server at `url` with the default key prefix and timeouts.
    ///
    /// # Errors
    ///
    /// As [`RedisStoreBuilder::build`].
    pub fn new(url: &str) -> Result<Self> {
        Self::builder(url).build()
    }

    /// A builder for a store on the server at `url`: `redis://[user:password@]host[:port][/db]`,
    /// `valkey://…`, or `unix:///path/to/redis.sock[?db=N]`.
    pub fn builder(url: &str) -> RedisStoreBuilder {
        RedisStoreBuilder {
            client: open(url),
            prefix: DEFAULT_KEY_PREFIX.to_owned(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
        }
    }

    /// The prefix of every key and channel this store uses.
    pub fn key_prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Where the store connects: host and port (or socket path) and database; never the
    /// password.
    pub fn server(&self) -> &str {
        self.inner.connector.server()
    }

    fn record(&self, key: &StoreKey) -> String {
        format!("{}{}", self.inner.prefix, key)
    }

    fn counter(&self, key: &StoreKey) -> String {
        format!("{}{}#seq", self.inner.prefix, key)
    }

    fn lease(&self, key: &StoreKey) -> String {
        format!("{}{}#lease", self.inner.prefix, key)
    }

    /// The pub/sub channel of `key` (channels and keys are separate namespaces).
    fn channel(&self, key: &StoreKey) -> String {
        self.record(key)
    }

    /// Runs `invocation` on the shared connection.
    async fn run<T: redis::FromRedisValue>(
        &self,
        operation: &str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T> {
        let mut connection = self.inner.connector.connection(operation).await?;
        match invocation.invoke_async(&mut connection).await {
            Ok(value) => Ok(value),
            Err(error) => Err(self.inner.connector.failed(operation, &error).await),
        }
    }
}

fn open(url: &str) -> Result<Client> {
    let scheme = url
        .split_once("://")
        .map(|(scheme, _)| scheme.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("redis" | "valkey" | "unix" | "redis+unix" | "valkey+unix") => {}
        Some("rediss" | "valkeys") => {
            return Err(Error::invalid_config(
                "the Redis token store does not support TLS (rediss://) yet; use redis:// on a \
                 trusted network or through a TLS tunnel (records are sealed either way)",
            ));
        }
        _ => {
            return Err(Error::invalid_config(
                "the Redis token store URL must start with redis://, valkey:// or unix://, as in \
                 redis://127.0.0.1:6379/0",
            ));
        }
    }
    // The parser's message may quote the URL, password included: it is not passed on.
    Client::open(url).map_err(|_| {
        Error::invalid_config(
            "the Redis token store URL does not parse; write it as \
             redis://[user:password@]host[:port][/db] (percent-encode a password with @ : / in it)",
        )
    })
}

impl RedisStoreBuilder {
    /// Puts every key and channel of the store under `prefix` (default
    /// [`DEFAULT_KEY_PREFIX`]), so applications sharing a server keep apart.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long a connection attempt may take (default [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one command may take (default [`DEFAULT_RESPONSE_TIMEOUT`]).
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The store. It connects on first use.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) for a URL that does
    /// not parse or asks for TLS, a key prefix that is too long or holds a character outside
    /// `A-Z a-z 0-9 : . _ - /`, or a zero timeout.
    pub fn build(self) -> Result<RedisStore> {
        let client = self.client?;
        if self.prefix.len() > MAX_KEY_PREFIX_LEN {
            return Err(Error::invalid_config(format!(
                "the Redis key prefix may be at most {MAX_KEY_PREFIX_LEN} bytes long, got {}",
                self.prefix.len()
            )));
        }
        if let Some(bad) = self.prefix.chars().find(|c| !is_key_char(*c)) {
            return Err(Error::invalid_config(format!(
                "the Redis key prefix may hold only letters, digits and `: . _ - /`, not {bad:?}"
            )));
        }
        if self.connect_timeout.is_zero() || self.response_timeout.is_zero() {
            return Err(Error::invalid_config(
                "the Redis token store's connect and response timeouts must be longer than zero",
            ));
        }
        let info = client.get_connection_info();
        let server = format!("{}/{}", info.addr(), info.redis_settings().db());
        Ok(RedisStore {
            inner: Arc::new(Inner {
                connector: Connector::new(
                    client,
                    server,
                    self.connect_timeout,
                    self.response_timeout,
                ),
                listener: Listener::new(&self.prefix),
                prefix: self.prefix,
                instance: instance_id()?,
            }),
        })
    }
}

fn instance_id() -> Result<String> {
    let mut bytes = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .map_err(|_| Error::other("the system's random number generator failed"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Milliseconds for `PX`/`PEXPIRE`: at least 1 (0 is an error to Redis).
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, i64::MAX as u64)
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("server", &self.server())
            .field("key_prefix", &self.inner.prefix)
            .finish()
    }
}

#[async_trait]
impl TokenStore for RedisStore {
    async fn load(&self, key: &StoreKey) -> Result<Option<StoredRecord>> {
        let found: Option<(String, Vec<u8>)> = self
            .run("read a token", &scripts::LOAD.key(self.record(key)))
            .await?;
        Ok(found.and_then(|(version, sealed)| {
            let version = version.parse().ok()?;
            Some(StoredRecord::new(version, sealed))
        }))
    }

    async fn save(
        &self,
        key: &StoreKey,
        expected: Option<u64>,
        sealed: Vec<u8>,
        expires_after: Option<Duration>,
        lease: Option<&Lease>,
    ) -> Result<Option<u64>> {
        let mut invocation = scripts::SAVE.key(self.record(key));
        invocation
            .key(self.counter(key))
            .key(self.lease(key))
            .arg(expected.map(|v| v.to_string()).unwrap_or_default())
            .arg(sealed)
            .arg(
                expires_after
                    .map(|d| millis(d).to_string())
                    .unwrap_or_default(),
            )
            .arg(lease.map(Lease::holder).unwrap_or_default())
            .arg(self.channel(key));
        self.run("store a token", &invocation).await
    }

    async fn remove(&self, key: &StoreKey, expected: u64) -> Result<bool> {
        let mut invocation = scripts::REMOVE.key(self.record(key));
        invocation.arg(expected.to_string()).arg(self.channel(key));
        let removed: i64 = self.run("remove a token", &invocation).await?;
        Ok(removed == 1)
    }

    async fn try_lease(&self, key: &StoreKey, ttl: Duration) -> Result<Option<Lease>> {
        let mut invocation = scripts::TRY_LEASE.key(self.lease(key));
        invocation
            .key(self.counter(key))
            .arg(format!("{}.", self.inner.instance))
            .arg(millis(ttl));
        let fence: Option<u64> = self.run("take a lease", &invocation).await?;
        Ok(fence.map(|fence| Lease::new(fence, format!("{}.{fence}", self.inner.instance))))
    }

    async fn renew_lease(&self, key: &StoreKey, lease: &Lease, ttl: Duration) -> Result<bool> {
        let mut invocation = scripts::RENEW_LEASE.key(self.lease(key));
        invocation.arg(lease.holder()).arg(millis(ttl));
        let renewed: i64 = self.run("renew a lease", &invocation).await?;
        Ok(renewed == 1)
    }

    async fn release_lease(&self, key: &StoreKey, lease: &Lease) -> Result<()> {
        let mut invocation = scripts::RELEASE_LEASE.key(self.lease(key));
        invocation.arg(lease.holder()).arg(self.channel(key));
        let _released: i64 = self.run("release a lease", &invocation).await?;
        Ok(())
    }

    async fn subscribe(&self, key: &StoreKey) -> ChangeFuture {
        let connector = &self.inner.connector;
        self.inner.listener.subscribe(
            connector.client(),
            connector.connect_timeout(),
            self.channel(key),
        )
    }
}
