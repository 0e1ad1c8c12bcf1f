//! The token cache: the current access token (read without a lock), the newest refresh token,
//! and turning a token response into both.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use auth_core::cache::{CachedToken, TokenCell};
use auth_core::clock::unix_nanos;
use auth_core::{Scheme, SecretString, Token};

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
    /// The newest refresh token the server gave, and when it was kept.
    refresh_token: Mutex<Option<(SecretString, SystemTime)>>,
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
        self.lock_refresh().as_ref().map(|(token, _)| token.clone())
    }

    /// When the newest refresh token was kept.
    #[cfg(feature = "store")]
    pub(crate) fn refresh_token_since(&self) -> Option<SystemTime> {
        self.lock_refresh().as_ref().map(|(_, since)| *since)
    }

    /// Keeps `refresh_token`, received at `at`, as the newest one.
    pub(crate) fn keep_refresh_token(&self, refresh_token: SecretString, at: SystemTime) {
        *self.lock_refresh() = Some((refresh_token, at));
    }

    pub(crate) fn forget_refresh_token(&self) {
        *self.lock_refresh() = None;
    }

    fn lock_refresh(&self) -> std::sync::MutexGuard<'_, Option<(SecretString, SystemTime)>> {
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
        let expires_at = expiry(config, response.expires_in, sent_at)?;
        let scheme = response.scheme();
        self.put(config, response.access_token, &scheme, sent_at, expires_at)
    }

    /// Caches `access_token`, got by a request sent at `sent_at` and expiring at `expires_at`,
    /// and returns it as a token: valid until `expires_at` less the clock skew (clamped to half
    /// the lifetime), renewed in the background after the refresh-ahead fraction of that.
    pub(crate) fn put(
        &self,
        config: &CheckedConfig,
        access_token: SecretString,
        scheme: &Scheme,
        sent_at: SystemTime,
        expires_at: SystemTime,
    ) -> Result<Token, TokenEndpointError> {
        let lifetime = expires_at.duration_since(sent_at).unwrap_or_default();
        let validity = lifetime - config.clock_skew.min(lifetime / 2);
        let valid_until = sent_at.checked_add(validity).unwrap_or(expires_at);
        let token = Token::new(scheme.clone(), access_token)
            .map_err(|_| {
                malformed(
                    config,
                    "the `access_token` holds characters that cannot stand in an HTTP header",
                )
            })?
            .with_expiry(expires_at);
        let token = bind(config, token)?;
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

/// When a token got by a request sent at `sent_at` expires: after `expires_in`, or the
/// configured default lifetime, at most [`MAX_TOKEN_LIFETIME`].
pub(crate) fn expiry(
    config: &CheckedConfig,
    expires_in: Option<Duration>,
    sent_at: SystemTime,
) -> Result<SystemTime, TokenEndpointError> {
    let lifetime = expires_in
        .unwrap_or(config.default_lifetime)
        .min(MAX_TOKEN_LIFETIME);
    sent_at.checked_add(lifetime).ok_or_else(|| {
        malformed(
            config,
            "the token's expiry is beyond what this system's clock can represent",
        )
    })
}

/// A `DPoP` token goes with proofs from the config's key; a server that binds a token when
/// no key was configured has issued one that cannot be used.
#[cfg(feature = "dpop")]
fn bind(config: &CheckedConfig, token: Token) -> Result<Token, TokenEndpointError> {
    if !token.scheme().as_str().eq_ignore_ascii_case("dpop") {
        return Ok(token);
    }
    match &config.dpop {
        Some(key) => {
            let binding = auth_jwt_issuer::DpopKey::bind(key, token.expose_credential());
            Ok(token.with_proof(std::sync::Arc::new(binding)))
        }
        None => Err(unbound_dpop(config)),
    }
}

#[cfg(not(feature = "dpop"))]
fn bind(config: &CheckedConfig, token: Token) -> Result<Token, TokenEndpointError> {
    if token.scheme().as_str().eq_ignore_ascii_case("dpop") {
        return Err(unbound_dpop(config));
    }
    Ok(token)
}

fn unbound_dpop(config: &CheckedConfig) -> TokenEndpointError {
    malformed(
        config,
        "the server issued a DPoP-bound token (`token_type: DPoP`), but no DPoP key is \
         configured; add one (`dpop`) or ask the server for Bearer tokens",
    )
}

fn malformed(config: &CheckedConfig, why: &str) -> TokenEndpointError {
    TokenEndpointError::new(
        &config.endpoint.display,
        config.grant_name,
        Problem::Malformed(why.to_owned()),
    )
}
