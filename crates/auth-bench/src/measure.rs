//! Timing helpers.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

/// Nanoseconds per call of `f`, the median of `repeats` runs of `iterations` calls.
pub(crate) fn ns_per_op(repeats: usize, iterations: usize, mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iterations {
                f();
            }
            start.elapsed().as_nanos() as f64 / iterations as f64
        })
        .collect();
    median(&mut runs)
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Polls a future that must complete at once (a cached credential).
pub(crate) fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a cached credential must not wait"),
    }
}

/// Prints one figure line.
pub(crate) fn report(name: &str, value: f64, unit: &str, goal: &str) {
    let shown = if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    };
    println!("{name}: {shown} {unit} (goal: {goal})");
}
