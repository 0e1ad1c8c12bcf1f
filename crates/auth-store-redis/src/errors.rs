//! Redis errors turned into `auth_core` errors that name the server and what failed, but
//! never the URL's password or a value from a reply (the redis crate's messages quote both).

use auth_core::Error;
use redis::{ErrorKind, RedisError};

/// Why `operation` on the server at `server` failed, without the error's own text.
pub(crate) fn store_error(server: &str, operation: &str, error: &RedisError) -> Error {
    let why: String = if error.is_timeout() {
        "it did not answer in time".into()
    } else if error.is_connection_refusal() {
        "the connection was refused; is redis-server running there?".into()
    } else if error.is_connection_dropped() || error.is_io_error() {
        "the connection failed or was lost".into()
    } else {
        match error.kind() {
            ErrorKind::AuthenticationFailed => {
                "authentication failed; check the user name and password in the URL".into()
            }
            ErrorKind::Server(_) | ErrorKind::Extension => match error.code() {
                // Error codes are single upper-case words (NOPERM, READONLY, OOM, WRONGTYPE);
                // anything else is not shown.
                Some(code) if code.len() <= 32 && code.bytes().all(|b| b.is_ascii_uppercase()) => {
                    format!("the server answered {code}")
                }
                _ => "the server answered with an error".into(),
            },
            ErrorKind::UnexpectedReturnType | ErrorKind::Parse => {
                "the server's reply had an unexpected shape; is this a Redis 7 or Valkey server?"
                    .into()
            }
            _ => "the client could not send the command".into(),
        }
    };
    Error::transport(format!(
        "the Redis token store at {server} could not {operation}: {why}"
    ))
    .with_retryable(true)
}

/// Whether the connection that saw `error` should be dropped and made anew: anything but an
/// error reply from a working server.
pub(crate) fn needs_new_connection(error: &RedisError) -> bool {
    !matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension)
        || error.is_connection_dropped()
}
