//! The current token of a caching provider, read without a lock and without shared writes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use super::copies;
use crate::token::Token;

/// A cached token with the times a caching provider decides by: until when it may be used, and
/// from when a renewal may start. Opaque: build it with [`new`](Self::new) and the `with_`
/// methods.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::Token;
/// use auth_core::cache::CachedToken;
///
/// let now = SystemTime::now();
/// let cached = CachedToken::new(Token::bearer("abc")?)
///     .with_valid_until(now + Duration::from_secs(60))
///     .with_renew_from(now + Duration::from_secs(48));
/// assert!(cached.is_valid_at(now));
/// assert!(!cached.should_renew_at(now));
/// assert!(cached.should_renew_at(now + Duration::from_secs(50)));
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct CachedToken {
    token: Token,
    valid_until: Option<SystemTime>,
    renew_from: Option<SystemTime>,
}

impl CachedToken {
    /// `token`, valid until further notice and never renewed.
    pub fn new(token: Token) -> Self {
        Self {
            token,
            valid_until: None,
            renew_from: None,
        }
    }

    /// The same, usable only while `now` is before `at`.
    #[must_use]
    pub fn with_valid_until(mut self, at: SystemTime) -> Self {
        self.valid_until = Some(at);
        self
    }

    /// The same, with a renewal allowed to start from `at` on.
    #[must_use]
    pub fn with_renew_from(mut self, at: SystemTime) -> Self {
        self.renew_from = Some(at);
        self
    }

    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The token, by value.
    pub fn into_token(self) -> Token {
        self.token
    }

    /// Until when the token may be used (`None`: always).
    pub fn valid_until(&self) -> Option<SystemTime> {
        self.valid_until
    }

    /// From when a renewal may start (`None`: never).
    pub fn renew_from(&self) -> Option<SystemTime> {
        self.renew_from
    }

    /// Whether the token can still be used at `now`.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.valid_until.is_none_or(|until| now < until)
    }

    /// Whether a renewal should start at `now`.
    pub fn should_renew_at(&self, now: SystemTime) -> bool {
        self.renew_from.is_some_and(|from| now >= from)
    }
}

/// Holds the current token of a provider so that a hot read path takes no lock and, more
/// importantly, writes no memory shared with other threads.
///
/// Cloning a [`Token`] bumps a reference count; when every thread clones the same token, that
/// count bounces between cores and two threads run slower than one. A `TokenCell` hands each
/// thread its own copy of the current token (made once per thread and token, with its own
/// wiped-on-drop buffer), so readers on different cores touch only their own memory and a shared
/// generation number that they only read.
///
/// ```
/// use auth_core::Token;
/// use auth_core::cache::{CachedToken, TokenCell};
///
/// let cell = TokenCell::new();
/// assert!(cell.get().is_none());
/// cell.set(Some(CachedToken::new(Token::bearer("abc")?)));
/// assert_eq!(cell.get().map(|c| c.token().expose_credential().to_owned()).as_deref(), Some("abc"));
/// # Ok::<(), auth_core::Error>(())
/// ```
///
/// # Copies and wiping
///
/// A thread's copy of a token that has since been replaced or invalidated stays in that
/// thread's memory until the thread next reads this cell (the copy is then dropped and its buffer
/// wiped), or until the thread exits. Copies of a dropped cell go the next time the thread
/// copies a token from any cell. The writer cannot reach into other threads' memory, so an
/// invalidated token can outlive [`replace_if`](Self::replace_if) in threads that never read the
/// cell again.
pub struct TokenCell {
    shared: Arc<Shared>,
}

struct Shared {
    generation: AtomicU64,
    current: RwLock<Option<CachedToken>>,
}

