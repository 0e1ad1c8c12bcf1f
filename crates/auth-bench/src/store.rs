//! Token stores: the cached hot path with a Redis store configured against the same provider
//! without one, and the cross-process stampede (worker processes, each with many callers,
//! sharing one Redis at a cold start: token requests, and the p99 wait against one token
//! round trip).
//!
//! Redis is the one named by `AUTH_REDIS_URL`, else a private `redis-server`; without either
//! the section says it was skipped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_core::{AuthProvider, SharedAuthProvider};
use auth_http::{ClientSettings, ReqwestTransport};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, StoreSettings};
use auth_store_redis::RedisStore;
use auth_store_redis::testing::RedisServer;

use crate::Effort;
use crate::hot::Fixed;
use crate::measure::{median, now_or_never, paired, report};

/// Worker processes in the stampede, and callers in each.
const PROCESSES: usize = 4;
const CALLERS: usize = 100;

/// How long the token server takes to answer (an identity provider's own work).
const SERVER_TIME: Duration = Duration::from_millis(20);

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn redis_store(url: &str, prefix: &str) -> Result<RedisStore, String> {
    RedisStore::builder(url)
        .key_prefix(prefix)
        .build()
        .map_err(|e| e.to_string())
}

fn provider(token_url: &str, store: Option<StoreSettings>) -> Result<OAuth2Provider, String> {
    let config = OAuth2Config::client_credentials(token_url, ClientAuth::basic("id", "secret"));
    let transport = ReqwestTransport::new(&ClientSettings::default()).map_err(|e| e.to_string())?;
    let mut builder = OAuth2Provider::builder(config, Arc::new(transport)).refresh_ahead(None);
    if let Some(store) = store {
        builder = builder.store(store);
    }
    builder.build().map_err(|e| e.to_string())
}

pub(crate) async fn run(effort: Effort) -> Result<(), String> {
    let Some(redis) = RedisServer::shared_or_private("auth-bench store") else {
        println!("store: skipped (no AUTH_REDIS_URL and no redis-server)");
        return Ok(());
    };
    hot_path(effort, redis.url()).await?;
    stampede(effort, redis.url()).await
}

/// The cached hot path with and without a Redis store: the store is behind the local cache.
async fn hot_path(effort: Effort, url: &str) -> Result<(), String> {
    let config = || {
        OAuth2Config::client_credentials(
            "https://idp.example/token",
            ClientAuth::basic("id", "secret"),
        )
    };
    let store = redis_store(url, &format!("bench:hot:{}:", unix_ms()))?;
    let with_store = OAuth2Provider::builder(config(), Arc::new(Fixed))
        .store(StoreSettings::new(Arc::new(store)))
        .build()
        .map_err(|e| e.to_string())?;
    let without = OAuth2Provider::new(config(), Arc::new(Fixed)).map_err(|e| e.to_string())?;
    with_store.prefetch().await.map_err(|e| e.to_string())?;
    without.prefetch().await.map_err(|e| e.to_string())?;
    let (with_store, without) = (
        SharedAuthProvider::new(with_store),
        SharedAuthProvider::new(without),
    );
    let call = |provider: &SharedAuthProvider| {
        let token = provider
            .token_now()
            .unwrap_or_else(|| now_or_never(provider.token()).expect("cached credential"));
        std::hint::black_box(token.header_value().clone());
    };
    let result = paired(
        effort.repeats.max(3),
        Duration::from_secs(1),
        || call(&with_store),
        || call(&without),
    );
    report(
        "hot path, cached OAuth2 with a Redis store vs without",
        result.ratio,
        "x",
        "<= 1.05 x",
    );
    println!(
        "  ({:.1} against {:.1} ns/call, rounds of 1 s, {})",
        result.ours,
        result.baseline,
        result.spread()
    );
    Ok(())
}

/// `PROCESSES` copies of this program (`--store-worker`), `CALLERS` callers each, start at
/// the same instant with no token anywhere.
async fn stampede(effort: Effort, url: &str) -> Result<(), String> {
    let requests = Arc::new(AtomicUsize::new(0));
    let addr = crate::network::server(SERVER_TIME, Arc::clone(&requests)).await?;
    let token_url = format!("http://{addr}/token");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let (mut sent, mut p99s, mut trips) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..effort.repeats {
        // One token round trip of one process alone, cold (connection included), as the
        // workers make it.
        let alone = provider(&token_url, None)?;
        let start = Instant::now();
        alone.token().await.map_err(|e| e.to_string())?;
        trips.push(start.elapsed().as_secs_f64());

        let prefix = format!("bench:stampede:{}:{round}:", unix_ms());
        let start_ms = unix_ms() + 500;
        let before = requests.load(Ordering::SeqCst);
        let children: Vec<_> = (0..PROCESSES)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args(["--store-worker", &token_url, url, &prefix])
                    .arg(start_ms.to_string())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let outputs = tokio::task::spawn_blocking(move || {
            children
                .into_iter()
                .map(|child| child.wait_with_output())
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let mut waits = Vec::new();
        for output in outputs {
            let text = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                return Err(format!("a store worker failed: {text}"));
            }
            waits.extend(
                text.split_whitespace()
                    .filter_map(|w| w.parse::<f64>().ok()),
            );
        }
        if waits.len() != PROCESSES * CALLERS {
            return Err(format!("store workers reported {} waits", waits.len()));
        }
        sent.push((requests.load(Ordering::SeqCst) - before) as f64);
        waits.sort_by(f64::total_cmp);
        p99s.push(waits[waits.len() * 99 / 100]);
    }
    let trip = median(&mut trips);
    let p99 = median(&mut p99s);
    report(
        &format!(
            "store stampede, {PROCESSES} processes x {CALLERS} callers on Redis, cold: token requests"
        ),
        median(&mut sent),
        "requests",
        "exactly 1",
    );
    report(
        "store stampede: p99 wait / one process's cold token round trip",
        p99 / trip,
        "x",
        "<= 3 x",
    );
    println!(
        "  (round trip {:.2} ms with {} ms server time; p99 wait {:.2} ms)",
        trip * 1e3,
        SERVER_TIME.as_millis(),
        p99 * 1e3
    );
    Ok(())
}

/// `--store-worker TOKEN_URL REDIS_URL PREFIX START_MS`: at START_MS, `CALLERS` callers ask
/// one provider for a token at once; prints each caller's wait in seconds.
pub(crate) fn worker(args: &[String]) -> Result<(), String> {
    let [token_url, url, prefix, start_ms] = args else {
        return Err("--store-worker TOKEN_URL REDIS_URL PREFIX START_MS".to_owned());
    };
    let start_ms: u64 = start_ms.parse().map_err(|_| "START_MS is not a number")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = StoreSettings::new(Arc::new(redis_store(url, prefix)?));
        let provider = provider(token_url, Some(store))?;
        let wait = start_ms.saturating_sub(unix_ms());
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let tasks: Vec<_> = (0..CALLERS)
            .map(|_| {
                let provider = provider.clone();
                tokio::spawn(async move {
                    let start = Instant::now();
                    provider.token().await.map(|_| start.elapsed())
                })
            })
            .collect();
        let mut line = String::new();
        for task in tasks {
            let waited = task
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            line.push_str(&format!("{} ", waited.as_secs_f64()));
        }
        println!("{line}");
        Ok(())
    })
}
