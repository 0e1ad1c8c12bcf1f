//! One "replica" for the cross-process store tests: an OAuth2 provider sharing a file or
//! Redis store, called by many tasks at once until a deadline; prints what it saw as one JSON
//! line. Arguments are `name=value` pairs:
//!
//! - `token_url`, `grant` (`cc` or `refresh`; refresh starts from the refresh token `REFRESH-TOKEN-0`);
//! - `store` (`file` or `redis`) and `at` (the directory or the URL), `prefix` (Redis);
//! - `callers` (tasks), `until_ms` (a Unix time in ms: keep calling until then), `lease_ttl_ms`;
//! - `key` (optional): a base64 sealing key, else the key is derived from the credential.
//!
//! Tokens from the test servers are `ACCESS-<n>-<expiry as Unix ms>`: a token handed out after
//! its expiry is counted as `late`.
#![allow(clippy::print_stdout, reason = "the report is the output")]

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth::http::{ClientSettings, ReqwestTransport};
use auth::oauth2::{
    ClientAuth, FileStore, OAuth2Config, OAuth2Provider, StoreEncryption, StoreSettings,
};
use auth::store_redis::RedisStore;
use auth_core::AuthProvider;
use auth_core::store::TokenStore;

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn provider(args: &HashMap<String, String>) -> Result<OAuth2Provider, String> {
    let get = |name: &str| args.get(name).cloned().ok_or(format!("missing {name}="));
    let url = get("token_url")?;
    let config = match get("grant")?.as_str() {
        "cc" => OAuth2Config::client_credentials(&url, ClientAuth::basic("svc", "s3cr3t")),
        "refresh" => OAuth2Config::refresh_token(&url, "REFRESH-TOKEN-0"),
        other => return Err(format!("unknown grant {other}")),
    };
    let store: Arc<dyn TokenStore> = match get("store")?.as_str() {
        "file" => Arc::new(FileStore::new(get("at")?).map_err(|e| e.to_string())?),
        "redis" => Arc::new(
            RedisStore::builder(&get("at")?)
                .key_prefix(get("prefix")?)
                .build()
                .map_err(|e| e.to_string())?,
        ),
        other => return Err(format!("unknown store {other}")),
    };
    let lease_ttl =
        Duration::from_millis(get("lease_ttl_ms")?.parse().map_err(|_| "lease_ttl_ms")?);
    let mut settings = StoreSettings::new(store).lease_ttl(lease_ttl);
    if let Some(key) = args.get("key") {
        settings =
            settings.encryption(StoreEncryption::from_base64(key).map_err(|e| e.to_string())?);
    }
    let transport = ReqwestTransport::new(&ClientSettings::default()).map_err(|e| e.to_string())?;
    OAuth2Provider::builder(config, Arc::new(transport))
        .refresh_ahead(None)
        .request_timeout(Duration::from_secs(30))
        .store(settings)
        .build()
        .map_err(|e| e.to_string())
}

#[derive(Default)]
struct Report {
    calls: u64,
    errors: Vec<String>,
    late: u64,
    tokens: BTreeSet<String>,
}

async fn call_until(provider: OAuth2Provider, until_ms: u64) -> Report {
    let mut report = Report::default();
    loop {
        match provider.token().await {
            Ok(token) => {
                let token = token.expose_credential().to_owned();
                let expiry = token
                    .rsplit('-')
                    .next()
                    .and_then(|ms| ms.parse::<u64>().ok());
                if expiry.is_some_and(|expiry| now_ms() > expiry) {
                    report.late += 1;
                }
                report.tokens.insert(token);
            }
            Err(error) => report.errors.push(error.to_string()),
        }
        report.calls += 1;
        if now_ms() >= until_ms {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: HashMap<String, String> = std::env::args()
        .skip(1)
        .filter_map(|arg| {
            arg.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    let provider = match provider(&args) {
        Ok(provider) => provider,
        Err(why) => {
            eprintln!("store-worker: {why}");
            return ExitCode::FAILURE;
        }
    };
    let callers: usize = args
        .get("callers")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let until_ms: u64 = args
        .get("until_ms")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let tasks: Vec<_> = (0..callers)
        .map(|_| tokio::spawn(call_until(provider.clone(), until_ms)))
        .collect();
    let mut total = Report::default();
    for task in tasks {
        let Ok(report) = task.await else {
            total.errors.push("a caller panicked".to_owned());
            continue;
        };
        total.calls += report.calls;
        total.late += report.late;
        total.errors.extend(report.errors);
        total.tokens.extend(report.tokens);
    }
    let errors: BTreeSet<_> = total.errors.iter().collect();
    println!(
        "{}",
        serde_json::json!({
            "calls": total.calls,
            "late": total.late,
            "error_count": total.errors.len(),
            "errors": errors,
            "tokens": total.tokens,
        })
    );
    ExitCode::SUCCESS
}
