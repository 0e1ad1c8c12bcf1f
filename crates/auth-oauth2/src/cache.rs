//! The token cache: the current access token (read without a lock), the newest refresh token,
//! and turning a token response into both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use auth_core::cache::{CachedToken, TokenCell};
use auth_core::clock::unix_nanos;
use auth_core::{SecretString, Token};

use crate::checked::CheckedConfig;
use crate::config::MAX_TOKEN_LIFETIME;
use crate::error::{Problem, TokenEndpointError};
use crate::response::TokenResponse;

pub(crate) struct TokenCache {
    /// The current token (valid until `issued + expires_in - clock_skew`, renewed in the
    /// background from `renew_from`), read with no lock and no shared writes.
    current: TokenCell,
    /// The `renew_from` (nanoseconds since the epoch) of the token whose background renewal
    /// has started. Keyed by token rather than a flag reset on store, so a reader still holding
    /// the previous token cannot claim the new token's renewal.
    ahead_started_for: AtomicU64,
    /// The newest refresh token the server gave.
    refresh_token: Mutex<Option<SecretString>>,
    /// When a background renewal may start, as a fraction of a token's validity.
    refresh_ahead: Option<f64>,
}

impl TokenCache {
    pub(crate) fn new(refresh_ahead: Option<f64>) -> Self {
        Self {
            current: TokenCell::new(),
            ahead_started_for: AtomicU64::new(0),
            refresh_token: Mutex::new(None),
            refresh_ahead,
        }
    }

    /// This thread's copy of the current token.
    pub(crate) fn current(&self) -> Option<CachedToken> {
        self.current.get()
    }

    /// The current token if it is still valid at `now`.
    pub(crate) fn fresh(&self, now: SystemTime) -> Option<Token> {
        self.current
            .get()
            .filter(|cached| cached.is_valid_at(now))
            .map(CachedToken::into_token)
    }

    /// Whether this caller should start the background renewal of `cached` at `now`: true for
    /// exactly one caller per token once its renewal window opens.
    pub(crate) fn claim_renewal(&self, cached: &CachedToken, now: SystemTime) -> bool {
        let (true, Some(from)) = (cached.should_renew_at(now), cached.renew_from()) else {
            return false;
        };
        // Read first: in the renewal window every call would otherwise write the flag.
        let key = unix_nanos(from);
        let started = self.ahead_started_for.load(Ordering::Acquire);
        started != key
            && self
                .ahead_started_for
                .compare_exchange(started, key, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
    }

    /// Drops `rejected` if it is still the current token; says whether it was.
    pub(crate) fn invalidate(&self, rejected: &Token) -> bool {
        self.current.replace_if(rejected, None)
    }

    pub(crate) fn refresh_token(&self) -> Option<SecretString> {
        self.lock_refresh().clone()
    }

    /// Keeps `refresh_token` as the newest one.
    pub(crate) fn keep_refresh_token(&self, refresh_token: SecretString) {
        *self.lock_refresh() = Some(refresh_token);
    }

    pub(crate) fn forget_refresh_token(&self) {
        *self.lock_refresh() = None;
    }

    fn lock_refresh(&self) -> std::sync::MutexGuard<'_, Option<SecretString>> {
        self.refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Caches a successful response (sent at `sent_at`) and returns its token. (A rotated
    /// refresh token was kept already, as the response was read: see `response::parse`.)
    pub(crate) fn store(
        &self,
        config: &CheckedConfig,
        response: TokenResponse,
        sent_at: SystemTime,
    ) -> Result<Token, TokenEndpointError> {
        let malformed = |why: &str| {
            TokenEndpointError::new(
                &config.endpoint.display,
                config.grant_name,
                Problem::Malformed(why.to_owned()),
            )
        };
        let lifetime = response
            .expires_in
            .unwrap_or(config.default_lifetime)
            .min(MAX_TOKEN_LIFETIME);
        let skew = config.clock_skew.min(lifetime / 2);
        let validity = lifetime - skew;
        let (Some(expires_at), Some(valid_until)) =
            (sent_at.checked_add(lifetime), sent_at.checked_add(validity))
        else {
            return Err(malformed(
                "the token's expiry is beyond what this system's clock can represent",
            ));
        };
        let token = Token::bearer(response.access_token)
            .map_err(|_| {
                malformed("the `access_token` holds characters that cannot stand in an HTTP header")
            })?
            .with_expiry(expires_at);
        let mut cached = CachedToken::new(token.clone()).with_valid_until(valid_until);
        if let Some(renew_from) = self
            .refresh_ahead
            .and_then(|fraction| sent_at.checked_add(validity.mul_f64(fraction)))
        {
            cached = cached.with_renew_from(renew_from);
        }
        self.current.set(Some(cached));
        Ok(token)
    }
}
