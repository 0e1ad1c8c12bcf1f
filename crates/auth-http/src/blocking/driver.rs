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
/// On a thread with no Tokio runtime, this thread waits. On a thread where one is current,
/// `block_on` would panic if the thread is driving that runtime (an async task) and works on a
/// `spawn_blocking` thread; nothing public tells the two apart, so there the wait happens on a
/// short-lived thread of its own. A credential is fetched once per token lifetime, so that
/// thread is paid for rarely. Misuse from async code then blocks its worker here instead of
/// panicking (`reqwest::blocking` itself refuses async code when it sends).
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
