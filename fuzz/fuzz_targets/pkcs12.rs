//! PKCS#12 keystores: never a panic, and an error never shows a password.
#![no_main]

use auth_core::SecretString;
use auth_keys::PrivateKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let store = SecretString::from("storepass");
    let key = SecretString::from("fuzz-keypass");
    if let Err(error) = PrivateKey::from_pkcs12_bytes(data, &store, "signer", Some(&key), "fuzz input") {
        let text = error.to_string();
        assert!(!text.contains("storepass") && !text.contains("fuzz-keypass"));
    }
});
