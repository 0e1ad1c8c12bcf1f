//! Taking turns to sign without blocking a thread: the first caller that finds the cached token
//! stale signs; the others wait, as futures, until it is done, then read its token.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
pub(crate) struct Turns {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    signing: bool,
    waiting: Vec<Waker>,
}

impl Turns {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no one else is signing, then holds the turn until the returned guard drops.
    /// `done` is checked under the lock each time the caller wakes: when it finds a token (the
    /// signer before us made one), the caller has no need to sign and gets `Err(token)`.
    pub(crate) fn take<'a, T>(
        &'a self,
        done: impl FnMut() -> Option<T> + Unpin + 'a,
    ) -> impl Future<Output = Result<Turn<'a>, T>> + 'a {
        TakeTurn { turns: self, done }
    }
}

/// The right to sign; the next waiter is woken when it drops (a panic included).
pub(crate) struct Turn<'a> {
    turns: &'a Turns,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut state = self.turns.lock();
            state.signing = false;
            std::mem::take(&mut state.waiting)
        };
        for waker in waiting {
            waker.wake();
        }
    }
}

struct TakeTurn<'a, F> {
    turns: &'a Turns,
    done: F,
}

impl<'a, T, F: FnMut() -> Option<T> + Unpin> Future for TakeTurn<'a, F> {
    type Output = Result<Turn<'a>, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let turns = self.turns;
        let mut state = turns.lock();
        if let Some(token) = (self.done)() {
            return Poll::Ready(Err(token));
        }
        if !state.signing {
            state.signing = true;
            return Poll::Ready(Ok(Turn { turns }));
        }
        if !state.waiting.iter().any(|w| w.will_wake(cx.waker())) {
            state.waiting.push(cx.waker().clone());
        }
        Poll::Pending
    }
}
