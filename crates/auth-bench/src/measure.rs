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
    /// Our median (ns per call, or requests per second).
    pub(crate) ours: f64,
    /// The baseline's median, in the same unit.
    pub(crate) baseline: f64,
    pub(crate) ratio: f64,
    pub(crate) lowest: f64,
    pub(crate) highest: f64,
}

impl Paired {
    fn of(mut ours: Vec<f64>, mut baseline: Vec<f64>, mut ratios: Vec<f64>) -> Self {
        let lowest = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let highest = ratios.iter().copied().fold(0.0, f64::max);
        Self {
            ours: median(&mut ours),
            baseline: median(&mut baseline),
            ratio: median(&mut ratios),
            lowest,
            highest,
        }
    }

    /// The spread of the per-pair ratios, to print beside the median.
    pub(crate) fn spread(&self) -> String {
        format!("pairs from {:.3} to {:.3}", self.lowest, self.highest)
    }
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
    Paired::of(a, b, ratios)
}

/// Answered requests per second over one round of at least `round`: `workers` tasks each send
/// one request after another until the round is over. A request that fails does not count (a
/// path that fails fast must not look fast).
pub(crate) async fn rate_for<F, Fut>(round: Duration, workers: usize, send: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let start = Instant::now();
    let deadline = start + round;
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let send = send.clone();
            tokio::spawn(async move {
                let mut sent: u64 = 0;
                while Instant::now() < deadline {
                    if send().await {
                        sent += 1;
                    }
                }
                sent
            })
        })
        .collect();
    let mut sent = 0;
    for handle in handles {
        sent += handle.await.unwrap_or(0);
    }
    sent as f64 / start.elapsed().as_secs_f64()
}

/// Throughput of `ours` against `baseline` in `pairs` pairs of rounds of at least `round`
/// each, in ABBA order: requests per second, and the per-pair ratios ours / baseline.
pub(crate) async fn paired_rates<F, FutF, G, FutG>(
    pairs: usize,
    round: Duration,
    workers: usize,
    ours: F,
    baseline: G,
) -> Paired
where
    F: Fn() -> FutF + Clone + Send + 'static,
    FutF: Future<Output = bool> + Send,
    G: Fn() -> FutG + Clone + Send + 'static,
    FutG: Future<Output = bool> + Send,
{
    // Warm both: connections up, allocators and caches settled.
    rate_for(round / 4, workers, baseline.clone()).await;
    rate_for(round / 4, workers, ours.clone()).await;
    let (mut a, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..pairs.max(1) {
        let (x, y) = if n % 2 == 0 {
            let x = rate_for(round, workers, ours.clone()).await;
            (x, rate_for(round, workers, baseline.clone()).await)
        } else {
            let y = rate_for(round, workers, baseline.clone()).await;
            (rate_for(round, workers, ours.clone()).await, y)
        };
        a.push(x);
        b.push(y);
        ratios.push(x / y);
    }
    Paired::of(a, b, ratios)
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
    // Ratios near 1 get three decimals: 0.966 is not 0.97.
    let shown = if value >= 100.0 {
        format!("{value:.0}")
    } else if unit == "x" && (0.5..2.0).contains(&value) {
        format!("{value:.3}")
    } else {
        format!("{value:.2}")
    };
    println!("{name}: {shown} {unit} (goal: {goal})");
}
