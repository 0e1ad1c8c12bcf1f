//! Token-endpoint responses (status, content type, Retry-After, body): never a panic, a usable
//! token or a typed error, and an echoed secret never reaches the error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = 100 + u16::from_be_bytes([data[0], data[1]]) % 500;
    let body = &data[2..];
    // A Retry-After value taken from the body's first characters.
    let retry_after: String = String::from_utf8_lossy(body).chars().take(40).collect();
    let _ = auth_oauth2::fuzzing::parse_token_response(status, "application/json", retry_after.trim(), body);
});
