//! Crafted key-derivation parameters: an encrypted PKCS#8 key whose PBKDF2 iteration count or
//! scrypt N, r and p come from the input. Within the limits the key is decrypted (and fails on
//! the made-up data); over them it is refused before any work. Either way it never hangs
//! (libFuzzer's `-timeout` catches that) and never panics; the check alone also reads the raw
//! input as DER.
#![no_main]

use auth_core::SecretString;
use auth_keys::{MAX_KDF_ITERATIONS, MAX_SCRYPT_WORK_BYTES, PrivateKey};
use libfuzzer_sys::fuzz_target;

const OID: u8 = 0x06;
const SEQUENCE: u8 = 0x30;
const OCTET_STRING: u8 = 0x04;
const INTEGER: u8 = 0x02;
const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

fn integer(value: u64) -> Vec<u8> {
    let mut bytes = value.to_be_bytes().to_vec();
    while bytes.len() > 1 && bytes[0] == 0 {
        bytes.remove(0);
    }
    if bytes[0] & 0x80 != 0 {
        bytes.insert(0, 0);
    }
    tlv(INTEGER, &bytes)
}

fn key(kdf_oid: &[u8], kdf_params: Vec<u8>) -> Vec<u8> {
    let kdf = tlv(SEQUENCE, &[tlv(OID, kdf_oid), kdf_params].concat());
    let cipher = tlv(SEQUENCE, &[tlv(OID, AES256_CBC), tlv(OCTET_STRING, &[9; 16])].concat());
    let algorithm = tlv(
        SEQUENCE,
        &[tlv(OID, PBES2), tlv(SEQUENCE, &[kdf, cipher].concat())].concat(),
    );
    tlv(SEQUENCE, &[algorithm, tlv(OCTET_STRING, &[1; 32])].concat())
}

fuzz_target!(|data: &[u8]| {
    let _ = auth_keys::fuzzing::check_kdf_params(data);
    let Some((&scheme, rest)) = data.split_first() else {
        return;
    };
    let number = |at: usize, width: usize| {
        rest.get(at..at + width)
            .map_or(1, |b| b.iter().fold(0u64, |acc, x| (acc << 8) | u64::from(*x)))
    };
    let (der, within) = if scheme % 2 == 0 {
        let iterations = number(0, 4).max(1);
        let params = tlv(SEQUENCE, &[tlv(OCTET_STRING, &[7; 8]), integer(iterations)].concat());
        (key(PBKDF2, params), iterations <= MAX_KDF_ITERATIONS)
    } else {
        // N a power of two, as scrypt requires; r and p from the input.
        let n = 1u64 << (number(0, 1) % 24).max(1);
        let (r, p) = (number(1, 2).max(1), number(3, 2).max(1));
        let params = tlv(
            SEQUENCE,
            &[tlv(OCTET_STRING, &[7; 8]), integer(n), integer(r), integer(p)].concat(),
        );
        let work = 128u128 * u128::from(n) * u128::from(r) * u128::from(p);
        (key(SCRYPT, params), work <= u128::from(MAX_SCRYPT_WORK_BYTES))
    };
    let checked = auth_keys::fuzzing::check_kdf_params(&der);
    assert_eq!(checked.is_ok(), within, "{checked:?}");
    let password = SecretString::from("pw");
    let result = PrivateKey::from_pem_or_der(&der, Some(&password), "fuzz input");
    assert!(result.is_err(), "made-up ciphertext never decrypts to a key");
});
