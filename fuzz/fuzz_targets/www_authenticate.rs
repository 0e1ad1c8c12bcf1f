//! The `WWW-Authenticate` parser: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = auth_http::is_invalid_token_challenge(text);
    }
});