impl Default for TokenCell {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenCell {
    /// An empty cell.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                generation: AtomicU64::new(1),
                current: RwLock::new(None),
            }),
        }
    }

    /// Replaces the current token.
    pub fn set(&self, token: Option<CachedToken>) {
        let mut current = self
            .shared
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *current = token;
        // Bumped under the lock, so a reader that sees the new generation reads the new token.
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Replaces the current token only if it is still `expected` (same credential), and says
    /// whether it did. For dropping exactly a rejected token.
    pub fn replace_if(&self, expected: &Token, token: Option<CachedToken>) -> bool {
        let mut current = self
            .shared
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if !current
            .as_ref()
            .is_some_and(|c| c.token.same_credential(expected))
        {
            return false;
        }
        *current = token;
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// This thread's copy of the current token.
    pub fn get(&self) -> Option<CachedToken> {
        let generation = self.shared.generation.load(Ordering::Acquire);
        match copies::lookup(&self.shared, generation) {
            Some(token) => token,
            None => self.copy_for_this_thread(),
        }
    }

    fn copy_for_this_thread(&self) -> Option<CachedToken> {
        let (generation, token) = {
            let current = self
                .shared
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            let generation = self.shared.generation.load(Ordering::Acquire);
            let copy = current.as_ref().map(|cached| CachedToken {
                token: cached.token.detached_copy(),
                valid_until: cached.valid_until,
                renew_from: cached.renew_from,
            });
            (generation, copy)
        };
        copies::store(&self.shared, generation, token.clone());
        token
    }
}

impl fmt::Debug for TokenCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCell")
            .field(
                "generation",
                &self.shared.generation.load(Ordering::Relaxed),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cached(credential: &str) -> CachedToken {
        CachedToken::new(Token::bearer(credential).unwrap())
    }

    fn address(token: &Token) -> *const u8 {
        token.header_value().as_bytes().as_ptr()
    }

    #[test]
    fn readers_see_updates_and_get_their_own_copy() {
        let cell = TokenCell::new();
        cell.set(Some(cached("one")));
        let here = cell.get().unwrap().into_token();
        assert_eq!(here.expose_credential(), "one");
        let again = cell.get().unwrap().into_token();
        assert_eq!(address(&here), address(&again), "one copy per thread");

        let there =
            std::thread::scope(|s| s.spawn(|| cell.get().unwrap().into_token()).join().unwrap());
        assert!(here.same_credential(&there));
        assert_ne!(
            address(&here),
            address(&there),
            "another thread reads its own copy"
        );

        cell.set(Some(cached("two")));
        assert_eq!(cell.get().unwrap().token().expose_credential(), "two");
        cell.set(None);
        assert!(cell.get().is_none());
    }

    #[test]
    fn replace_if_only_replaces_the_expected_token() {
        let cell = TokenCell::new();
        cell.set(Some(cached("current")));
        assert!(!cell.replace_if(&Token::bearer("stale").unwrap(), None));
        assert!(cell.get().is_some());
        assert!(cell.replace_if(&Token::bearer("current").unwrap(), None));
        assert!(cell.get().is_none());
    }

    #[test]
    fn copies_of_dropped_cells_are_pruned() {
        for _ in 0..100 {
            let cell = TokenCell::new();
            cell.set(Some(cached("short-lived")));
            cell.get();
        }
        let cell = TokenCell::new();
        cell.set(Some(cached("kept")));
        cell.get();
        let live = copies::live_copies();
        assert!(live <= 2, "{live} copies kept");
    }

    #[test]
    fn validity_and_renewal() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        let forever = cached("t");
        assert!(forever.is_valid_at(now));
        assert!(!forever.should_renew_at(now));
        let timed = cached("t")
            .with_valid_until(now)
            .with_renew_from(now - Duration::from_secs(10));
        assert!(!timed.is_valid_at(now));
        assert!(timed.is_valid_at(now - Duration::from_secs(1)));
        assert!(timed.should_renew_at(now - Duration::from_secs(10)));
        assert!(!timed.should_renew_at(now - Duration::from_secs(11)));
        assert_eq!(timed.valid_until(), Some(now));
    }
}
