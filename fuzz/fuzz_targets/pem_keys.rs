//! PEM and DER private keys, plain and encrypted (PKCS#8 PBES2 and PKCS#12 PBE, traditional
//! `Proc-Type` PEM): never a panic, and an error never shows the password.
#![no_main]

use auth_core::SecretString;
use auth_keys::PrivateKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (password, key) = match data.split_first() {
        Some((0, rest)) => (None, rest),
        Some((_, rest)) => (Some(SecretString::from("fuzz-password")), rest),
        None => (None, data),
    };
    match PrivateKey::from_pem_or_der(key, password.as_ref(), "fuzz input") {
        Ok(key) => drop(key.to_pem()),
        Err(error) => assert!(!error.to_string().contains("fuzz-password")),
    }
});
