//! Injectable time, so expiry and refresh logic is tested without sleeping.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of the current wall-clock time.
///
/// Caching providers read time only through a `Clock`, so tests (theirs and yours) can drive
/// expiry with a manual clock (`ManualClock`, feature `test-util`) instead of sleeping.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemClock;

impl SystemClock {
    /// The system clock.
    pub fn new() -> Self {
        Self
    }
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }
}

/// Nanoseconds since the Unix epoch: 0 before it, `u64::MAX` after the year 2554. For keeping a
/// time in an atomic.
pub fn unix_nanos(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

#[cfg(feature = "test-util")]
mod manual {
    use std::sync::{Arc, Mutex, PoisonError};
    use std::time::{Duration, SystemTime};

    use super::Clock;

    /// A clock that moves only when told to (feature `test-util`). Clones share the same time.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use auth_core::Clock;
    /// use auth_core::clock::ManualClock;
    ///
    /// let clock = ManualClock::new(SystemTime::UNIX_EPOCH);
    /// let shared = clock.clone();
    /// clock.advance(Duration::from_secs(90));
    /// assert_eq!(shared.now(), SystemTime::UNIX_EPOCH + Duration::from_secs(90));
    /// ```
    #[derive(Clone, Debug)]
    pub struct ManualClock(Arc<Mutex<SystemTime>>);

    impl ManualClock {
        /// A clock stopped at `start`.
        pub fn new(start: SystemTime) -> Self {
            Self(Arc::new(Mutex::new(start)))
        }

        /// A clock stopped at the current system time.
        pub fn starting_now() -> Self {
            Self::new(SystemTime::now())
        }

        /// Moves the clock forward by `by` (saturating far in the future).
        pub fn advance(&self, by: Duration) {
            let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            *now = now.checked_add(by).unwrap_or(*now);
        }

        /// Sets the clock to `to` (which may be in the past).
        pub fn set(&self, to: SystemTime) {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = to;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> SystemTime {
            *self.0.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }
}

#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub use manual::ManualClock;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn system_clock_is_close_to_now() {
        let before = SystemTime::now();
        let now = SystemClock::new().now();
        assert!(now >= before);
    }

    #[test]
    fn unix_nanos_saturates() {
        assert_eq!(unix_nanos(UNIX_EPOCH), 0);
        assert_eq!(unix_nanos(UNIX_EPOCH - Duration::from_secs(1)), 0);
        assert_eq!(
            unix_nanos(UNIX_EPOCH + Duration::from_secs(2)),
            2_000_000_000
        );
    }

    #[cfg(feature = "test-util")]
    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = UNIX_EPOCH + Duration::from_secs(1_000);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::from_secs(5));
        assert_eq!(clock.now(), start + Duration::from_secs(5));
        clock.advance(Duration::MAX);
        assert_eq!(
            clock.now(),
            start + Duration::from_secs(5),
            "saturates, never panics"
        );
        clock.set(start);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        assert_eq!(shared.now(), start);
    }
}
