//! Every performance figure of the workspace beside its baseline, measured in one run.
//!
//! ```sh
//! cargo run --release -p auth-bench -- --quick   # under a minute after the build
//! cargo run --release -p auth-bench              # more repetitions, steadier figures
//! ```
//!
//! Prints one line per figure: `name: value unit (goal: ...)`. Timings are medians of several
//! repetitions. Everything runs on 127.0.0.1.
#![forbid(unsafe_code)]

mod hot;
mod jwt;
mod measure;
mod network;

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Effort {
    /// Repetitions whose median is reported.
    pub(crate) repeats: usize,
    /// Multiplier for iteration counts.
    pub(crate) scale: usize,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let effort = if quick {
        Effort {
            repeats: 3,
            scale: 1,
        }
    } else {
        Effort {
            repeats: 7,
            scale: 4,
        }
    };
    println!(
        "auth-bench ({} mode): {} cores; release build: {}",
        if quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        !cfg!(debug_assertions)
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("auth-bench: cannot start a runtime ({e})");
            std::process::exit(1);
        }
    };
    let outcome = runtime.block_on(async {
        hot::run(effort).await?;
        jwt::run(effort)?;
        network::stampede(effort).await?;
        network::throughput(effort).await?;
        Ok::<(), String>(())
    });
    if let Err(e) = outcome {
        eprintln!("auth-bench: {e}");
        std::process::exit(1);
    }
}
