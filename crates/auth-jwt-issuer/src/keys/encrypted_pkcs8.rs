//! `ENCRYPTED PRIVATE KEY` (PKCS#8 EncryptedPrivateKeyInfo): PBES2 through the `pkcs8` crate,
//! and the PKCS#12 PBE schemes (SHA-1 with two- or three-key triple DES), which no maintained
//! crate decrypts, by hand.

use auth_core::{Error, Result};
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use der::Decode as _;
use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use sha1::Sha1;
use zeroize::Zeroizing;

use super::classify::dotted;
use super::der_walk;

const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const OID_PBE_SHA1_3DES3: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03];
const OID_PBE_SHA1_3DES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x04];

/// More iterations than any real tool writes; refusing them bounds the work a hostile file
/// can cause.
const MAX_ITERATIONS: i32 = 10_000_000;
/// scrypt N above 2^20 needs more than a gigabyte with r = 8; OpenSSL writes N = 2^14.
const MAX_SCRYPT_COST: u64 = 1 << 20;

/// Decrypts `der` with `password` and returns the PrivateKeyInfo DER inside.
pub(crate) fn decrypt(der: &[u8], password: &str, origin: &str) -> Result<Zeroizing<Vec<u8>>> {
    let info = EncryptedPrivateKeyInfo::from_der(der).map_err(|e| {
        Error::key_material(format!(
            "{origin} is not a valid encrypted PKCS#8 key ({e})"
        ))
    })?;
    let oid = info.encryption_algorithm.oid.as_bytes();
    match oid {
        OID_PBES2 => pbes2(der, password, origin),
        OID_PBE_SHA1_3DES3 | OID_PBE_SHA1_3DES2 => {
            let params = info
                .encryption_algorithm
                .parameters
                .as_ref()
                .and_then(|any| any.decode_as::<Pkcs12PbeParams>().ok())
                .ok_or_else(|| {
                    Error::key_material(format!("{origin} has malformed PKCS#12 PBE parameters"))
                })?;
            if !(1..=MAX_ITERATIONS).contains(&params.iterations) {
                return Err(Error::key_material(format!(
                    "{origin} asks for {} key-derivation iterations; 1 to {MAX_ITERATIONS} are accepted",
                    params.iterations
                )));
            }
            let three_key = oid == OID_PBE_SHA1_3DES3;
            pkcs12_pbe(
                info.encrypted_data.as_bytes(),
                password,
                params.salt.as_bytes(),
                params.iterations,
                three_key,
            )
            .ok_or_else(|| wrong_password(origin))
        }
        other => Err(Error::key_material(format!(
            "{origin} is encrypted with {}, which is not supported; re-encrypt it with \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
            describe_scheme(other)
        ))),
    }
}

pub(crate) fn wrong_password(origin: &str) -> Error {
    Error::key_material(format!(
        "{origin} could not be decrypted: the key password is wrong (or the file is damaged)"
    ))
}

fn describe_scheme(oid: &[u8]) -> String {
    let name = match oid {
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x03] => Some("pbeWithMD5AndDES-CBC"),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0a] => Some("pbeWithSHA1AndDES-CBC"),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x06] => Some("pbeWithMD5AndRC2-CBC"),
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x01] => {
            Some("pbeWithSHAAnd128BitRC4")
        }
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x02] => {
            Some("pbeWithSHAAnd40BitRC4")
        }
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x05] => {
            Some("pbeWithSHAAnd128BitRC2-CBC")
        }
        [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x06] => {
            Some("pbeWithSHAAnd40BitRC2-CBC")
        }
        _ => None,
    };
    match name {
        Some(name) => format!("{name} ({})", dotted(oid)),
        None => format!("the encryption scheme {}", dotted(oid)),
    }
}

fn pbes2(der: &[u8], password: &str, origin: &str) -> Result<Zeroizing<Vec<u8>>> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der).map_err(|_| {
        let (kdf, cipher) = pbes2_oids(der).unwrap_or_default();
        Error::key_material(format!(
            "{origin} is encrypted with PBES2 with the cipher {cipher} and the key derivation \
             {kdf}, which is not supported; supported are AES-128/192/256-CBC and DES-EDE3-CBC \
             with PBKDF2 (HMAC-SHA1/SHA-224/256/384/512) or scrypt"
        ))
    })?;
    if let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = &info.encryption_algorithm {
        let excessive = match &params.kdf {
            pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(kdf) => {
                i64::from(kdf.iteration_count) > i64::from(MAX_ITERATIONS)
            }
            pkcs8::pkcs5::pbes2::Kdf::Scrypt(kdf) => {
                kdf.cost_parameter > MAX_SCRYPT_COST
                    || kdf.block_size > 32
                    || kdf.parallelization > 16
            }
            _ => false,
        };
        if excessive {
            return Err(Error::key_material(format!(
                "{origin} asks for a key derivation far costlier than any tool writes (more than \
                 {MAX_ITERATIONS} PBKDF2 iterations, or scrypt N > 2^20, r > 32 or p > 16); \
                 refusing it"
            )));
        }
    }
    let document = info.decrypt(password).map_err(|_| wrong_password(origin))?;
    Ok(Zeroizing::new(document.as_bytes().to_vec()))
}

