//! The provider's side of a shared store: on a local miss, take a usable token from the store,
//! or take the lease and fetch one for everybody, or wait for the holder's token; save rotated
//! refresh tokens before anything is handed out; fall back to fetching alone when the store
//! does not answer.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use auth_core::cache::CachedToken;
use auth_core::store::{ChangeFuture, Lease, StoreKey, TokenStore};
use auth_core::{Result, Scheme, SecretString, Token};
use ring::digest;

use super::StoreSettings;
use super::encryption::{Sealer, Unopened};
use super::health::Health;
use super::identity::StoreIdentity;
use super::record::TokenRecord;
use crate::cache::{TokenCache, expiry};
use crate::checked::CheckedConfig;
use crate::fetch::{Fetcher, Outcome};

/// How often a waiter looks again when no notification comes: first, and at most.
const FIRST_POLL: Duration = Duration::from_millis(10);
const LONGEST_POLL: Duration = Duration::from_millis(200);

pub(crate) struct Shared {
    store: Arc<dyn TokenStore>,
    /// The store as logs name it (its `Debug`, which shows no credential).
    name: String,
    key: StoreKey,
    sealer: Sealer,
    lease_ttl: Duration,
    timeout: Duration,
    health: Health,
    /// The digest of the last token a server rejected: never taken from the store again.
    rejected: Mutex<Option<digest::Digest>>,
}

/// What the store holds for this provider.
enum Look {
    /// A token to use.
    Usable(TokenRecord),
    /// Nothing to use: the version to replace (none: no record) and what the record held, if
    /// it opened.
    Stale {
        version: Option<u64>,
        record: Option<TokenRecord>,
    },
}

/// The store did not answer, or answered with an error; the text holds no secret.
pub(crate) struct Down(String);

impl Shared {
    pub(crate) fn new(settings: &StoreSettings, config: &CheckedConfig) -> Result<Self> {
        let identity = StoreIdentity::of(config)?;
        let sealer = match (
            &settings.encryption,
            &identity.credential,
            identity.needs_keys,
        ) {
            (Some(keys), ..) => Sealer::configured(keys),
            (None, _, Some(why)) => {
                return Err(auth_core::Error::invalid_config(format!(
                    "a token store needs an encryption key for this config: {why}; give one with \
                     `StoreSettings::encryption` (in a config file, `[store] encryption_key_env`) \
                     and only to those processes"
                )));
            }
            (None, Some(credential), None) => Sealer::derived(credential),
            (None, None, None) => {
                return Err(auth_core::Error::invalid_config(
                    "a token store needs an encryption key for this config: it holds no secret \
                     this process can read to derive one from (its assertions are signed \
                     elsewhere); give one with `StoreSettings::encryption` (in a config file, \
                     `[store] encryption_key_env`)",
                ));
            }
        };
        Ok(Self {
            name: format!("{:?}", settings.store),
            store: Arc::clone(&settings.store),
            key: identity.key,
            sealer,
            lease_ttl: settings.lease_ttl,
            timeout: settings.timeout,
            health: Health::default(),
            rejected: Mutex::new(None),
        })
    }

    /// The key this provider's record is stored under.
    pub(crate) fn key(&self) -> &StoreKey {
        &self.key
    }

    /// A token for a caller that found none in the local cache.
    pub(crate) async fn fetch(&self, fetcher: &Fetcher, cache: &TokenCache) -> Outcome {
        if self.health.should_try() {
            match self.shared_fetch(fetcher, cache).await {
                Ok(outcome) => return outcome,
                Err(Down(why)) => self.health.failed(&self.name, &why),
            }
        }
        fetcher.fetch(cache).await
    }

