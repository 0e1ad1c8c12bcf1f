//! Whether the store answers: after a failure the provider fetches on its own and asks the
//! store again after a doubling pause; one warning when it stops answering, one note when it
//! answers again, never one per call.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The first pause after a failure, and the longest.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

#[derive(Default)]
pub(crate) struct Health {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Set while the store is failing: when to ask it again, and the pause after that.
    down: Option<(Instant, Duration)>,
}

impl Health {
    /// Whether to ask the store now.
    pub(crate) fn should_try(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .down
            .is_none_or(|(retry_at, _)| Instant::now() >= retry_at)
    }

    /// The store failed with `error` (text with no secret in it).
    pub(crate) fn failed(&self, store: &str, error: &str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let pause = match state.down {
            None => {
                tracing::warn!(
                    target: "auth_oauth2",
                    store,
                    error,
                    "token store unavailable; this process fetches its own tokens until the \
                     store answers again"
                );
                FIRST_PAUSE
            }
            Some((_, pause)) => {
                tracing::debug!(target: "auth_oauth2", store, error, "token store still unavailable");
                pause.saturating_mul(2).min(LONGEST_PAUSE)
            }
        };
        state.down = Some((Instant::now() + pause, pause));
    }

    /// The store answered.
    pub(crate) fn answered(&self, store: &str) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.down.take().is_some() {
            tracing::info!(target: "auth_oauth2", store, "token store available again; tokens are shared again");
        }
    }
}
