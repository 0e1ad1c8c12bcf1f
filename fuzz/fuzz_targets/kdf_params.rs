//! Crafted key-derivation parameters: an encrypted PKCS#8 key whose PBKDF2 iteration count or
//! scrypt N, r and p come from the input. The cost check must agree with the limits exactly.
//! Over the limits a load is refused before any work; within a cheap fraction of them the key is
//! really decrypted (and fails on the made-up data). Nothing panics; the check alone also reads
//! the raw input as DER.
#![no_main]

use auth_core::SecretString;
use auth_keys::fuzzing::{pbkdf2_key, scrypt_key};
use auth_keys::{MAX_KDF_ITERATIONS, MAX_SCRYPT_WORK_BYTES, PrivateKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = auth_keys::fuzzing::check_kdf_params(data);
    let Some((&scheme, rest)) = data.split_first() else {
        return;
    };
    let number = |at: usize, width: usize| {
        rest.get(at..at + width)
            .map_or(1, |b| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    };
    // `cheap`: within a small fraction of the limits, where a real derivation costs
    // milliseconds; the fuzzer stays fast while the limit check itself sees every value.
    let (der, within, cheap) = if scheme % 2 == 0 {
        let iterations = number(0, 4).max(1);
        let cheap = iterations <= 4096;
        (pbkdf2_key(iterations), iterations <= MAX_KDF_ITERATIONS, cheap)
    } else {
        // N a power of two, as scrypt requires; r and p from the input.
        let n = 1u64 << (number(0, 1) % 24).max(1);
        let (r, p) = (number(1, 2).max(1), number(3, 2).max(1));
        let work = 128u128 * u128::from(n) * u128::from(r) * u128::from(p);
        let cheap = work <= 1 << 20;
        (scrypt_key(n, r, p), work <= u128::from(MAX_SCRYPT_WORK_BYTES), cheap)
    };
    let checked = auth_keys::fuzzing::check_kdf_params(&der);
    assert_eq!(checked.is_ok(), within, "{checked:?}");
    // Over the limits the load must fail without deriving; within them (cheaply) it derives
    // and fails on the made-up ciphertext.
    if !within || cheap {
        let password = SecretString::from("pw");
        let result = PrivateKey::from_pem_or_der(&der, Some(&password), "fuzz input");
        assert!(result.is_err(), "made-up ciphertext never decrypts to a key");
    }
});
