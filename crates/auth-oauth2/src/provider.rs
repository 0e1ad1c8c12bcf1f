//! The provider: a lock-free cache in front of a single-flight, cancel-safe refresh.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth_core::cache::CoarseClock;
use auth_core::{AuthProvider, Clock, Result, Token, async_trait};
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;

use crate::cache::TokenCache;
use crate::checked::CheckedConfig;
use crate::config::OAuth2Config;
use crate::fetch::{Fetcher, Outcome};
use crate::flight::{CatchUnwind, Flight, Join, Waiter, panicked};
use crate::retry::RetryPolicy;
use crate::runtime::Executor;
use crate::transport::TokenTransport;

/// The default point, as a fraction of a token's validity, after which a background renewal
/// starts while callers keep getting the current token.
pub const DEFAULT_REFRESH_AHEAD: f64 = 0.8;

/// The default longest time one token request may take, whatever the transport does.
pub const DEFAULT_TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Gets OAuth2 access tokens, caches them, renews them, and hands out `Bearer` tokens.
///
/// - **Building sends nothing**; the config is checked then (URLs, credentials, keys). Call
///   [`prefetch`](Self::prefetch) to fetch eagerly.
/// - **Readers never wait** while a valid token exists: the cache is read without a lock.
/// - **Single flight**: however many callers find the token expired, one request is sent and
///   all of them get its result.
/// - **Independent of the callers' runtimes**: token requests run on a small background thread
///   (one per process, started on first use) or a runtime you name
///   ([`OAuth2ProviderBuilder::runtime`]). A caller that is dropped mid-refresh does not abort
///   it, so a rotated refresh token is never lost; callers on any runtime, or on none (a
///   blocking program polling with any executor), get the result.
/// - **Refresh-ahead**: after [`DEFAULT_REFRESH_AHEAD`] of a token's validity one background
///   renewal starts; callers keep the current token meanwhile.
/// - **Retries** transient failures within one call ([`RetryPolicy`]); after a permanent
///   failure, calls during a short, doubling penalty get the same error without a request. A
///   request that panics fails its waiters with an error and earns the same penalty.
///
/// ```no_run
/// # async fn example(transport: std::sync::Arc<dyn auth_oauth2::TokenTransport>) -> auth_core::Result<()> {
/// use auth_core::AuthProvider;
/// use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
///
/// let config = OAuth2Config::client_credentials(
///     "https://idp.example/token",
///     ClientAuth::basic("svc", "s3cr3t"),
/// )
/// .scopes(["read"]);
/// let provider = OAuth2Provider::new(config, transport)?;
/// let token = provider.token().await?; // `Bearer <access token>`
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
///
/// # Refresh tokens that rotate
///
/// A server that rotates refresh tokens revokes the old one when it issues a new one. The
/// provider keeps the newest refresh token of every response, before anything else in it is
/// checked. If a refresh request got no answer (a timeout, a reset) it is retried with the same
/// refresh token; a server that had processed the first attempt answers `invalid_grant`. The
/// password and jwt-bearer grants then run the grant again (unless
/// `fallback_on_invalid_grant(false)`); the refresh-token grant cannot, and fails with an error
/// that says the refresh token may have been used by the lost attempt.
#[derive(Clone)]
pub struct OAuth2Provider {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: Fetcher,
    cache: TokenCache,
    flight: Flight,
    executor: Executor,
    /// The store shared with other processes, if any.
    #[cfg(feature = "store")]
    shared: Option<crate::store::shared::Shared>,
}

/// Builds an [`OAuth2Provider`] with a non-default clock, retries, refresh-ahead, runtime or a
/// separate refresh transport.
#[must_use]
pub struct OAuth2ProviderBuilder {
    config: OAuth2Config,
    transport: Arc<dyn TokenTransport>,
    refresh_transport: Option<Arc<dyn TokenTransport>>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    refresh_ahead: Option<f64>,
    request_timeout: Duration,
    executor: Executor,
    #[cfg(feature = "store")]
    store: Option<crate::store::StoreSettings>,
}

impl fmt::Debug for OAuth2ProviderBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2ProviderBuilder")
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("refresh_ahead", &self.refresh_ahead)
            .finish_non_exhaustive()
    }
}

impl OAuth2ProviderBuilder {
    /// Reads time from `clock` (default: a [`CoarseClock`], the system clock read cheaply).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Retries transient failures by `policy` (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Starts a background renewal after `fraction` (0 to 1) of a token's validity, or never
    /// with `None` (default [`DEFAULT_REFRESH_AHEAD`]).
    pub fn refresh_ahead(mut self, fraction: Option<f64>) -> Self {
        self.refresh_ahead = fraction;
        self
    }

    /// Sends refresh requests of the password and jwt-bearer grants through `transport` (when
    /// the refresh endpoint has its own TLS settings).
    pub fn refresh_transport(mut self, transport: Arc<dyn TokenTransport>) -> Self {
        self.refresh_transport = Some(transport);
        self
    }