    /// `Err` only when nothing was sent yet, so the caller may fetch alone instead.
    async fn shared_fetch(&self, fetcher: &Fetcher, cache: &TokenCache) -> Result<Outcome, Down> {
        // The token being replaced (expired, rejected, or due for renewal): only a newer one
        // from the store will do.
        let replacing = cache.current();
        let started = Instant::now();
        let patience = self.lease_ttl.saturating_mul(2) + fetcher.request_timeout;
        let mut poll = FIRST_POLL;
        loop {
            // Subscribed before looking, so a token stored in between wakes this waiter.
            let change = self.subscribe().await;
            let look = self.look(fetcher, replacing.as_ref()).await?;
            self.health.answered(&self.name);
            if let Look::Usable(record) = look {
                tracing::debug!(target: "auth_oauth2", "token taken from the store");
                return Ok(self.adopt(fetcher, cache, record));
            }
            let lease = self
                .call(
                    "taking the lease",
                    self.store.try_lease(&self.key, self.lease_ttl),
                )
                .await?;
            if let Some(lease) = lease {
                return Ok(self.lead(fetcher, cache, replacing.as_ref(), lease).await);
            }
            if started.elapsed() > patience {
                return Err(Down(format!(
                    "another process has held the lease for over {} s without storing a token",
                    patience.as_secs()
                )));
            }
            tokio::select! {
                () = change => {}
                () = tokio::time::sleep(poll) => {}
            }
            poll = poll.saturating_mul(2).min(LONGEST_POLL);
        }
    }

    /// Fetches under `lease`, saves the result for everybody, and gives the lease back.
    async fn lead(
        &self,
        fetcher: &Fetcher,
        cache: &TokenCache,
        replacing: Option<&CachedToken>,
        lease: Lease,
    ) -> Outcome {
        let work = std::pin::pin!(self.fetch_for_all(fetcher, cache, replacing, &lease));
        let outcome = self.with_heartbeat(&lease, work).await;
        if let Err(Down(why)) = self
            .call(
                "releasing the lease",
                self.store.release_lease(&self.key, &lease),
            )
            .await
        {
            self.health.failed(&self.name, &why);
        }
        outcome
    }

    async fn fetch_for_all(
        &self,
        fetcher: &Fetcher,
        cache: &TokenCache,
        replacing: Option<&CachedToken>,
        lease: &Lease,
    ) -> Outcome {
        // Another process may have stored a token between the look and the lease.
        let (version, record) = match self.look(fetcher, replacing).await {
            Ok(Look::Usable(record)) => return self.adopt(fetcher, cache, record),
            Ok(Look::Stale { version, record }) => (version, record),
            Err(Down(why)) => {
                self.health.failed(&self.name, &why);
                return fetcher.fetch(cache).await;
            }
        };
        // The stored refresh token is the newest one unless this process got a newer one
        // while the store was away.
        if let Some(record) = &record {
            take_refresh_token(cache, record);
        }
        let refresh_before = cache.refresh_token();
        tracing::debug!(target: "auth_oauth2", "lease taken; fetching a token for every process");
        match fetcher.fetch_response(cache).await {
            Ok((response, sent_at)) => {
                let expires_at = expiry(&fetcher.config, response.expires_in, sent_at)?;
                let record = TokenRecord {
                    access_token: Some(response.access_token.clone()),
                    scheme: response.scheme().as_str().to_owned(),
                    issued_at: sent_at,
                    expires_at,
                    refresh_token: cache.refresh_token(),
                };
                // Stored before the token is handed out: a rotated refresh token is never only
                // in this process.
                self.save(fetcher, version, &record, Some(lease)).await;
                cache.store(&fetcher.config, response, sent_at)
            }
            Err(error) => {
                // A rotated refresh token that came with an unusable response, or a refused
                // one that was dropped, must reach the store too.
                let refresh_now = cache.refresh_token();
                if !same_secret(refresh_before.as_ref(), refresh_now.as_ref()) {
                    let record = TokenRecord {
                        access_token: None,
                        scheme: Scheme::Bearer.as_str().to_owned(),
                        issued_at: fetcher.clock.now(),
                        expires_at: fetcher.clock.now(),
                        refresh_token: refresh_now,
                    };
                    self.save(fetcher, version, &record, Some(lease)).await;
                }
                Err(error)
            }
        }
    }

