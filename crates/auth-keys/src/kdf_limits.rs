//! Bounds on the work an encrypted key or keystore may ask for, checked before any work.
//!
//! A key file names its own key-derivation cost (PBKDF2 and PKCS#12 iteration counts, scrypt's
//! N, r and p), so a hostile or corrupt file could ask for minutes of CPU and gigabytes of
//! memory. Every algorithm identifier in a key or keystore is checked against these limits
//! before anything is derived:
//!
//! - iterations (PBKDF2, the PKCS#12 KDF, the PKCS#12 MAC): at most [`MAX_KDF_ITERATIONS`];
//! - scrypt: `128 · N · r · p` at most [`MAX_SCRYPT_WORK_BYTES`], which bounds the memory
//!   (`128 · N · r`) and the work (`p` sequential passes over it) together.
//!
//! Tools write far less: OpenSSL 2 048 iterations, Java keytool 10 000 (100 000 for a legacy
//! MAC), OpenSSL's scrypt N = 2^14, r = 8, p = 1 (16 MiB). At the limits a derivation takes
//! about a second on one core.
//!
//! The one thing the walk cannot see is a key bag inside an *encrypted* part of a PKCS#12
//! keystore: it is readable only after that part is decrypted with the store password. The
//! keystore reader bounds those itself (1 000 000 iterations; scrypt 1 GiB with `p` at most
//! 16), and reaching them needs the password, so a file from someone who does not know it
//! stops at the outer layer, whose cost is checked here.

use auth_core::{Error, Result};

use crate::der_walk::{self, INTEGER, OBJECT_IDENTIFIER, OCTET_STRING, OID_PBES2, SEQUENCE, Tlv};

/// The most PBKDF2, PKCS#12-KDF or PKCS#12-MAC iterations accepted (as p12-keystore).
pub const MAX_KDF_ITERATIONS: u64 = 1_000_000;

/// The most scrypt work accepted, `128 · N · r · p` bytes (256 MiB: sixteen times OpenSSL's
/// default).
pub const MAX_SCRYPT_WORK_BYTES: u64 = 256 * 1024 * 1024;

pub(crate) const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
pub(crate) const OID_SCRYPT: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x04, 0x0b];
/// `pbeWithSHAAnd*` (PKCS#12 appendix C): 1.2.840.113549.1.12.1.1 to .6.
const OID_PKCS12_PBE_PREFIX: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01];
/// How deep the structures of a key or keystore may nest before the walk stops.
const MAX_DEPTH: u8 = 24;

/// Checks an iteration count of `what` (`"PBKDF2"`, `"PKCS#12 MAC"`, ...).
fn iterations(what: &str, count: u64, origin: &str) -> Result<()> {
    if count > MAX_KDF_ITERATIONS {
        return Err(Error::key_material(format!(
            "{origin} asks for {count} {what} iterations, over the limit of \
             {MAX_KDF_ITERATIONS}; refusing it before any work (re-encrypt it with the \
             defaults of openssl or keytool)"
        )));
    }
    Ok(())
}

/// Checks scrypt parameters.
fn scrypt(n: u64, r: u64, p: u64, origin: &str) -> Result<()> {
    let work = 128u64
        .checked_mul(n)
        .and_then(|w| w.checked_mul(r))
        .and_then(|w| w.checked_mul(p));
    match work {
        Some(work) if work <= MAX_SCRYPT_WORK_BYTES => Ok(()),
        _ => Err(Error::key_material(format!(
            "{origin} asks for scrypt with N = {n}, r = {r}, p = {p}: 128·N·r·p is over the \
             limit of {} MiB; refusing it before any work (OpenSSL's default is N = 16384, r = \
             8, p = 1)",
            MAX_SCRYPT_WORK_BYTES / (1024 * 1024)
        ))),
    }
}

/// A DER INTEGER as a `u64`, saturating (a cost too large for 64 bits is over every limit).
fn integer(item: &Tlv<'_>) -> Option<u64> {
    if item.tag != INTEGER {
        return None;
    }
    let significant: Vec<u8> = item.value.iter().copied().skip_while(|b| *b == 0).collect();
    if significant.len() > 8 {
        return Some(u64::MAX);
    }
    Some(
        significant
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)),
    )
}