    /// The longest one token request may take before it counts as a timeout, whatever the
    /// transport does (default [`DEFAULT_TOKEN_REQUEST_TIMEOUT`]; the reqwest transport's own
    /// timeouts are normally shorter).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Runs token requests on `runtime` instead of the crate's background thread: a runtime
    /// that outlives the provider, is always driven (a multi-threaded runtime, say) and has
    /// its time driver enabled (`enable_time` or `enable_all`: retries and timeouts need it).
    /// Tests that pause Tokio's clock pass their own runtime here.
    pub fn runtime(mut self, runtime: tokio::runtime::Handle) -> Self {
        self.executor = Executor::Runtime(runtime);
        self
    }

    /// Shares tokens with every provider of the same config, in this process and others,
    /// through a token store (feature `store`; see [`StoreSettings`](crate::StoreSettings)).
    #[cfg(feature = "store")]
    #[cfg_attr(docsrs, doc(cfg(feature = "store")))]
    pub fn store(mut self, settings: crate::store::StoreSettings) -> Self {
        self.store = Some(settings);
        self
    }

    /// Checks the config and builds the provider. Sends nothing.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for a bad URL, a
    /// plain-http URL to a non-loopback host without `allow_insecure_http`, an empty or
    /// CR/LF-carrying credential, a bad custom header or payload, a client credentials grant
    /// without client authentication, a token exchange with an actor token but no actor token
    /// type or a `resource` that is not an absolute URI without a fragment, a token store that
    /// cannot be used with the config, a lifetime outside zero to one year;
    /// [`auth_core::ErrorKind::KeyMaterial`] for an assertion key that
    /// cannot be used.
    pub fn build(self) -> Result<OAuth2Provider> {
        if let Some(fraction) = self.refresh_ahead
            && !(fraction > 0.0 && fraction < 1.0)
        {
            return Err(auth_core::Error::invalid_config(format!(
                "refresh-ahead must be a fraction between 0 and 1 of a token's validity, got {fraction}"
            )));
        }
        if self.request_timeout.is_zero() {
            return Err(auth_core::Error::invalid_config(
                "the provider's request timeout must be greater than zero",
            ));
        }
        let config = CheckedConfig::new(&self.config)?;
        #[cfg(feature = "store")]
        let shared = match &self.store {
            Some(settings) => {
                settings.check()?;
                Some(crate::store::shared::Shared::new(settings, &config)?)
            }
            None => None,
        };
        Ok(OAuth2Provider {
            inner: Arc::new(Inner {
                fetcher: Fetcher {
                    config,
                    refresh_transport: self
                        .refresh_transport
                        .unwrap_or_else(|| Arc::clone(&self.transport)),
                    transport: self.transport,
                    clock: self.clock,
                    retry: self.retry,
                    request_timeout: self.request_timeout,
                },
                cache: TokenCache::new(self.refresh_ahead),
                flight: Flight::default(),
                executor: self.executor,
                #[cfg(feature = "store")]
                shared,
            }),
        })
    }
}

impl OAuth2Provider {
    /// Checks `config` and builds a provider that talks through `transport`. Sends nothing.
    ///
    /// # Errors
    ///
    /// As [`OAuth2ProviderBuilder::build`].
    pub fn new(config: OAuth2Config, transport: Arc<dyn TokenTransport>) -> Result<Self> {
        Self::builder(config, transport).build()
    }

    /// A builder, for a non-default clock, retry policy, refresh-ahead or runtime.
    pub fn builder(
        config: OAuth2Config,
        transport: Arc<dyn TokenTransport>,
    ) -> OAuth2ProviderBuilder {
        OAuth2ProviderBuilder {
            config,
            transport,
            refresh_transport: None,
            // A per-call expiry check against lifetimes of seconds: the cheap coarse clock suffices.
            clock: Arc::new(CoarseClock::new()),
            retry: RetryPolicy::default(),
            refresh_ahead: Some(DEFAULT_REFRESH_AHEAD),
            request_timeout: DEFAULT_TOKEN_REQUEST_TIMEOUT,
            executor: Executor::Background,
            #[cfg(feature = "store")]
            store: None,
        }
    }

    /// Fetches a token now unless a valid one is cached.
    ///
    /// # Errors
    ///
    /// As [`token`](AuthProvider::token).
    pub async fn prefetch(&self) -> Result<()> {
        self.token().await.map(drop)
    }
}

impl Inner {
    /// One renewal: through the shared store when there is one, else alone.
    async fn fetch(&self) -> Outcome {
        #[cfg(feature = "store")]
        if let Some(shared) = &self.shared {
            return shared.fetch(&self.fetcher, &self.cache).await;
        }
        self.fetcher.fetch(&self.cache).await
    }

