//! The declarative config, as TOML and as JSON: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = auth_http::ClientFileConfig::from_toml_str(text);
        let _ = auth_http::ClientFileConfig::from_json_str(text);
    }
});