/// The dotted OIDs of the key-derivation function and the cipher in PBES2 parameters:
/// `SEQUENCE { SEQUENCE { OID pbes2, SEQUENCE { SEQUENCE { OID kdf, .. }, SEQUENCE { OID cipher, .. } } }, .. }`.
fn pbes2_oids(der: &[u8]) -> Option<(String, String)> {
    let outer = der_walk::sequence_items(der)?;
    let (_, params) = der_walk::read(outer.first()?.value)?;
    let (params, _) = der_walk::read(params)?;
    let (kdf, rest) = der_walk::read(params.value)?;
    let (cipher, _) = der_walk::read(rest)?;
    let first_oid =
        |item: der_walk::Tlv<'_>| der_walk::read(item.value).map(|(oid, _)| dotted(oid.value));
    Some((first_oid(kdf)?, first_oid(cipher)?))
}

fn pkcs12_pbe(
    data: &[u8],
    password: &str,
    salt: &[u8],
    iterations: i32,
    three_key: bool,
) -> Option<Zeroizing<Vec<u8>>> {
    let key_len = if three_key { 24 } else { 16 };
    let key = Zeroizing::new(
        derive_key_utf8::<Sha1>(
            password,
            salt,
            Pkcs12KeyType::EncryptionKey,
            iterations,
            key_len,
        )
        .ok()?,
    );
    let iv = derive_key_utf8::<Sha1>(password, salt, Pkcs12KeyType::Iv, iterations, 8).ok()?;
    let plain = if three_key {
        cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
            .ok()?
            .decrypt_padded_vec::<Pkcs7>(data)
            .ok()?
    } else {
        cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv)
            .ok()?
            .decrypt_padded_vec::<Pkcs7>(data)
            .ok()?
    };
    Some(Zeroizing::new(plain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::der_walk::{OCTET_STRING, SEQUENCE, write};

    const OID: u8 = 0x06;
    const OID_PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
    const OID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

    /// EncryptedPrivateKeyInfo with PBES2 / PBKDF2 (`iterations`) / AES-256-CBC.
    fn pbes2_pbkdf2(iterations: &[u8]) -> Vec<u8> {
        let mut kdf_params = Vec::new();
        write(OCTET_STRING, &[7; 8], &mut kdf_params);
        write(0x02, iterations, &mut kdf_params);
        let mut kdf = Vec::new();
        write(OID, OID_PBKDF2, &mut kdf);
        write(SEQUENCE, &kdf_params, &mut kdf);
        let mut cipher = Vec::new();
        write(OID, OID_AES256_CBC, &mut cipher);
        write(OCTET_STRING, &[9; 16], &mut cipher);
        let mut params = Vec::new();
        write(SEQUENCE, &kdf, &mut params);
        write(SEQUENCE, &cipher, &mut params);
        let mut algorithm = Vec::new();
        write(OID, OID_PBES2, &mut algorithm);
        write(SEQUENCE, &params, &mut algorithm);
        let mut body = Vec::new();
        write(SEQUENCE, &algorithm, &mut body);
        write(OCTET_STRING, &[1; 32], &mut body);
        let mut der = Vec::new();
        write(SEQUENCE, &body, &mut der);
        der
    }

    #[test]
    fn hostile_iteration_counts_are_refused_before_any_work() {
        // 2^31 - 1 iterations would take minutes; it is refused at once.
        let err = decrypt(&pbes2_pbkdf2(&[0x7f, 0xff, 0xff, 0xff]), "pw", "key").unwrap_err();
        assert!(err.message().contains("far costlier"), "{err}");
        // A normal count gets as far as decryption (and fails on the made-up data).
        let err = decrypt(&pbes2_pbkdf2(&[0x08, 0x00]), "pw", "key").unwrap_err();
        assert!(err.message().contains("key password is wrong"), "{err}");
    }
}