    /// Runs `work`, renewing `lease` every third of its time to live, so a slow token request
    /// does not lose it; a holder that dies stops renewing and the lease runs out.
    async fn with_heartbeat<F: Future + Unpin>(&self, lease: &Lease, mut work: F) -> F::Output {
        let beat = async {
            loop {
                tokio::time::sleep(self.lease_ttl / 3).await;
                let renewed = self
                    .call(
                        "renewing the lease",
                        self.store.renew_lease(&self.key, lease, self.lease_ttl),
                    )
                    .await;
                match renewed {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::debug!(target: "auth_oauth2", "the lease ran out during the token request");
                        return;
                    }
                    Err(Down(why)) => {
                        tracing::debug!(target: "auth_oauth2", error = %why, "the lease could not be renewed");
                        return;
                    }
                }
            }
        };
        tokio::select! {
            output = &mut work => return output,
            () = beat => {}
        }
        work.await
    }

    /// Reads and opens the stored record, and judges it.
    async fn look(&self, fetcher: &Fetcher, replacing: Option<&CachedToken>) -> Result<Look, Down> {
        let Some(stored) = self
            .call("reading the token record", self.store.load(&self.key))
            .await?
        else {
            return Ok(Look::Stale {
                version: None,
                record: None,
            });
        };
        let record = match self.sealer.open(stored.sealed(), self.key.as_str()) {
            Ok(plain) => {
                let record = TokenRecord::decode(&plain);
                if record.is_none() {
                    tracing::warn!(
                        target: "auth_oauth2",
                        store = %self.name,
                        "a stored token record is malformed; treated as absent and replaced"
                    );
                }
                record
            }
            Err(Unopened(why)) => {
                tracing::warn!(
                    target: "auth_oauth2",
                    store = %self.name,
                    reason = why,
                    "a stored token record could not be opened; treated as absent and replaced"
                );
                None
            }
        };
        let now = fetcher.clock.now();
        Ok(match record {
            Some(record) if self.usable(&fetcher.config, &record, replacing, now) => {
                Look::Usable(record)
            }
            record => Look::Stale {
                version: Some(stored.version()),
                record,
            },
        })
    }

    /// Whether a stored token may be handed out at `now`: valid by this config's rules, never
    /// rejected here, and newer than the one being replaced.
    fn usable(
        &self,
        config: &CheckedConfig,
        record: &TokenRecord,
        replacing: Option<&CachedToken>,
        now: SystemTime,
    ) -> bool {
        let Some(access_token) = &record.access_token else {
            return false;
        };
        let valid_until = valid_until(config, record);
        valid_until > now
            && !self.is_rejected(access_token.expose_secret())
            && replacing
                .and_then(CachedToken::valid_until)
                .is_none_or(|ours| valid_until > ours)
    }

    /// Puts a stored token in the local cache.
    fn adopt(&self, fetcher: &Fetcher, cache: &TokenCache, record: TokenRecord) -> Outcome {
        take_refresh_token(cache, &record);
        let scheme = Scheme::parse(&record.scheme).unwrap_or(Scheme::Bearer);
        let Some(access_token) = record.access_token else {
            // `usable` let it through only with an access token.
            return fetcher_malformed(fetcher, "the stored record holds no access token");
        };
        cache.put(
            &fetcher.config,
            access_token,
            &scheme,
            record.issued_at,
            record.expires_at,
        )
    }

    /// Seals and saves `record` over `expected`; a newer record or a store that does not
    /// answer leaves it unsaved, with a note in the logs.
    async fn save(
        &self,
        fetcher: &Fetcher,
        expected: Option<u64>,
        record: &TokenRecord,
        lease: Option<&Lease>,
    ) {
        // A record without a refresh token is of no use after its access token expires; it
        // is kept one lease time longer, so the next holder's compare-and-set still finds
        // the version it read (a record gone from the store would make that save fail).
        let expires_after = match &record.refresh_token {
            Some(_) => None,
            None => match record.expires_at.duration_since(fetcher.clock.now()) {
                Ok(left) if !left.is_zero() => Some(left + self.lease_ttl),
                _ => return,
            },
        };
        let sealed = match self.sealer.seal(&record.encode(), self.key.as_str()) {
            Ok(sealed) => sealed,
            Err(Unopened(why)) => {
                tracing::warn!(target: "auth_oauth2", reason = why, "the token record could not be sealed; not stored");
                return;
            }
        };
        let mut saved = self
            .call(
                "storing the token record",
                self.store
                    .save(&self.key, expected, sealed.clone(), expires_after, lease),
            )
            .await;
        // The lease holder's save may miss because the record it read expired or was
        // overwritten with garbage meanwhile: it tries once more over what is there now,
        // unless that is a newer token (then the holder's lease ran out and another took it).
        if let (Ok(None), Some(lease)) = (&saved, lease)
            && let Ok(current) = self
                .call("reading the token record", self.store.load(&self.key))
                .await
        {
            let newer = current.as_ref().is_some_and(|stored| {
                self.sealer
                    .open(stored.sealed(), self.key.as_str())
                    .ok()
                    .and_then(|plain| TokenRecord::decode(&plain))
                    .is_some_and(|theirs| theirs.expires_at >= record.expires_at)
            });
            if !newer {
                let version = current.map(|stored| stored.version());
                saved = self
                    .call(
                        "storing the token record",
                        self.store
                            .save(&self.key, version, sealed, expires_after, Some(lease)),
                    )
                    .await;
            }
        }
        match saved {
            Ok(Some(_)) => {
                self.health.answered(&self.name);
                tracing::debug!(target: "auth_oauth2", "token record stored");
            }
            Ok(None) => tracing::debug!(
                target: "auth_oauth2",
                "the store holds a newer token record (or another process holds the lease); this one was not stored"
            ),
            Err(Down(why)) => self.health.failed(&self.name, &why),
        }
    }

    /// Notes that a server rejected `token`, so it is not taken from the store again.
    pub(crate) fn mark_rejected(&self, token: &Token) {
        *self.rejected.lock().unwrap_or_else(PoisonError::into_inner) = Some(digest::digest(
            &digest::SHA256,
            token.expose_credential().as_bytes(),
        ));
    }

    fn is_rejected(&self, access_token: &str) -> bool {
        self.rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(|rejected| {
                rejected.as_ref()
                    == digest::digest(&digest::SHA256, access_token.as_bytes()).as_ref()
            })
    }

    /// Drops `rejected` from the store if it is still the stored token (keeping the refresh
    /// token beside it).
    pub(crate) async fn forget(&self, fetcher: &Fetcher, rejected: &Token) {
        if !self.health.should_try() {
            return;
        }
        let stored = match self
            .call("reading the token record", self.store.load(&self.key))
            .await
        {
            Ok(Some(stored)) => stored,
            Ok(None) => return,
            Err(Down(why)) => return self.health.failed(&self.name, &why),
        };
        let Some(mut record) = self
            .sealer
            .open(stored.sealed(), self.key.as_str())
            .ok()
            .and_then(|plain| TokenRecord::decode(&plain))
        else {
            return;
        };
        if record
            .access_token
            .as_ref()
            .is_none_or(|stored| stored.expose_secret() != rejected.expose_credential())
        {
            return;
        }
        if record.refresh_token.is_some() {
            record.access_token = None;
            self.save(fetcher, Some(stored.version()), &record, None)
                .await;
        } else if let Err(Down(why)) = self
            .call(
                "removing the token record",
                self.store.remove(&self.key, stored.version()),
            )
            .await
        {
            self.health.failed(&self.name, &why);
        }
        tracing::debug!(target: "auth_oauth2", "rejected token dropped from the store");
    }

    async fn subscribe(&self) -> ChangeFuture {
        match tokio::time::timeout(self.timeout, self.store.subscribe(&self.key)).await {
            Ok(change) => change,
            // Polling covers it.
            Err(_) => Box::pin(std::future::pending()),
        }
    }

    /// One store call within the store timeout.
    async fn call<T>(&self, what: &str, call: impl Future<Output = Result<T>>) -> Result<T, Down> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Down(format!("{what}: {error}"))),
            Err(_) => Err(Down(format!(
                "{what}: no answer within {} s",
                self.timeout.as_secs_f64()
            ))),
        }
    }
}

/// Until when a stored token may be used under `config`'s clock skew.
fn valid_until(config: &CheckedConfig, record: &TokenRecord) -> SystemTime {
    let lifetime = record
        .expires_at
        .duration_since(record.issued_at)
        .unwrap_or_default();
    record
        .expires_at
        .checked_sub(config.clock_skew.min(lifetime / 2))
        .unwrap_or(record.issued_at)
}

/// Keeps the record's refresh token unless the cache has one it got later.
fn take_refresh_token(cache: &TokenCache, record: &TokenRecord) {
    if let Some(refresh_token) = &record.refresh_token
        && cache
            .refresh_token_since()
            .is_none_or(|since| record.issued_at >= since)
    {
        cache.keep_refresh_token(refresh_token.clone(), record.issued_at);
    }
}

fn same_secret(a: Option<&SecretString>, b: Option<&SecretString>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.ct_eq(b),
        _ => false,
    }
}

fn fetcher_malformed(fetcher: &Fetcher, why: &str) -> Outcome {
    Err(crate::error::TokenEndpointError::new(
        &fetcher.config.endpoint.display,
        fetcher.config.grant_name,
        crate::error::Problem::Malformed(why.to_owned()),
    ))
}
