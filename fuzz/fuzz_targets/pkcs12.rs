//! PKCS#12 keystores: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = auth_jwt_issuer::fuzzing::load_keystore(data, "storepass", "signer");
});
