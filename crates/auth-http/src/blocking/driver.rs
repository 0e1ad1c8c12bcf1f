//! Getting a credential from an async provider without an async caller.

use std::sync::OnceLock;

use auth_core::{AuthProvider, Token};
use tokio::runtime::Runtime;

/// The runtime that drives providers for blocking callers: one worker, started on first use,
/// alive for the rest of the process.
fn runtime() -> auth_core::Result<&'static Runtime> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("auth-http-blocking")
                .enable_all()
                .build()
                .map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| {
            auth_core::Error::other(format!(
                "could not start the runtime that drives providers for blocking calls: {error}"
            ))
        })
}

/// The credential from `provider`: at once when it has one at hand (`token_now`), else by
/// driving `token()` on this crate's runtime.
///
/// `Handle::block_on` may not run on a thread inside a runtime's context (a `spawn_blocking`
/// thread is one), so there the wait happens on a short-lived thread of its own; a credential
/// is fetched once per token lifetime, so the thread's cost is paid rarely.
pub(crate) fn credential(provider: &dyn AuthProvider) -> auth_core::Result<Token> {
    if let Some(token) = provider.token_now() {
        return Ok(token);
    }
    let runtime = runtime()?;
    if tokio::runtime::Handle::try_current().is_err() {
        return runtime.block_on(provider.token());
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("auth-http-fetch".into())
            .spawn_scoped(scope, || runtime.block_on(provider.token()))
            .map_err(|error| {
                auth_core::Error::other(format!(
                    "could not start a thread to fetch the credential: {error}"
                ))
            })?
            .join()
            .unwrap_or_else(|_| {
                Err(auth_core::Error::other(
                    "the provider panicked while fetching the credential",
                ))
            })
    })
}
