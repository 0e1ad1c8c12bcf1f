//! Wake-ups: one pub/sub connection per store, subscribed to the pattern `prefix*`, hands each
//! message to the waiters of its channel. The provider polls as well (with a growing, bounded
//! interval), so a message lost while this connection is down only makes a waiter slower.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use auth_core::store::ChangeFuture;
use futures_util::StreamExt;
use redis::Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long after a start the listener is not started again, so a Redis that is down is not
/// dialled by every waiter.
const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// Channels with waiters beyond this count are swept of those nobody waits on any more.
const SWEEP_ABOVE: usize = 256;

type Waiters = Arc<Mutex<HashMap<String, watch::Sender<()>>>>;

pub(crate) struct Listener {
    pattern: String,
    waiters: Waiters,
    task: Mutex<Option<(JoinHandle<()>, Instant)>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Listener {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            pattern: format!("{prefix}*"),
            waiters: Arc::default(),
            task: Mutex::new(None),
        }
    }

    /// A future that resolves at the next message on `channel`.
    pub(crate) fn subscribe(
        &self,
        client: &Client,
        connect_timeout: Duration,
        channel: String,
    ) -> ChangeFuture {
        self.keep_running(client, connect_timeout);
        let mut waiters = lock(&self.waiters);
        if waiters.len() > SWEEP_ABOVE {
            waiters.retain(|_, sender| sender.receiver_count() > 0);
        }
        let mut receiver = waiters
            .entry(channel)
            .or_insert_with(|| watch::channel(()).0)
            .subscribe();
        Box::pin(async move {
            let _ = receiver.changed().await;
        })
    }

    /// Starts the listener unless it runs or was started a moment ago.
    fn keep_running(&self, client: &Client, connect_timeout: Duration) {
        let mut task = lock(&self.task);
        let running = task.as_ref().is_some_and(|(handle, started)| {
            !handle.is_finished() || started.elapsed() < RESTART_PAUSE
        });
        if running {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let listen = listen(
            client.clone(),
            self.pattern.clone(),
            Arc::clone(&self.waiters),
            connect_timeout,
        );
        *task = Some((runtime.spawn(listen), Instant::now()));
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some((handle, _)) = lock(&self.task).take() {
            handle.abort();
        }
    }
}

async fn listen(client: Client, pattern: String, waiters: Waiters, connect_timeout: Duration) {
    let Ok(Ok(mut pubsub)) = tokio::time::timeout(connect_timeout, client.get_async_pubsub()).await
    else {
        return;
    };
    if !matches!(
        tokio::time::timeout(connect_timeout, pubsub.psubscribe(&pattern)).await,
        Ok(Ok(()))
    ) {
        return;
    }
    tracing::debug!("the Redis token store listens for new tokens");
    let mut messages = pubsub.into_on_message();
    while let Some(message) = messages.next().await {
        if let Some(sender) = lock(&waiters).get(message.get_channel_name()) {
            sender.send_replace(());
        }
    }
    tracing::debug!("the Redis token store's listener lost its connection; waiters poll");
}
