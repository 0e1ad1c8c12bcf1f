//! Bounded exponential backoff for transient token-endpoint failures.

use std::time::Duration;

/// How transient failures (connection errors, timeouts, 5xx, 429, 408) are retried within one
/// [`token`](auth_core::AuthProvider::token) call. Permanent failures are never retried.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Requests sent at most, the first included (default 3).
    pub max_attempts: u32,
    /// The wait after the first failure, doubled after each further one (default 250 ms).
    pub initial_backoff: Duration,
    /// The longest wait between attempts (default 4 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more gets no retry and the
    /// error is returned at once, carrying its `retry_after` (default 10 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `failed + 1`, or `None` to give up.
    pub(crate) fn delay(&self, failed: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if failed >= self.max_attempts {
            return None;
        }
        let exponent = failed.saturating_sub(1).min(16);
        let backoff = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        match retry_after {
            Some(asked) if asked > self.max_retry_after => None,
            Some(asked) => Some(asked.max(backoff)),
            None => Some(backoff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            ..RetryPolicy::default()
        };
        let ms = |d: Option<Duration>| d.map(|d| d.as_millis());
        assert_eq!(ms(policy.delay(1, None)), Some(250));
        assert_eq!(ms(policy.delay(2, None)), Some(500));
        assert_eq!(ms(policy.delay(4, None)), Some(2000));
        assert_eq!(ms(policy.delay(5, None)), None);
        assert_eq!(
            ms(policy.delay(1, Some(Duration::from_secs(3)))),
            Some(3000)
        );
        assert_eq!(ms(policy.delay(1, Some(Duration::from_secs(11)))), None);
        let capped = RetryPolicy {
            max_attempts: 30,
            ..RetryPolicy::default()
        };
        assert_eq!(ms(capped.delay(20, None)), Some(4000));
        assert_eq!(RetryPolicy::none().delay(1, None), None);
    }
}
