//! The provider: a lock-free cache in front of a single-flight, cancel-safe refresh.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use auth_core::{
    AuthProvider, CachedToken, Clock, CoarseClock, Result, SecretString, Token, TokenCell,
    async_trait,
};
use tokio::sync::watch;
use tracing::Instrument as _;

use crate::config::OAuth2Config;
use crate::error::{Problem, TokenEndpointError, sanitize};
use crate::plan::{AssertionPlan, ClientAuth, EndpointPlan, GrantPlan, Plan};
use crate::request::{self, Step};
use crate::response::{self, TokenResponse};
use crate::retry::RetryPolicy;
use crate::transport::TokenTransport;

/// The default point, as a fraction of a token's validity, after which a background renewal
/// starts while callers keep getting the current token.
pub const DEFAULT_REFRESH_AHEAD: f64 = 0.8;

/// The longest a provider waits before sending another request after a permanent failure
/// (`invalid_client`, ...); the wait starts at one second and doubles.
pub const MAX_FAILURE_PENALTY: Duration = Duration::from_secs(60);

/// Gets OAuth2 access tokens, caches them, renews them, and hands out `Bearer` tokens.
///
/// - **Building sends nothing**; the config is checked then (URLs, credentials, keys). Call
///   [`prefetch`](Self::prefetch) to fetch eagerly.
/// - **Readers never wait** while a valid token exists: the cache is read without a lock.
/// - **Single flight**: however many callers find the token expired, one request is sent and
///   all of them get its result.
/// - **Cancel-safe**: the request runs on a spawned Tokio task, so a caller that is dropped
///   mid-refresh does not abort it, and a rotated refresh token is never lost.
/// - **Refresh-ahead**: after [`DEFAULT_REFRESH_AHEAD`] of a token's validity one background
///   renewal starts; callers keep the current token meanwhile.
/// - **Retries** transient failures within one call ([`RetryPolicy`]); after a permanent
///   failure, calls during a short, doubling penalty get the same error without a request.
///
/// The provider needs a Tokio runtime when it must fetch a token.
///
/// ```no_run
/// # async fn example(transport: std::sync::Arc<dyn auth_oauth2::TokenTransport>) -> auth_core::Result<()> {
/// use auth_core::AuthProvider;
/// use auth_oauth2::{OAuth2Config, OAuth2Provider};
///
/// let config = OAuth2Config::client_credentials("https://idp.example/token", "svc", "s3cr3t")
///     .scopes(["read"]);
/// let provider = OAuth2Provider::new(config, transport)?;
/// let token = provider.token().await?; // `Bearer <access token>`
/// # let _ = token;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct OAuth2Provider {
    inner: Arc<Inner>,
}

struct Inner {
    plan: Plan,
    transport: Arc<dyn TokenTransport>,
    refresh_transport: Arc<dyn TokenTransport>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    refresh_ahead: Option<f64>,
    /// The current token (valid until `issued + expires_in - clock_skew`, renewed in the
    /// background from `renew_from`), read with no lock and no shared writes.
    current: TokenCell,
    /// The `renew_from` (nanoseconds since the epoch) of the token whose background renewal
    /// has started. Keyed by token rather than a flag reset on store, so a reader still holding
    /// the previous token cannot claim the new token's renewal.
    ahead_started_for: AtomicU64,
    state: Mutex<State>,
}

type Outcome = std::result::Result<Token, TokenEndpointError>;

#[derive(Default)]
struct State {
    inflight: Option<watch::Receiver<Option<Outcome>>>,
    refresh_token: Option<SecretString>,
    penalty: Option<Penalty>,
}

struct Penalty {
    until: SystemTime,
    error: TokenEndpointError,
    streak: u32,
}

enum Join {
    Ready(Outcome),
    Wait(watch::Receiver<Option<Outcome>>),
}

/// Builds an [`OAuth2Provider`] with non-default clock, retries, refresh-ahead or a separate
/// refresh transport.
#[must_use]
pub struct OAuth2ProviderBuilder {
    config: OAuth2Config,
    transport: Arc<dyn TokenTransport>,
    refresh_transport: Option<Arc<dyn TokenTransport>>,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
    refresh_ahead: Option<f64>,
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
    /// Reads time from `clock` (default: [`CoarseClock`], the system clock read cheaply).
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

    /// Sends password-grant refresh requests through `transport` (when the refresh endpoint
    /// has its own TLS settings).
    pub fn refresh_transport(mut self, transport: Arc<dyn TokenTransport>) -> Self {
        self.refresh_transport = Some(transport);
        self
    }

