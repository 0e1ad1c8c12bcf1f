//! Where token requests run: a small background thread with its own Tokio runtime, started
//! once per process, or a runtime the user names.
//!
//! Running the refresh on a runtime no caller owns means it finishes whichever runtime (or
//! none) the callers use, even when the first caller's runtime stops being driven, and a caller
//! that goes away never cancels it (a rotated refresh token is never lost).

use std::future::Future;
use std::sync::{Mutex, PoisonError};

use tokio::runtime::Handle;

/// The process-wide background runtime, started on first use.
static BACKGROUND: Mutex<Option<Handle>> = Mutex::new(None);

/// Where a provider's token requests run.
#[derive(Clone, Debug)]
pub(crate) enum Executor {
    /// The shared background thread.
    Background,
    /// A runtime the user chose.
    Runtime(Handle),
}

impl Executor {
    /// Runs `task` to completion in the background.
    ///
    /// # Errors
    ///
    /// When the background thread cannot be started (the message says why).
    pub(crate) fn spawn(
        &self,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        match self {
            Self::Runtime(handle) => {
                handle.spawn(task);
                Ok(())
            }
            Self::Background => {
                background()?.spawn(task);
                Ok(())
            }
        }
    }
}

fn background() -> Result<Handle, String> {
    let mut slot = BACKGROUND.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = slot.as_ref() {
        return Ok(handle.clone());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .thread_name("auth-oauth2")
        .build()
        .map_err(|e| format!("cannot start the token-request runtime ({e})"))?;
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("auth-oauth2".to_owned())
        // Runs until the process exits; the runtime's tasks are the token requests.
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .map_err(|e| format!("cannot start the token-request thread ({e})"))?;
    *slot = Some(handle.clone());
    Ok(handle)
}
