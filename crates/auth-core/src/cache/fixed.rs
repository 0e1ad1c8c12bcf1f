//! A token that never changes, handed to each thread as its own copy.

use std::fmt;
use std::sync::Arc;

use super::cell::CachedToken;
use super::copies;
use crate::token::Token;

/// The token of a static provider (Basic, a fixed bearer token), handed to each thread as its
/// own copy like [`TokenCell`](super::TokenCell) does, so that threads never write a shared
/// reference count. It always holds a token: [`get`](Self::get) cannot fail.
///
/// ```
/// use auth_core::Token;
/// use auth_core::cache::StaticTokenCell;
///
/// let cell = StaticTokenCell::new(Token::bearer("abc")?);
/// assert_eq!(cell.get().expose_credential(), "abc");
/// # Ok::<(), auth_core::Error>(())
/// ```
pub struct StaticTokenCell {
    token: Arc<Token>,
}

/// The generation of a static cell's only token.
const ONLY: u64 = 0;

impl StaticTokenCell {
    /// A cell that always holds `token`.
    pub fn new(token: Token) -> Self {
        Self {
            token: Arc::new(token),
        }
    }

    /// This thread's copy of the token.
    pub fn get(&self) -> Token {
        if let Some(Some(copy)) = copies::lookup(&self.token, ONLY) {
            return copy.into_token();
        }
        let copy = self.token.detached_copy();
        copies::store(&self.token, ONLY, Some(CachedToken::new(copy.clone())));
        copy
    }
}

impl fmt::Debug for StaticTokenCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StaticTokenCell").field(&self.token).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_thread_gets_the_token_in_its_own_buffer() {
        let cell = StaticTokenCell::new(Token::bearer("fixed").unwrap());
        let here = cell.get();
        let again = cell.get();
        assert_eq!(
            here.header_value().as_bytes().as_ptr(),
            again.header_value().as_bytes().as_ptr()
        );
        let there = std::thread::scope(|s| s.spawn(|| cell.get()).join().unwrap());
        assert!(here.same_credential(&there));
        assert_ne!(
            here.header_value().as_bytes().as_ptr(),
            there.header_value().as_bytes().as_ptr()
        );
        assert!(!format!("{cell:?}").contains("fixed"));
    }
}
