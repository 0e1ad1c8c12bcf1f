//! OpenSSL's traditional encrypted PEM (`Proc-Type: 4,ENCRYPTED` + `DEK-Info`), which no
//! maintained crate decrypts: the key is EVP_BytesToKey(MD5, one iteration) of the password and
//! the first eight bytes of the IV.

use auth_core::{Error, Result};
use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use crate::wrong_password;

/// Decrypts the body of a traditional encrypted PEM block whose `DEK-Info` is `dek_info`.
pub(crate) fn decrypt(
    body: &[u8],
    dek_info: &str,
    password: &str,
    origin: &str,
) -> Result<Zeroizing<Vec<u8>>> {
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| Error::key_material(format!("{origin} has a malformed DEK-Info header")))?;
    let cipher = cipher.trim();
    let iv = hex::decode(iv_hex.trim())
        .map_err(|_| Error::key_material(format!("{origin} has a DEK-Info IV that is not hex")))?;
    let (key_len, iv_len) = match cipher {
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        "DES-EDE3-CBC" => (24, 8),
        other => {
            return Err(Error::key_material(format!(
                "{origin} is encrypted with {other}, which is not supported; supported are \
                 AES-128-CBC, AES-192-CBC, AES-256-CBC and DES-EDE3-CBC"
            )));
        }
    };
    if iv.len() != iv_len {
        return Err(Error::key_material(format!(
            "{origin} has a {}-byte DEK-Info IV; {cipher} needs {iv_len}",
            iv.len()
        )));
    }
    let key = evp_bytes_to_key(password.as_bytes(), &iv[..8], key_len);
    let plain = match cipher {
        "AES-128-CBC" => run::<aes::Aes128>(&key, &iv, body),
        "AES-192-CBC" => run::<aes::Aes192>(&key, &iv, body),
        "AES-256-CBC" => run::<aes::Aes256>(&key, &iv, body),
        _ => run::<des::TdesEde3>(&key, &iv, body),
    };
    plain.ok_or_else(|| wrong_password(origin))
}

fn run<C>(key: &[u8], iv: &[u8], body: &[u8]) -> Option<Zeroizing<Vec<u8>>>
where
    cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
    C: cbc::cipher::BlockCipherDecrypt,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    decryptor
        .decrypt_padded_vec::<Pkcs7>(body)
        .ok()
        .map(Zeroizing::new)
}

/// OpenSSL's EVP_BytesToKey with MD5 and one iteration.
fn evp_bytes_to_key(password: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut key = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut previous: Option<[u8; 16]> = None;
    while key.len() < len {
        let mut md5 = Md5::new();
        if let Some(previous) = &previous {
            md5.update(previous);
        }
        md5.update(password);
        md5.update(salt);
        let block: [u8; 16] = md5.finalize().into();
        key.extend_from_slice(&block);
        previous = Some(block);
    }
    key.truncate(len);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -pass pass:ballerina -S 0102030405060708`
        let key = evp_bytes_to_key(b"ballerina", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        assert_eq!(hex::encode(&*key), OPENSSL_KEY);
    }

    const OPENSSL_KEY: &str = "cf86ecd7d6ad376cf6657d6962efa10751c2da8b2e97d98bf6bac2aae016bee5";

    #[test]
    fn unsupported_and_malformed_headers_are_named() {
        let err = decrypt(b"", "DES-CBC,0001020304050607", "pw", "key file `k`").unwrap_err();
        assert!(
            err.message().contains("DES-CBC, which is not supported"),
            "{err}"
        );
        let err = decrypt(b"", "AES-128-CBC", "pw", "key file `k`").unwrap_err();
        assert!(err.message().contains("malformed DEK-Info"), "{err}");
        let err = decrypt(b"", "AES-128-CBC,0001", "pw", "key file `k`").unwrap_err();
        assert!(err.message().contains("2-byte DEK-Info IV"), "{err}");
    }
}
