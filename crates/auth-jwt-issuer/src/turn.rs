//! Taking turns to sign without blocking a thread: the first caller that finds the cached token
//! stale signs; the others wait, as futures, until it is done, then read its token — or share
//! its error, so a failing signer (a key service that is down) is asked once per turn, not once
//! per waiting caller.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use auth_core::Error;

#[derive(Default)]
pub(crate) struct Turns {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    signing: bool,
    /// How many turns have ended; the turn in progress, if any, has this number.
    ended: u64,
    /// The error that ended a turn, by that turn's number, for the callers that waited on it.
    failure: Option<(u64, SharedError)>,
    /// Wakers of the callers waiting for the turn in progress; a caller registers once per
    /// turn (and again only if its waker changed), so a long turn costs O(1) per poll.
    waiting: Vec<Waker>,
}

/// What a caller gets instead of a turn.
pub(crate) enum Waited<T> {
    /// The turn before ours left a usable result.
    Done(T),
    /// The turn we waited on failed; the same error, for us too.
    Failed(Error),
}

/// An error handed to several callers: kind, message and retryability (the source chain, which
/// cannot be cloned, stays with the caller that took the turn).
struct SharedError {
    kind: auth_core::ErrorKind,
    message: String,
    retryable: bool,
}

impl SharedError {
    fn of(error: &Error) -> Self {
        Self {
            kind: error.kind(),
            message: error.message().to_owned(),
            retryable: error.is_retryable(),
        }
    }

    fn to_error(&self) -> Error {
        Error::new(self.kind, self.message.clone()).with_retryable(self.retryable)
    }
}

impl Turns {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until no one else is signing, then holds the turn until the returned guard drops.
    /// `done` is checked under the lock each time the caller wakes: when it finds a result (the
    /// signer before us made one), the caller has no need to sign. A caller that waited on a
    /// turn that failed gets that turn's error.
    pub(crate) fn take<'a, T>(
        &'a self,
        done: impl FnMut() -> Option<T> + Unpin + 'a,
    ) -> impl Future<Output = Result<Turn<'a>, Waited<T>>> + 'a {
        TakeTurn {
            turns: self,
            done,
            registered: None,
        }
    }
}

/// The right to sign; the waiters are woken when it drops (a panic included: they then try
/// again themselves).
pub(crate) struct Turn<'a> {
    turns: &'a Turns,
}

impl Turn<'_> {
    /// Records that this turn failed with `error`, for the callers waiting on it.
    pub(crate) fn failed(&self, error: &Error) {
        let mut state = self.turns.lock();
        let number = state.ended;
        state.failure = Some((number, SharedError::of(error)));
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let waiting = {
            let mut state = self.turns.lock();
            state.signing = false;
            state.ended += 1;
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
    /// The turn this caller waits on, and the waker it registered for it.
    registered: Option<(u64, Waker)>,
}

impl<'a, T, F: FnMut() -> Option<T> + Unpin> Future for TakeTurn<'a, F> {
    type Output = Result<Turn<'a>, Waited<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let turns = self.turns;
        let mut state = turns.lock();
        if let Some(result) = (self.done)() {
            return Poll::Ready(Err(Waited::Done(result)));
        }
        if let Some((waited_on, _)) = &self.registered
            && let Some((failed, error)) = &state.failure
            && failed == waited_on
        {
            return Poll::Ready(Err(Waited::Failed(error.to_error())));
        }
        if !state.signing {
            state.signing = true;
            return Poll::Ready(Ok(Turn { turns }));
        }
        let current = state.ended;
        let registered = matches!(
            &self.registered,
            Some((number, waker)) if *number == current && waker.will_wake(cx.waker())
        );
        if !registered {
            state.waiting.push(cx.waker().clone());
            drop(state);
            self.registered = Some((current, cx.waker().clone()));
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll<F: Future + Unpin>(future: &mut F, waker: &Waker) -> Poll<F::Output> {
        Pin::new(future).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn a_waiter_registers_once_however_often_it_is_polled() {
        let turns = Turns::default();
        let mut first = Box::pin(turns.take(|| None::<()>));
        let waker = Waker::noop();
        let Poll::Ready(Ok(turn)) = poll(&mut first, waker) else {
            panic!("the first caller takes the turn");
        };
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut second = Box::pin(turns.take(|| None::<()>));
        for _ in 0..1000 {
            assert!(poll(&mut second, &waker).is_pending());
        }
        assert_eq!(turns.lock().waiting.len(), 1);
        drop(turn);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken once");
        assert!(matches!(poll(&mut second, &waker), Poll::Ready(Ok(_))));
    }

    #[test]
    fn waiters_share_the_error_of_the_turn_they_waited_on_and_later_callers_try_again() {
        let turns = Turns::default();
        let waker = Waker::noop();
        let mut first = Box::pin(turns.take(|| None::<()>));
        let Poll::Ready(Ok(turn)) = poll(&mut first, waker) else {
            panic!("the first caller takes the turn");
        };
        let mut waiters: Vec<_> = (0..3)
            .map(|_| Box::pin(turns.take(|| None::<()>)))
            .collect();
        for waiter in &mut waiters {
            assert!(poll(waiter, waker).is_pending());
        }
        turn.failed(&Error::transport("the key service did not answer").with_retryable(true));
        drop(turn);
        for waiter in &mut waiters {
            match poll(waiter, waker) {
                Poll::Ready(Err(Waited::Failed(error))) => {
                    assert_eq!(error.kind(), auth_core::ErrorKind::Transport);
                    assert_eq!(error.message(), "the key service did not answer");
                    assert!(error.is_retryable());
                }
                _ => panic!("a waiter of the failed turn shares its error"),
            }
        }
        // A caller arriving after the failed turn takes a turn of its own.
        let mut later = Box::pin(turns.take(|| None::<()>));
        assert!(matches!(poll(&mut later, waker), Poll::Ready(Ok(_))));
    }

    #[test]
    fn waiters_of_a_turn_that_panicked_try_again_themselves() {
        let turns = Turns::default();
        let waker = Waker::noop();
        let mut first = Box::pin(turns.take(|| None::<()>));
        let Poll::Ready(Ok(turn)) = poll(&mut first, waker) else {
            panic!("the first caller takes the turn");
        };
        let mut waiter = Box::pin(turns.take(|| None::<()>));
        assert!(poll(&mut waiter, waker).is_pending());
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _turn = turn;
            panic!("signer bug");
        }));
        assert!(panicked.is_err());
        assert!(matches!(poll(&mut waiter, waker), Poll::Ready(Ok(_))));
    }
}
