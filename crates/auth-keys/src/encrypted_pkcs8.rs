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

use crate::classify::dotted;
use crate::der_walk::{self, OID_PBES2};
use crate::{kdf_limits, wrong_password};

const OID_PBE_SHA1_3DES3: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x03];
const OID_PBE_SHA1_3DES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x01, 0x04];

/// Checks the key-derivation cost `der` asks for, without deriving anything.
#[cfg(feature = "fuzzing")]
pub(crate) fn check_cost(der: &[u8], origin: &str) -> Result<()> {
    kdf_limits::check_all(der, origin)
}

/// Decrypts `der` with `password` and returns the PrivateKeyInfo DER inside. The cost the file
/// asks for is checked first ([`kdf_limits`]).
pub(crate) fn decrypt(der: &[u8], password: &str, origin: &str) -> Result<Zeroizing<Vec<u8>>> {
    kdf_limits::check_all(der, origin)?;
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
            if params.iterations < 1 {
                return Err(Error::key_material(format!(
                    "{origin} asks for {} key-derivation iterations; at least 1 is needed",
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
    use crate::crafted::{pbkdf2_key, scrypt_key};

    #[test]
    fn hostile_costs_are_refused_before_any_work() {
        // 2^31 - 1 iterations would take minutes; N = 2^20, r = 32 four gigabytes.
        for der in [
            pbkdf2_key(0x7fff_ffff),
            scrypt_key(1 << 20, 32, 1),
            scrypt_key(1 << 20, 8, 16),
        ] {
            // Had the derivation run, it would have failed later with "password is wrong".
            let err = decrypt(&der, "pw", "key").unwrap_err();
            assert!(err.message().contains("over the limit"), "{err}");
        }
        // A normal count gets as far as decryption (and fails on the made-up data).
        let err = decrypt(&pbkdf2_key(2048), "pw", "key").unwrap_err();
        assert!(err.message().contains("key password is wrong"), "{err}");
    }
}
