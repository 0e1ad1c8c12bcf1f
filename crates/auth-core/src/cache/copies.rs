//! The per-thread copies behind [`TokenCell`](super::TokenCell) and
//! [`StaticTokenCell`](super::StaticTokenCell).
//!
//! Each thread keeps, per cell it has read, the generation it copied and its own copy of the
//! token (a separate buffer with its own reference count). A copy is replaced, and the old one
//! dropped (and so wiped), when its thread reads the cell and finds a newer generation; copies of
//! cells that were dropped are removed the next time the thread makes a copy; all copies go when
//! the thread exits.

use std::any::Any;
use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::cell::CachedToken;

struct LocalCopy {
    owner: Weak<dyn Any + Send + Sync>,
    generation: u64,
    token: Option<CachedToken>,
}

thread_local! {
    static COPIES: RefCell<Vec<LocalCopy>> = const { RefCell::new(Vec::new()) };
}

/// The identity of a cell: the address of its shared part.
fn key<T: ?Sized>(owner: *const T) -> *const () {
    owner.cast::<()>()
}

/// This thread's copy for the cell whose shared part is `owner`, if it was made at `generation`.
pub(super) fn lookup<T: Any + Send + Sync>(
    owner: &Arc<T>,
    generation: u64,
) -> Option<Option<CachedToken>> {
    let wanted = key(Arc::as_ptr(owner));
    COPIES.with(|copies| {
        copies
            .borrow()
            .iter()
            .find(|copy| key(copy.owner.as_ptr()) == wanted)
            .filter(|copy| copy.generation == generation)
            .map(|copy| copy.token.clone())
    })
}

/// Records `token` as this thread's copy for `owner` at `generation`, dropping the copy it
/// replaces and the copies of cells that no longer exist.
pub(super) fn store<T: Any + Send + Sync>(
    owner: &Arc<T>,
    generation: u64,
    token: Option<CachedToken>,
) {
    let wanted = key(Arc::as_ptr(owner));
    COPIES.with(|copies| {
        let mut copies = copies.borrow_mut();
        copies.retain(|copy| copy.owner.strong_count() > 0);
        match copies
            .iter_mut()
            .find(|copy| key(copy.owner.as_ptr()) == wanted)
        {
            Some(copy) => {
                copy.generation = generation;
                copy.token = token;
            }
            None => {
                let weak: Weak<T> = Arc::downgrade(owner);
                copies.push(LocalCopy {
                    owner: weak,
                    generation,
                    token,
                });
            }
        }
    });
}

#[cfg(test)]
pub(super) fn live_copies() -> usize {
    COPIES.with(|copies| copies.borrow().len())
}
