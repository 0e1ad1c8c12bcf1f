//! A wall clock read from the kernel's coarse monotonic clock (feature `coarse-clock`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::{Clock, unix_nanos};

/// How often the coarse clock is re-anchored to the system clock, so that a step of the
/// system clock (NTP, an operator) shows up within this long.
const REANCHOR_EVERY: Duration = Duration::from_secs(1);

/// Wall-clock time from the kernel's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on
/// Linux): a few nanoseconds per read instead of the tens `SystemTime::now()` costs, at a
/// resolution of a few milliseconds. Good for expiry checks on a hot path, where tokens live for
/// seconds to hours.
///
/// It is anchored to `SystemTime::now()` when made and re-anchored once a second, so it follows
/// the system clock, including steps, within about a second.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use auth_core::Clock;
/// use auth_core::cache::CoarseClock;
///
/// let clock = CoarseClock::new();
/// let drift = clock.now().duration_since(SystemTime::now()).unwrap_or_else(|e| e.duration());
/// assert!(drift < Duration::from_millis(100));
/// ```
#[derive(Debug)]
pub struct CoarseClock {
    base: coarsetime::Instant,
    /// Nanoseconds since the Unix epoch at `base`, as of the last anchoring.
    base_unix_nanos: AtomicU64,
    /// Nanoseconds after `base` at which the clock was last anchored.
    anchored_at: AtomicU64,
}

impl Default for CoarseClock {
    fn default() -> Self {
        Self::new()
    }
}

impl CoarseClock {
    /// A coarse clock anchored now.
    pub fn new() -> Self {
        let base = coarsetime::Instant::now_without_cache_update();
        Self {
            base,
            base_unix_nanos: AtomicU64::new(unix_nanos(SystemTime::now())),
            anchored_at: AtomicU64::new(0),
        }
    }
}

impl Clock for CoarseClock {
    fn now(&self) -> SystemTime {
        // `now()` would also write coarsetime's process-wide cache, a shared cache line.
        let elapsed = coarsetime::Instant::now_without_cache_update()
            .duration_since(self.base)
            .as_nanos();
        if elapsed.saturating_sub(self.anchored_at.load(Ordering::Relaxed))
            >= REANCHOR_EVERY.as_nanos() as u64
        {
            // Once a second, one reader pays for the precise clock; racing readers store
            // nearly equal values, so no lock is needed.
            let precise = unix_nanos(SystemTime::now());
            self.base_unix_nanos
                .store(precise.saturating_sub(elapsed), Ordering::Relaxed);
            self.anchored_at.store(elapsed, Ordering::Relaxed);
            return UNIX_EPOCH + Duration::from_nanos(precise);
        }
        let base = self.base_unix_nanos.load(Ordering::Relaxed);
        UNIX_EPOCH + Duration::from_nanos(base.saturating_add(elapsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_system_clock_closely() {
        let clock = CoarseClock::new();
        for _ in 0..5 {
            let system = SystemTime::now();
            let coarse = clock.now();
            let drift = coarse
                .duration_since(system)
                .unwrap_or_else(|e| e.duration());
            assert!(drift < Duration::from_millis(50), "{drift:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