    fn grant_name(&self) -> &'static str {
        self.fetcher.config.grant_name
    }

    fn endpoint(&self) -> &str {
        &self.fetcher.config.endpoint.display
    }

    /// Starts the request whose outcome goes to `sender`, in the background.
    fn start(
        self: &Arc<Self>,
        sender: tokio::sync::watch::Sender<Option<Outcome>>,
    ) -> Result<(), String> {
        let inner = Arc::clone(self);
        // The request's span is a child of the caller's, and its events go to the caller's
        // subscriber, though it runs elsewhere.
        let task = async move {
            let outcome = match CatchUnwind(Box::pin(inner.fetch())).await {
                Ok(outcome) => outcome,
                Err(message) => {
                    let secrets = inner.fetcher.config.secret_strs();
                    Err(panicked(
                        inner.endpoint(),
                        inner.grant_name(),
                        &message,
                        &secrets,
                    ))
                }
            };
            inner.flight.finish(&outcome, inner.fetcher.clock.now());
            let _ = sender.send(Some(outcome));
        };
        self.executor
            .spawn(task.in_current_span().with_current_subscriber())
    }

    /// The outcome for a caller that found no valid token.
    async fn refresh(self: &Arc<Self>) -> Outcome {
        let now = self.fetcher.clock.now();
        let mut waiter: Waiter = match self.flight.join(now, true, || self.cache.fresh(now)) {
            Join::Ready(token) => return Ok(token),
            Join::Wait(waiter) => waiter,
            Join::Refused(error) => {
                tracing::debug!(
                    target: "auth_oauth2",
                    grant = self.grant_name(),
                    "token request suppressed after a failure (penalty)"
                );
                return Err(error);
            }
            Join::Start(sender) => {
                let waiter = sender.subscribe();
                if let Err(message) = self.start(sender) {
                    let error = crate::error::TokenEndpointError::new(
                        self.endpoint(),
                        self.grant_name(),
                        crate::error::Problem::Internal(message),
                    );
                    self.flight.finish(&Err(error.clone()), now);
                    return Err(error);
                }
                waiter
            }
        };
        match waiter.wait_for(Option::is_some).await {
            Ok(done) => done.clone().unwrap_or_else(|| Err(self.task_ended())),
            Err(_) => Err(self.task_ended()),
        }
    }

    fn task_ended(&self) -> crate::error::TokenEndpointError {
        crate::error::TokenEndpointError::new(
            self.endpoint(),
            self.grant_name(),
            crate::error::Problem::Internal(
                "the token request ended without a result (its runtime shut down?)".to_owned(),
            ),
        )
    }

    /// Starts a background renewal if none is running (refresh-ahead).
    fn start_ahead(self: &Arc<Self>) {
        if let Join::Start(sender) = self.flight.join(self.fetcher.clock.now(), false, || None) {
            tracing::debug!(target: "auth_oauth2", grant = self.grant_name(), "refresh-ahead started");
            if let Err(message) = self.start(sender) {
                tracing::warn!(target: "auth_oauth2", error = %message, "refresh-ahead could not start");
            }
        }
    }
}

#[async_trait]
impl AuthProvider for OAuth2Provider {
    async fn token(&self) -> Result<Token> {
        if let Some(token) = self.token_now() {
            return Ok(token);
        }
        tracing::debug!(target: "auth_oauth2", grant = self.inner.grant_name(), "token cache miss");
        self.inner.refresh().await.map_err(|error| error.to_core())
    }

    fn token_now(&self) -> Option<Token> {
        let inner = &self.inner;
        let now = inner.fetcher.clock.now();
        let cached = inner
            .cache
            .current()
            .filter(|cached| cached.is_valid_at(now))?;
        if inner.cache.claim_renewal(&cached, now) {
            inner.start_ahead();
        }
        tracing::trace!(target: "auth_oauth2", "token cache hit");
        Some(cached.into_token())
    }

    fn invalidate(&self, rejected: &Token) {
        // Only if it is still that token: a newer one fetched meanwhile stays.
        if self.inner.cache.invalidate(rejected) {
            tracing::debug!(target: "auth_oauth2", "rejected token invalidated");
        }
        #[cfg(feature = "store")]
        if let Some(shared) = &self.inner.shared {
            // Never taken from the store again here; dropped from it (if it is still the
            // stored token) in the background, as `invalidate` cannot wait.
            shared.mark_rejected(rejected);
            let inner = Arc::clone(&self.inner);
            let rejected = rejected.clone();
            let forget = async move {
                if let Some(shared) = &inner.shared {
                    shared.forget(&inner.fetcher, &rejected).await;
                }
            };
            if let Err(message) = self
                .inner
                .executor
                .spawn(forget.in_current_span().with_current_subscriber())
            {
                tracing::warn!(target: "auth_oauth2", error = %message, "could not drop the rejected token from the store");
            }
        }
    }
}

impl fmt::Debug for OAuth2Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("OAuth2Provider");
        f.field("grant", &self.inner.grant_name())
            .field("endpoint", &self.inner.endpoint())
            .field("transport", &self.inner.fetcher.transport);
        #[cfg(feature = "store")]
        if let Some(shared) = &self.inner.shared {
            f.field("store_key", &shared.key().as_str());
        }
        f.finish_non_exhaustive()
    }
}
