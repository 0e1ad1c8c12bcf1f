//! The JWT issuer as an [`AuthProvider`], caching each token until shortly before it expires.

use std::fmt;
use std::time::{Duration, SystemTime};

use auth_core::cache::{CachedToken, TokenCell};
use auth_core::{AuthProvider, Result, Token, async_trait};

use crate::issuer::JwtIssuer;
use crate::turn::{Turns, Waited};

/// The default time before `exp` at which a cached token is replaced by a fresh one.
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);

/// Puts `Authorization: Bearer <self-signed JWT>` on requests.
///
/// Unlike Ballerina, which reads the key and signs a new JWT for every request, the key is
/// parsed once and each JWT is reused until `exp` minus a leeway (default 30 s, clamped to
/// half of `exp_time` so that short-lived tokens are still reused), then the next one is
/// issued ahead of expiry. Readers of a cached token take no lock.
///
/// The caller that finds the token stale signs the next one on its own task; callers arriving
/// meanwhile wait for that token (or share its error) without blocking their threads. The
/// signature runs on that caller's thread — an async worker, since this crate has no runtime of
/// its own to move it to — so a signer that blocks (a remote KMS, say) holds one worker for one
/// round trip per token lifetime. On a current-thread runtime that stalls the whole runtime for
/// that round trip; use a multi-thread runtime with such a signer.
///
/// ```
/// use auth_core::AuthProvider;
/// use auth_jwt_issuer::{Algorithm, JwtIssuer, JwtProvider, SigningKey};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> auth_core::Result<()> {
/// let issuer = JwtIssuer::builder()
///     .issuer("acme")
///     .signer(SigningKey::hmac(Algorithm::Hs256, "a shared secret of at least 32 bytes!")?)
///     .build()?;
/// let provider = JwtProvider::new(issuer);
/// let first = provider.token().await?;
/// let second = provider.token().await?;
/// assert!(first.same_credential(&second)); // signed once, reused
/// # Ok(())
/// # }
/// ```
pub struct JwtProvider {
    issuer: JwtIssuer,
    leeway: Duration,
    fresh_per_request: bool,
    /// The current token, read without a lock and without shared writes (per-thread copies).
    cached: TokenCell,
    /// Taken while issuing, so concurrent callers at expiry sign once, not once each.
    turns: Turns,
}

impl JwtProvider {
    /// A caching provider over `issuer`.
    pub fn new(issuer: JwtIssuer) -> Self {
        Self {
            issuer,
            leeway: DEFAULT_LEEWAY,
            fresh_per_request: false,
            cached: TokenCell::new(),
            turns: Turns::default(),
        }
    }

    /// Renews a cached token `leeway` before its `exp` (clamped to half of `exp_time`).
    #[must_use]
    pub fn with_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Issues a new JWT for every request instead of caching (Ballerina's behaviour).
    #[must_use]
    pub fn fresh_per_request(mut self, fresh: bool) -> Self {
        self.fresh_per_request = fresh;
        self
    }

    /// The issuer, for signing outside the provider.
    pub fn issuer(&self) -> &JwtIssuer {
        &self.issuer
    }

    fn effective_leeway(&self) -> Duration {
        self.leeway.min(self.issuer.exp_time() / 2)
    }

    /// Issues a token, valid for caching until `exp` minus the leeway.
    fn issue(&self, now: SystemTime) -> Result<CachedToken> {
        let (jwt, expires_at) = self.issuer.issue_at(now)?;
        let token = Token::bearer(jwt)?.with_expiry(expires_at);
        let renew_at = expires_at
            .checked_sub(self.effective_leeway())
            .unwrap_or(expires_at);
        // Renewal is synchronous, at `valid_until`; there is no background renewal.
        Ok(CachedToken::new(token).with_valid_until(renew_at))
    }

    /// The cached token, if it is still fresh at `now`.
    fn fresh_cached(&self, now: SystemTime) -> Option<Token> {
        self.cached
            .get()
            .filter(|cached| cached.is_valid_at(now))
            .map(CachedToken::into_token)
    }
}

#[async_trait]
impl AuthProvider for JwtProvider {
    async fn token(&self) -> Result<Token> {
        let now = self.issuer.clock().now();
        if self.fresh_per_request {
            return self.issue(now).map(CachedToken::into_token);
        }
        if let Some(token) = self.fresh_cached(now) {
            return Ok(token);
        }
        // One caller signs; the others wait for its token (or its error) without blocking
        // their threads.
        let clock = self.issuer.clock();
        let turn = match self.turns.take(|| self.fresh_cached(clock.now())).await {
            Ok(turn) => turn,
            Err(Waited::Done(token)) => return Ok(token),
            Err(Waited::Failed(error)) => return Err(error),
        };
        let cached = self
            .issue(self.issuer.clock().now())
            .inspect_err(|error| turn.failed(error))?;
        let token = cached.token().clone();
        self.cached.set(Some(cached));
        Ok(token)
    }

    fn token_now(&self) -> Option<Token> {
        if self.fresh_per_request {
            return None;
        }
        self.fresh_cached(self.issuer.clock().now())
    }

    fn invalidate(&self, rejected: &Token) {
        // `replace_if` is atomic; no need to wait behind a signature in progress.
        self.cached.replace_if(rejected, None);
    }
}

impl fmt::Debug for JwtProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtProvider")
            .field("issuer", &self.issuer)
            .field("leeway", &self.effective_leeway())
            .field("fresh_per_request", &self.fresh_per_request)
            .finish_non_exhaustive()
    }
}
