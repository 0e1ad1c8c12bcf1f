//! Encrypted PKCS#8 keys with chosen key-derivation parameters and made-up contents, for the
//! cost-limit tests and the `kdf_params` fuzz target (never compiled into a normal build).

use crate::der_walk::{INTEGER, OBJECT_IDENTIFIER, OCTET_STRING, OID_PBES2, SEQUENCE, write};
use crate::kdf_limits::{OID_PBKDF2, OID_SCRYPT};

const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

pub(crate) fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

pub(crate) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    write(tag, value, &mut out);
    out
}

/// A DER INTEGER holding `value` (a leading zero keeps it positive).
pub(crate) fn int(value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut body = bytes[skip..].to_vec();
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(INTEGER, &body)
}

/// An EncryptedPrivateKeyInfo with PBES2 (AES-256-CBC) and the given key-derivation function.
fn pbes2_key(kdf_oid: &[u8], kdf_params: Vec<u8>) -> Vec<u8> {
    let kdf = seq(&[tlv(OBJECT_IDENTIFIER, kdf_oid), kdf_params]);
    let cipher = seq(&[
        tlv(OBJECT_IDENTIFIER, OID_AES256_CBC),
        tlv(OCTET_STRING, &[9; 16]),
    ]);
    let algorithm = seq(&[tlv(OBJECT_IDENTIFIER, OID_PBES2), seq(&[kdf, cipher])]);
    seq(&[algorithm, tlv(OCTET_STRING, &[1; 32])])
}

/// A PBES2 key derived with PBKDF2 over `iterations`.
pub(crate) fn pbkdf2_key(iterations: u64) -> Vec<u8> {
    pbes2_key(
        OID_PBKDF2,
        seq(&[tlv(OCTET_STRING, &[7; 8]), int(iterations)]),
    )
}

/// A PBES2 key derived with scrypt(N, r, p).
pub(crate) fn scrypt_key(n: u64, r: u64, p: u64) -> Vec<u8> {
    pbes2_key(
        OID_SCRYPT,
        seq(&[tlv(OCTET_STRING, &[7; 8]), int(n), int(r), int(p)]),
    )
}