/// Checks every key-derivation and MAC parameter set found anywhere in `der`: PBES2 with PBKDF2
/// or scrypt, the PKCS#12 PBE schemes, and a PKCS#12 `MacData`. Structures nested inside
/// OCTET STRINGs (a keystore's contents) are walked too.
pub(crate) fn check_all(der: &[u8], origin: &str) -> Result<()> {
    walk(der, origin, 0)
}

fn walk(mut input: &[u8], origin: &str, depth: u8) -> Result<()> {
    // Past this depth the walk stops rather than refusing: a keystore's certificates nest deep
    // inside their bags, while the algorithm identifiers a reader derives keys from sit at
    // fixed places well above it (the `kdf_limits` and keystore tests reach them all), and no
    // reader looks for them anywhere else.
    if depth > MAX_DEPTH {
        return Ok(());
    }
    while let Some((item, rest)) = der_walk::read(input) {
        match item.tag {
            SEQUENCE => {
                check_sequence(item.value, origin)?;
                walk(item.value, origin, depth + 1)?;
            }
            // A keystore wraps its contents in OCTET STRINGs; random (encrypted) bytes simply
            // fail to read as DER and end the walk of that string.
            OCTET_STRING => walk(item.value, origin, depth + 1)?,
            // Other constructed elements (SET, [0] ...).
            tag if tag & 0x20 != 0 => walk(item.value, origin, depth + 1)?,
            _ => {}
        }
        input = rest;
    }
    Ok(())
}

/// Checks one SEQUENCE's contents if it is an algorithm identifier of a password-based scheme,
/// or a PKCS#12 `MacData`.
fn check_sequence(contents: &[u8], origin: &str) -> Result<()> {
    let mut items = Vec::new();
    let mut input = contents;
    while let Some((item, rest)) = der_walk::read(input) {
        items.push(item);
        input = rest;
        if items.len() > 4 {
            break;
        }
    }
    match items.as_slice() {
        [oid, params, ..] if oid.tag == OBJECT_IDENTIFIER && oid.value == OID_PBES2 => {
            pbes2(params, origin)
        }
        [oid, params, ..]
            if oid.tag == OBJECT_IDENTIFIER
                && oid.value.len() == OID_PKCS12_PBE_PREFIX.len() + 1
                && oid.value.starts_with(OID_PKCS12_PBE_PREFIX) =>
        {
            // pkcs-12PbeParams ::= SEQUENCE { salt OCTET STRING, iterations INTEGER }
            let fields = inside(params).unwrap_or_default();
            match fields.get(1).and_then(integer) {
                Some(count) => iterations("PKCS#12 key-derivation", count, origin),
                None => Ok(()),
            }
        }
        // MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER }
        [digest_info, salt, count]
            if digest_info.tag == SEQUENCE && salt.tag == OCTET_STRING && count.tag == INTEGER =>
        {
            iterations("PKCS#12 MAC", integer(count).unwrap_or(0), origin)
        }
        _ => Ok(()),
    }
}

/// PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme ... }
fn pbes2(params: &Tlv<'_>, origin: &str) -> Result<()> {
    let Some(fields) = inside(params) else {
        return Ok(());
    };
    let Some(kdf) = fields.first() else {
        return Ok(());
    };
    let Some(kdf) = inside(kdf) else {
        return Ok(());
    };
    let (Some(oid), Some(kdf_params)) = (kdf.first(), kdf.get(1)) else {
        return Ok(());
    };
    let values = inside(kdf_params).unwrap_or_default();
    let number = |at: usize| values.get(at).and_then(integer);
    if oid.value == OID_PBKDF2 {
        // PBKDF2-params ::= SEQUENCE { salt, iterationCount, keyLength OPTIONAL, prf ... }
        if let Some(count) = number(1) {
            iterations("PBKDF2", count, origin)?;
        }
    } else if oid.value == OID_SCRYPT {
        // scrypt-params ::= SEQUENCE { salt, costParameter, blockSize, parallelizationParameter, ... }
        if let (Some(n), Some(r), Some(p)) = (number(1), number(2), number(3)) {
            scrypt(n, r, p, origin)?;
        }
    }
    Ok(())
}