    /// Checks the config and builds the provider. Sends nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) for a bad URL, a
    /// plain-http URL to a non-loopback host without `allow_insecure_http`, an empty or
    /// CR/LF-carrying credential, a bad custom header or payload, a missing client credential;
    /// [`ErrorKind::KeyMaterial`](auth_core::ErrorKind::KeyMaterial) for an assertion key that
    /// cannot be used.
    pub fn build(self) -> Result<OAuth2Provider> {
        if let Some(fraction) = self.refresh_ahead
            && !(fraction > 0.0 && fraction < 1.0)
        {
            return Err(auth_core::Error::invalid_config(format!(
                "refresh-ahead must be a fraction between 0 and 1 of a token's validity, got {fraction}"
            )));
        }
        let plan = Plan::new(&self.config)?;
        Ok(OAuth2Provider {
            inner: Arc::new(Inner {
                plan,
                refresh_transport: self
                    .refresh_transport
                    .unwrap_or_else(|| Arc::clone(&self.transport)),
                transport: self.transport,
                clock: self.clock,
                retry: self.retry,
                refresh_ahead: self.refresh_ahead,
                current: TokenCell::new(),
                ahead_started_for: AtomicU64::new(0),
                state: Mutex::new(State::default()),
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

    /// A builder, for a non-default clock, retry policy or refresh-ahead.
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
    fn lock_state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, now: SystemTime) -> Option<Token> {
        self.current
            .get()
            .filter(|cached| cached.is_valid_at(now))
            .map(|cached| cached.token)
    }

    /// Joins the refresh in flight, or starts one.
    fn join_or_start(self: &Arc<Self>, now: SystemTime) -> Join {
        let mut state = self.lock_state();
        if let Some(token) = self.fresh(now) {
            return Join::Ready(Ok(token));
        }
        if let Some(inflight) = &state.inflight {
            // A sender that is gone means the task died; start a new one below.
            if inflight.has_changed().is_ok() {
                return Join::Wait(inflight.clone());
            }
        }
        if let Some(penalty) = &state.penalty
            && now < penalty.until
        {
            tracing::debug!(
                target: "auth_oauth2",
                grant = self.plan.grant_name(),
                "token request suppressed after a permanent failure"
            );
            return Join::Ready(Err(penalty.error.clone()));
        }
        match self.spawn_refresh(&mut state) {
            Ok(receiver) => Join::Wait(receiver),
            Err(error) => Join::Ready(Err(error)),
        }
    }

    /// Starts a background renewal if none is running (refresh-ahead).
    fn start_ahead(self: &Arc<Self>) {
        let mut state = self.lock_state();
        if state
            .inflight
            .as_ref()
            .is_some_and(|rx| rx.has_changed().is_ok())
        {
            return;
        }
        tracing::debug!(target: "auth_oauth2", grant = self.plan.grant_name(), "refresh-ahead started");
        let _ = self.spawn_refresh(&mut state);
    }

    fn spawn_refresh(
        self: &Arc<Self>,
        state: &mut State,
    ) -> std::result::Result<watch::Receiver<Option<Outcome>>, TokenEndpointError> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(TokenEndpointError::new(
                &self.plan.endpoint.display,
                self.plan.grant_name(),
                Problem::Internal(
                    "the OAuth2 provider must run inside a Tokio runtime to fetch tokens"
                        .to_owned(),
                ),
            ));
        };
        let (sender, receiver) = watch::channel(None);
        state.inflight = Some(receiver.clone());
        let inner = Arc::clone(self);
        runtime.spawn(async move {
            let outcome = inner.fetch().await;
            {
                let mut state = inner.lock_state();
                state.inflight = None;
                match &outcome {
                    Ok(_) => state.penalty = None,
                    Err(error) if !error.is_transient() => {
                        let streak = state.penalty.as_ref().map_or(1, |p| p.streak + 1);
                        let wait = Duration::from_secs(1)
                            .saturating_mul(1 << (streak - 1).min(6))
                            .min(MAX_FAILURE_PENALTY);
                        state.penalty = Some(Penalty {
                            until: inner.clock.now() + wait,
                            error: error.clone(),
                            streak,
                        });
                    }
                    // The server said when to come back: until then, calls get this error
                    // without a request.
                    Err(error) => {
                        if let Some(wait) = error.retry_after() {
                            state.penalty = Some(Penalty {
                                until: inner.clock.now() + wait.min(MAX_FAILURE_PENALTY),
                                error: error.clone(),
                                streak: 0,
                            });
                        }
                    }
                }
            }
            let _ = sender.send(Some(outcome));
        });
        Ok(receiver)
    }

    /// Runs the grant (or the refresh) and caches the result.
    async fn fetch(&self) -> Outcome {
        let sent_at = self.clock.now();
        let refresh_token = self.lock_state().refresh_token.clone();
        let plan = &self.plan;
        let response = match &plan.grant {
            GrantPlan::ClientCredentials => {
                self.request(
                    &plan.endpoint,
                    &Step::ClientCredentials,
                    &self.transport,
                    &[],
                )
                .await
            }
            GrantPlan::Password { username, password } => {
                let step = Step::Password { username, password };
                self.renew_or(refresh_token, &step).await
            }
            GrantPlan::RefreshToken { initial } => {
                let refresh_token = refresh_token.unwrap_or_else(|| initial.clone());
                let step = Step::Refresh {
                    refresh_token: &refresh_token,
                };
                self.request(
                    &plan.endpoint,
                    &step,
                    &self.transport,
                    &[refresh_token.expose_secret()],
                )
                .await
            }
            GrantPlan::JwtBearer { assertion } => {
                let assertion = match assertion {
                    AssertionPlan::Static(jwt) => jwt.clone(),
                    #[cfg(feature = "jwt")]
                    AssertionPlan::Issued(issuer) => issuer.issue().map_err(|e| {
                        TokenEndpointError::new(
                            &plan.endpoint.display,
                            "jwt-bearer",
                            Problem::Internal(format!("could not sign the assertion ({e})")),
                        )
                    })?,
                };
                let step = Step::JwtBearer {
                    assertion: &assertion,
                };
                self.renew_or(refresh_token, &step).await
            }
        }?;
        self.store(response, sent_at)
    }

    /// Password and jwt-bearer grants: refresh when there is a refresh token, and fall back to
    /// the grant itself when there is none or (if allowed) the refresh is refused.
    async fn renew_or(
        &self,
        refresh_token: Option<SecretString>,
        grant: &Step<'_>,
    ) -> std::result::Result<TokenResponse, TokenEndpointError> {
        let extra: Vec<&str> = match grant {
            Step::JwtBearer { assertion } => vec![assertion.expose_secret()],
            _ => Vec::new(),
        };
        if let (Some(refresh_token), Some(refresh)) = (refresh_token, &self.plan.refresh) {
            let step = Step::Refresh {
                refresh_token: &refresh_token,
            };
            match self
                .request(
                    refresh,
                    &step,
                    &self.refresh_transport,
                    &[refresh_token.expose_secret()],
                )
                .await
            {
                Err(error) if error.is_invalid_grant() && self.plan.fallback_on_invalid_grant => {
                    tracing::info!(
                        target: "auth_oauth2",
                        grant = grant.grant_name(),
                        "refresh token refused (invalid_grant); running the grant again"
                    );
                    self.lock_state().refresh_token = None;
                }
                other => return other,
            }
        }
        self.request(&self.plan.endpoint, grant, &self.transport, &extra)
            .await
    }

    /// Sends one token request, retrying transient failures.
    async fn request(
        &self,
        endpoint: &EndpointPlan,
        step: &Step<'_>,
        transport: &Arc<dyn TokenTransport>,
        extra_secrets: &[&str],
    ) -> std::result::Result<TokenResponse, TokenEndpointError> {
        let grant = step.grant_name();
        let host = endpoint.url.host_str().unwrap_or_default().to_owned();
        // The access token being replaced is a secret too, if the server echoes it.
        let current = self.current.get();
        let mut secrets: Vec<&str> = self
            .plan
            .secrets
            .iter()
            .map(SecretString::expose_secret)
            .collect();
        secrets.extend_from_slice(extra_secrets);
        if let Some(cached) = &current {
            secrets.push(cached.token.expose_credential());
        }
        if let ClientAuth::Basic(basic) = &endpoint.client_auth {
            secrets.push(basic.expose_credential());
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = request::build(endpoint, step)?;
            let span = tracing::info_span!(
                target: "auth_oauth2",
                "oauth2.token_request",
                grant,
                endpoint = %host,
                attempt,
                outcome = tracing::field::Empty,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let sent = transport.send(request).instrument(span.clone()).await;
            let result = match sent {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    let context = response::Context {
                        endpoint: &endpoint.display,
                        grant,
                        secrets: &secrets,
                        now: self.clock.now(),
                    };
                    response::parse(&response, &context)
                }
                Err(error) => Err(TokenEndpointError::new(
                    &endpoint.display,
                    grant,
                    // A custom transport's message is not ours to trust: clean it like a body.
                    Problem::Transport(error.kind(), sanitize(error.message(), &secrets, 300)),
                )),
            };
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match result {
                Ok(response) => {
                    span.record("outcome", "ok");
                    span.in_scope(|| tracing::debug!(target: "auth_oauth2", "token received"));
                    return Ok(response);
                }
                Err(mut error) => {
                    error.0.attempts = attempt;
                    let outcome = if error.is_transient() {
                        "transient failure"
                    } else {
                        "failure"
                    };
                    span.record("outcome", outcome);
                    span.in_scope(|| tracing::warn!(target: "auth_oauth2", error = %error, "token request failed"));
                    if error.is_transient()
                        && let Some(wait) = self.retry.delay(attempt, error.0.retry_after)
                    {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Caches a successful response and returns its token.
    fn store(&self, response: TokenResponse, sent_at: SystemTime) -> Outcome {
        let lifetime = response.expires_in.unwrap_or(self.plan.default_lifetime);
        let skew = self.plan.clock_skew.min(lifetime / 2);
        let validity = lifetime - skew;
        let token = Token::bearer(response.access_token)
            .map_err(|_| {
                TokenEndpointError::new(
                    &self.plan.endpoint.display,
                    self.plan.grant_name(),
                    Problem::Malformed(
                        "the `access_token` holds characters that cannot stand in an HTTP header"
                            .to_owned(),
                    ),
                )
            })?
            .with_expiry(sent_at + lifetime);
        let renew_from = self
            .refresh_ahead
            .map(|fraction| sent_at + validity.mul_f64(fraction));
        // Keep the newest (rotated) refresh token; without one, the old one stays.
        if let Some(refresh_token) = response.refresh_token
            && !matches!(self.plan.grant, GrantPlan::ClientCredentials)
        {
            self.lock_state().refresh_token = Some(refresh_token);
        }
        self.current.set(Some(CachedToken {
            token: token.clone(),
            valid_until: Some(sent_at + validity),
            renew_from,
        }));
        Ok(token)
    }
}

#[async_trait]
impl AuthProvider for OAuth2Provider {
    async fn token(&self) -> Result<Token> {
        if let Some(token) = self.token_now() {
            return Ok(token);
        }
        let inner = &self.inner;
        let now = inner.clock.now();
        tracing::debug!(target: "auth_oauth2", grant = inner.plan.grant_name(), "token cache miss");
        let outcome = match inner.join_or_start(now) {
            Join::Ready(outcome) => outcome,
            Join::Wait(mut receiver) => match receiver.wait_for(Option::is_some).await {
                Ok(done) => done.clone().unwrap_or_else(|| unreachable_outcome(inner)),
                Err(_) => unreachable_outcome(inner),
            },
        };
        outcome.map_err(|error| error.to_core())
    }

    fn token_now(&self) -> Option<Token> {
        let inner = &self.inner;
        let now = inner.clock.now();
        let cached = inner
            .current
            .get()
            .filter(|cached| cached.is_valid_at(now))?;
        if let Some(from) = cached.renew_from
            && now >= from
        {
            // Read first: in the renewal window every call would otherwise write the flag.
            let key = unix_nanos(from);
            let started = inner.ahead_started_for.load(Ordering::Acquire);
            if started != key
                && inner
                    .ahead_started_for
                    .compare_exchange(started, key, Ordering::AcqRel, Ordering::Acquire)
                    .is_ok()
            {
                inner.start_ahead();
            }
        }
        tracing::trace!(target: "auth_oauth2", "token cache hit");
        Some(cached.token)
    }

    fn invalidate(&self, rejected: &Token) {
        // Only if it is still that token: a newer one fetched meanwhile stays.
        if self.inner.current.replace_if(rejected, None) {
            tracing::debug!(target: "auth_oauth2", "rejected token invalidated");
        }
    }
}

fn unix_nanos(at: SystemTime) -> u64 {
    at.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn unreachable_outcome(inner: &Inner) -> Outcome {
    Err(TokenEndpointError::new(
        &inner.plan.endpoint.display,
        inner.plan.grant_name(),
        Problem::Internal("the token refresh task ended without a result".to_owned()),
    ))
}

impl fmt::Debug for OAuth2Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Provider")
            .field("grant", &self.inner.plan.grant_name())
            .field("endpoint", &self.inner.plan.endpoint.display)
            .field("transport", &self.inner.transport)
            .finish_non_exhaustive()
    }
}
