//! A cached token that readers on different threads can take without writing to shared memory.

use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};
use std::time::SystemTime;

use crate::token::Token;

/// A cached token with the times a caching provider decides by.
#[derive(Clone, Debug)]
pub struct CachedToken {
    /// The token.
    pub token: Token,
    /// Valid while `now` is before this (`None`: always).
    pub valid_until: Option<SystemTime>,
    /// A renewal may start from this time on (`None`: never).
    pub renew_from: Option<SystemTime>,
}

impl CachedToken {
    /// A token with no expiry.
    pub fn forever(token: Token) -> Self {
        Self {
            token,
            valid_until: None,
            renew_from: None,
        }
    }

    /// Whether the token can still be used at `now`.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        self.valid_until.is_none_or(|until| now < until)
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
/// use auth_core::{CachedToken, Token, TokenCell};
///
/// let cell = TokenCell::new();
/// assert!(cell.get().is_none());
/// cell.set(Some(CachedToken::forever(Token::bearer("abc")?)));
/// assert_eq!(cell.get().map(|c| c.token.expose_credential().to_owned()).as_deref(), Some("abc"));
/// # Ok::<(), auth_core::Error>(())
/// ```
///
/// Each thread keeps a copy of each cell's current token until the cell changes or is dropped;
/// copies of dropped cells are wiped the next time that thread misses its copy.
pub struct TokenCell {
    shared: Arc<Shared>,
}

struct Shared {
    generation: AtomicU64,
    current: RwLock<Option<CachedToken>>,
}

struct LocalCopy {
    cell: Weak<Shared>,
    generation: u64,
    token: Option<CachedToken>,
}

thread_local! {
    static COPIES: RefCell<Vec<LocalCopy>> = const { RefCell::new(Vec::new()) };
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

    /// A cell holding `token`.
    pub fn with(token: CachedToken) -> Self {
        let cell = Self::new();
        cell.set(Some(token));
        cell
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
        let key = Arc::as_ptr(&self.shared);
        let fast = COPIES.with(|copies| {
            let copies = copies.borrow();
            copies
                .iter()
                .find(|copy| copy.cell.as_ptr() == key)
                .filter(|copy| copy.generation == generation)
                .map(|copy| copy.token.clone())
        });
        match fast {
            Some(token) => token,
            None => self.refresh_local(),
        }
    }

    /// Makes this thread's copy of the current token (and drops copies of dropped cells).
    fn refresh_local(&self) -> Option<CachedToken> {
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
        let key = Arc::as_ptr(&self.shared);
        COPIES.with(|copies| {
            let mut copies = copies.borrow_mut();
            copies.retain(|copy| copy.cell.strong_count() > 0);
            match copies.iter_mut().find(|copy| copy.cell.as_ptr() == key) {
                Some(copy) => {
                    copy.generation = generation;
                    copy.token.clone_from(&token);
                }
                None => copies.push(LocalCopy {
                    cell: Arc::downgrade(&self.shared),
                    generation,
                    token: token.clone(),
                }),
            }
        });
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
    use super::*;

    #[test]
    fn readers_see_updates_and_get_their_own_copy() {
        let cell = TokenCell::with(CachedToken::forever(Token::bearer("one").unwrap()));
        let here = cell.get().unwrap().token;
        assert_eq!(here.expose_credential(), "one");
        let again = cell.get().unwrap().token;
        assert!(std::ptr::eq(
            here.header_value().as_bytes().as_ptr(),
            again.header_value().as_bytes().as_ptr()
        ));

        let there = std::thread::scope(|s| s.spawn(|| cell.get().unwrap().token).join().unwrap());
        assert!(here.same_credential(&there));
        assert!(
            !std::ptr::eq(
                here.header_value().as_bytes().as_ptr(),
                there.header_value().as_bytes().as_ptr()
            ),
            "another thread reads its own copy"
        );

        cell.set(Some(CachedToken::forever(Token::bearer("two").unwrap())));
        assert_eq!(cell.get().unwrap().token.expose_credential(), "two");
        cell.set(None);
        assert!(cell.get().is_none());
    }

    #[test]
    fn replace_if_only_replaces_the_expected_token() {
        let cell = TokenCell::with(CachedToken::forever(Token::bearer("current").unwrap()));
        assert!(!cell.replace_if(&Token::bearer("stale").unwrap(), None));
        assert!(cell.get().is_some());
        assert!(cell.replace_if(&Token::bearer("current").unwrap(), None));
        assert!(cell.get().is_none());
    }

    #[test]
    fn copies_of_dropped_cells_are_pruned() {
        for _ in 0..100 {
            let cell = TokenCell::with(CachedToken::forever(Token::bearer("short-lived").unwrap()));
            cell.get();
        }
        let cell = TokenCell::with(CachedToken::forever(Token::bearer("kept").unwrap()));
        cell.get();
        let live = COPIES.with(|copies| copies.borrow().len());
        assert!(live <= 2, "{live} copies kept");
    }

    #[test]
    fn validity() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(100);
        let mut cached = CachedToken::forever(Token::bearer("t").unwrap());
        assert!(cached.is_valid_at(now));
        cached.valid_until = Some(now);
        assert!(!cached.is_valid_at(now));
    }
}
