//! The same authentication for [`reqwest::blocking`]: for CLIs and programs without async code.
//!
//! [`AuthClient`] puts a provider's credential on every request and replays once on a
//! rejection, as the async [`AuthClient`](crate::AuthClient) does; [`RequestBuilderExt`] sets
//! the header once. Providers are async: when one has no credential at hand, it is driven on a
//! small runtime of this crate's own (one worker thread, started on first use), never on the
//! caller's. So a call from inside another runtime's blocking section (`spawn_blocking`, a
//! current-thread runtime's blocking pool) cannot deadlock on that runtime.
//!
//! As with `reqwest::blocking` itself, do not call these from async code: that blocks a
//! runtime worker. Inside `tokio::task::spawn_blocking` they are fine.
//!
//! ```no_run
//! # fn example() -> Result<(), auth_http::Error> {
//! use auth_core::Token;
//! use auth_http::blocking::AuthClient;
//!
//! let client = AuthClient::new(reqwest::blocking::Client::new(), Token::bearer("abc")?);
//! let body = client.get("https://api.example/items").send()?.text()?;
//! # let _ = body;
//! # Ok(())
//! # }
//! ```

mod client;
mod driver;
mod extension;

pub use client::{AuthClient, AuthRequestBuilder};
pub use extension::RequestBuilderExt;
