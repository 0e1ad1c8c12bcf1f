//! Every performance figure of the workspace beside its baseline, measured in one run.
//!
//! ```sh
//! cargo run --release -p auth-bench -- --quick   # under a minute after the build
//! cargo run --release -p auth-bench              # more repetitions, steadier figures
//! cargo run --release -p auth-bench -- --quick --only layer,throughput   # some sections
//! valgrind --tool=callgrind target/release/auth-bench --sequential auth 2000   # instructions
//! ```
//!
//! Prints one line per figure: `name: value unit (goal: ...)`. Timings are medians of several
//! repetitions. Everything runs on 127.0.0.1.
#![forbid(unsafe_code)]

mod dpop;
mod hot;
mod jwt;
mod layer;
mod measure;
mod network;
mod store;

/// How hard to try.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Effort {
    /// Repetitions whose median is reported.
    pub(crate) repeats: usize,
    /// Multiplier for iteration counts.
    pub(crate) scale: usize,
}

fn main() {
    // `--sequential CLIENT N`: N requests one after another, for callgrind (see network.rs).
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--sequential") {
        let client = args.get(at + 1).map_or("", String::as_str);
        let count = args
            .get(at + 2)
            .and_then(|n| n.parse().ok())
            .unwrap_or(1000);
        if let Err(e) = network::sequential(client, count) {
            eprintln!("auth-bench: {e}");
            std::process::exit(1);
        }
        return;
    }
    // `--store-worker ...`: one process of the cross-process stampede (see store.rs).
    if args.get(1).is_some_and(|a| a == "--store-worker") {
        if let Err(e) = store::worker(&args[2..]) {
            eprintln!("auth-bench: {e}");
            std::process::exit(1);
        }
        return;
    }
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
    // `--only hot,layer` runs those sections alone (hot, jwt, dpop, layer, stampede, throughput,
    // store).
    let only: Option<Vec<String>> = std::env::args()
        .skip_while(|a| a != "--only")
        .nth(1)
        .map(|list| list.split(',').map(str::to_owned).collect());
    let runs = |section: &str| {
        only.as_ref()
            .is_none_or(|list| list.iter().any(|s| s == section))
    };
    let outcome = runtime.block_on(async {
        if runs("hot") {
            hot::run(effort).await?;
        }
        if runs("jwt") {
            jwt::run(effort)?;
        }
        if runs("dpop") {
            dpop::run(effort)?;
        }
        if runs("layer") {
            layer::overhead(effort).await?;
        }
        if runs("stampede") {
            network::stampede(effort).await?;
        }
        if runs("throughput") {
            network::throughput(effort).await?;
        }
        if runs("store") {
            store::run(effort).await?;
        }
        Ok::<(), String>(())
    });
    if let Err(e) = outcome {
        eprintln!("auth-bench: {e}");
        std::process::exit(1);
    }
}
