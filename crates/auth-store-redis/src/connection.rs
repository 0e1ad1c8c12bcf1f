//! The command connection: made on first use (never when the store is built, so a provider
//! can be built while Redis is down), shared by every caller, and made anew after a failure.
//!
//! The connection manager reconnects by itself after I/O errors, but it is tied to the
//! runtime it was made on and can keep returning an error it cached; dropping it after any
//! failure that is not a plain error reply is the simple way to never get stuck.

use std::time::Duration;

use auth_core::Result;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, RedisError};
use tokio::sync::Mutex;

use crate::errors::{needs_new_connection, store_error};

pub(crate) struct Connector {
    client: Client,
    server: String,
    connect_timeout: Duration,
    response_timeout: Duration,
    current: Mutex<Option<ConnectionManager>>,
}

impl Connector {
    pub(crate) fn new(
        client: Client,
        server: String,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self {
            client,
            server,
            connect_timeout,
            response_timeout,
            current: Mutex::new(None),
        }
    }

    /// Where the store connects, for messages: host and port (or socket path) and database.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The shared connection, made now if there is none.
    pub(crate) async fn connection(&self, operation: &str) -> Result<ConnectionManager> {
        let mut current = self.current.lock().await;
        if let Some(connection) = current.as_ref() {
            return Ok(connection.clone());
        }
        // One quick attempt: a store that does not answer is skipped by the provider, which
        // asks again later; retrying here would only hold its callers up.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let made = tokio::time::timeout(
            self.connect_timeout.saturating_mul(2),
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await;
        match made {
            Ok(Ok(connection)) => {
                *current = Some(connection.clone());
                Ok(connection)
            }
            Ok(Err(error)) => Err(store_error(&self.server, operation, &error)),
            Err(_) => Err(auth_core::Error::transport(format!(
                "the Redis token store at {} could not {operation}: connecting took longer than {} ms",
                self.server,
                self.connect_timeout.saturating_mul(2).as_millis()
            ))
            .with_retryable(true)),
        }
    }

    /// Turns `error` into ours, dropping the connection when it may be broken.
    pub(crate) async fn failed(&self, operation: &str, error: &RedisError) -> auth_core::Error {
        if needs_new_connection(error) {
            self.current.lock().await.take();
        }
        store_error(&self.server, operation, error)
    }
}
