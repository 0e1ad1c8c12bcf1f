//! Single flight: however many callers need a new token, one request runs, in the background,
//! and all of them get its outcome; after a permanent failure, calls get that error without a
//! request for a short, doubling penalty.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::error::{Problem, TokenEndpointError};
use crate::fetch::Outcome;

/// The longest a provider waits before sending another request after a permanent failure
/// (`invalid_client`, ...); the wait starts at one second and doubles.
pub const MAX_FAILURE_PENALTY: Duration = Duration::from_secs(60);

pub(crate) type Waiter = watch::Receiver<Option<Outcome>>;

#[derive(Default)]
pub(crate) struct Flight {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    inflight: Option<Waiter>,
    penalty: Option<Penalty>,
}

struct Penalty {
    until: SystemTime,
    error: TokenEndpointError,
    streak: u32,
}

/// What a caller that needs a token does next.
pub(crate) enum Join {
    /// A request finished since the caller looked: its token.
    Ready(auth_core::Token),
    /// Wait for the request in flight.
    Wait(Waiter),
    /// A penalty is in force: this is the answer.
    Refused(TokenEndpointError),
    /// Nothing is in flight: start a request, whose outcome goes to this sender.
    Start(watch::Sender<Option<Outcome>>),
}

impl Flight {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Joins the request in flight, or claims the right to start one. `fresh` reads the cache
    /// under the lock, so a request that finished since the caller looked is not repeated;
    /// `honour_penalty` says whether a penalty answers instead of a new request.
    pub(crate) fn join(
        &self,
        now: SystemTime,
        honour_penalty: bool,
        fresh: impl FnOnce() -> Option<auth_core::Token>,
    ) -> Join {
        let mut state = self.lock();
        if let Some(token) = fresh() {
            return Join::Ready(token);
        }
        if let Some(inflight) = &state.inflight {
            // A sender that is gone means the task died; start a new one below.
            if inflight.has_changed().is_ok() {
                return Join::Wait(inflight.clone());
            }
        }
        if honour_penalty
            && let Some(penalty) = &state.penalty
            && now < penalty.until
        {
            return Join::Refused(penalty.error.clone());
        }
        let (sender, receiver) = watch::channel(None);
        state.inflight = Some(receiver);
        Join::Start(sender)
    }

    /// Records the outcome of the request that just finished at `now`, and the penalty it
    /// earns: a permanent failure doubles it from one second up to [`MAX_FAILURE_PENALTY`]; a
    /// transient one with `Retry-After` holds calls off that long; a success clears it.
    pub(crate) fn finish(&self, outcome: &Outcome, now: SystemTime) {
        let mut state = self.lock();
        state.inflight = None;
        match outcome {
            Ok(_) => state.penalty = None,
            Err(error) if !error.is_transient() => {
                let streak = state.penalty.as_ref().map_or(1, |p| p.streak + 1);
                let wait = Duration::from_secs(1)
                    .saturating_mul(1 << (streak - 1).min(6))
                    .min(MAX_FAILURE_PENALTY);
                state.penalty = Some(Penalty {
                    until: now.checked_add(wait).unwrap_or(now),
                    error: error.clone(),
                    streak,
                });
            }
            // The server said when to come back: until then, calls get this error without a
            // request.
            Err(error) => {
                if let Some(wait) = error.retry_after() {
                    state.penalty = Some(Penalty {
                        until: now
                            .checked_add(wait.min(MAX_FAILURE_PENALTY))
                            .unwrap_or(now),
                        error: error.clone(),
                        streak: 0,
                    });
                }
            }
        }
    }
}

/// A future that turns a panic of `inner` into `Err` with the panic's message, so a refresh
/// that panics fails its waiters (and earns a penalty) instead of leaving them waiting.
pub(crate) struct CatchUnwind<F>(pub(crate) Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "no message".to_owned());
                Poll::Ready(Err(message))
            }
        }
    }
}

/// The error waiters get when the request panicked.
pub(crate) fn panicked(
    endpoint: &str,
    grant: &'static str,
    message: &str,
    secrets: &[&str],
) -> TokenEndpointError {
    TokenEndpointError::new(
        endpoint,
        grant,
        Problem::Internal(format!(
            "the token request panicked ({}); this is a bug in the transport or the provider",
            crate::redact::sanitize(message, secrets, 200)
        )),
    )
}
