//! Helpers for the tests of providers and HTTP integrations (feature `test-util`): the forms a
//! secret takes on the wire, to look for in what must not hold it, and a writer that captures
//! log output.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// Every form `secret` takes on the wire: as it is, form-encoded (`application/x-www-form-
/// urlencoded`, with `+` for a space, and again with `%20`), and every byte percent-encoded.
///
/// ```
/// use auth_core::testing::wire_forms;
///
/// assert_eq!(
///     wire_forms("a b&ü"),
///     ["a b&ü", "a%20b%26%C3%BC", "a+b%26%C3%BC", "%61%20%62%26%C3%BC"]
/// );
/// ```
pub fn wire_forms(secret: &str) -> Vec<String> {
    let mut form = String::with_capacity(secret.len() * 3);
    for byte in secret.bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' => form.push(char::from(byte)),
            _ if byte.is_ascii_alphanumeric() => form.push(char::from(byte)),
            b' ' => form.push('+'),
            _ => form.push_str(&format!("%{byte:02X}")),
        }
    }
    vec![
        secret.to_owned(),
        form.replace('+', "%20"),
        form,
        secret.bytes().map(|b| format!("%{b:02X}")).collect(),
    ]
}

/// A writer that keeps what is written to it, for a log subscriber's output; clones share
/// one buffer.
#[derive(Clone, Debug, Default)]
pub struct CapturedOutput(Arc<Mutex<Vec<u8>>>);

impl CapturedOutput {
    /// What was written so far, as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for CapturedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
