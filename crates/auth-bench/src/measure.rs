//! Timing helpers.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

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

/// Nanoseconds per call of `f` over one round of at least `round` (calls in doubling batches
/// until the round is long enough, so that a noisy machine's hiccups average out).
pub(crate) fn ns_per_op_for(round: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut calls: u64 = 0;
    let mut batch: u64 = 1;
    while start.elapsed() < round {
        for _ in 0..batch {
            f();
        }
        calls += batch;
        batch = batch.saturating_mul(2).min(1 << 20);
    }
    start.elapsed().as_nanos() as f64 / calls.max(1) as f64
}

/// `ours` against `baseline`, each measured for rounds of at least `round`, alternating
/// (ABBA) so that drift in the machine's speed hits both alike: the medians of both, and the
/// median, lowest and highest of the per-pair ratios.
pub(crate) struct Paired {
    pub(crate) ours_ns: f64,
    pub(crate) baseline_ns: f64,
    pub(crate) ratio: f64,
    pub(crate) lowest: f64,
    pub(crate) highest: f64,
}

pub(crate) fn paired(
    repeats: usize,
    round: Duration,
    mut ours: impl FnMut(),
    mut baseline: impl FnMut(),
) -> Paired {
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..repeats.max(1) {
        let (x, y) = if n % 2 == 0 {
            let x = ns_per_op_for(round, &mut ours);
            (x, ns_per_op_for(round, &mut baseline))
        } else {
            let y = ns_per_op_for(round, &mut baseline);
            (ns_per_op_for(round, &mut ours), y)
        };
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    let lowest = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = ratios.iter().copied().fold(0.0, f64::max);
    Paired {
        ours_ns: median(&mut a),
        baseline_ns: median(&mut b),
        ratio: median(&mut ratios),
        lowest,
        highest,
    }
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