/// The elements directly inside `item`, when it is a SEQUENCE.
fn inside<'a>(item: &Tlv<'a>) -> Option<Vec<Tlv<'a>>> {
    if item.tag != SEQUENCE {
        return None;
    }
    let mut items = Vec::new();
    let mut input = item.value;
    while !input.is_empty() {
        let (next, rest) = der_walk::read(input)?;
        items.push(next);
        input = rest;
    }
    Some(items)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crafted::{int, pbkdf2_key, scrypt_key, seq, tlv};

    #[test]
    fn pbkdf2_iterations_are_bounded() {
        assert!(check_all(&pbkdf2_key(2048), "key").is_ok());
        assert!(check_all(&pbkdf2_key(MAX_KDF_ITERATIONS), "key").is_ok());
        let err = check_all(&pbkdf2_key(MAX_KDF_ITERATIONS + 1), "key file `k`").unwrap_err();
        assert!(
            err.message()
                .contains("asks for 1000001 PBKDF2 iterations, over the limit of 1000000"),
            "{err}"
        );
        let err = check_all(&pbkdf2_key(u64::MAX), "key").unwrap_err();
        assert!(err.message().contains("PBKDF2 iterations"), "{err}");
    }

    #[test]
    fn scrypt_cost_is_bounded_as_memory_times_passes() {
        // OpenSSL's default, and the limit itself.
        assert!(check_all(&scrypt_key(1 << 14, 8, 1), "key").is_ok());
        assert!(check_all(&scrypt_key(1 << 18, 8, 1), "key").is_ok());
        assert!(check_all(&scrypt_key(1 << 14, 8, 16), "key").is_ok());
        // What the review crafted: N = 2^20 with r = 32 (4 GiB), and p = 16 sequential passes.
        for (n, r, p) in [
            (1 << 20, 32, 1),
            (1 << 18, 8, 2),
            (1 << 14, 8, 17),
            (1 << 20, 8, 16),
        ] {
            let err = check_all(&scrypt_key(n, r, p), "key").unwrap_err();
            assert!(
                err.message()
                    .contains(&format!("N = {n}, r = {r}, p = {p}")),
                "{err}"
            );
            assert!(err.message().contains("over the limit of 256 MiB"), "{err}");
        }
        let err = check_all(&scrypt_key(u64::MAX, u64::MAX, u64::MAX), "key").unwrap_err();
        assert!(err.message().contains("over the limit"), "{err}");
    }

    #[test]
    fn nested_parameters_and_mac_data_are_found() {
        // The key inside an OCTET STRING inside a [0], as a keystore nests its bags.
        let nested = tlv(0xa0, &tlv(OCTET_STRING, &seq(&[scrypt_key(1 << 20, 8, 1)])));
        assert!(check_all(&seq(&[int(3), nested]), "store").is_err());
        let digest_info = seq(&[
            seq(&[tlv(OBJECT_IDENTIFIER, &[0x2b, 0x0e, 0x03, 0x02, 0x1a])]),
            tlv(OCTET_STRING, &[0; 20]),
        ]);
        let mac = |count| seq(&[digest_info.clone(), tlv(OCTET_STRING, &[1; 8]), int(count)]);
        assert!(check_all(&seq(&[int(3), seq(&[]), mac(100_000)]), "store").is_ok());
        let err = check_all(&seq(&[int(3), seq(&[]), mac(10_000_000)]), "store").unwrap_err();
        assert!(err.message().contains("PKCS#12 MAC iterations"), "{err}");
        let pbe = seq(&[
            tlv(
                OBJECT_IDENTIFIER,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03],
            ),
            seq(&[tlv(OCTET_STRING, &[1; 8]), int(10_000_000)]),
        ]);
        let err = check_all(&seq(&[pbe, tlv(OCTET_STRING, &[0; 16])]), "key").unwrap_err();
        assert!(
            err.message().contains("PKCS#12 key-derivation iterations"),
            "{err}"
        );
    }

    #[test]
    fn garbage_and_deep_nesting_do_not_panic() {
        // Deep nesting is not refused, only not walked (see `walk`): what matters is that 200
        // levels neither overflow the stack nor take long.
        let mut deep = seq(&[]);
        for _ in 0..200 {
            deep = seq(&[deep]);
        }
        assert!(check_all(&deep, "x").is_ok());
        assert!(check_all(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], "x").is_ok());
        assert!(check_all(b"", "x").is_ok());
    }
}
