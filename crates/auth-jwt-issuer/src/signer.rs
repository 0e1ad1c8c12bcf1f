//! The signing key, parsed once and checked against the algorithm.

use auth_core::{Error, Result, SecretString};
use ring::hmac;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use crate::algorithm::{Algorithm, KeyFamily};
use crate::keys::{Curve, KeyMaterial};

/// What the signature config supplied.
pub(crate) enum KeyInput {
    Key(KeyMaterial),
    Secret(SecretString),
    Nothing,
}

impl KeyInput {
    fn describe(&self) -> String {
        match self {
            Self::Key(key) => key.describe(),
            Self::Secret(_) => "a shared secret".to_owned(),
            Self::Nothing => "no key".to_owned(),
        }
    }
}

/// A ready-to-use signer: ring's parsed key pair, or an HMAC key.
pub(crate) enum Signer {
    Rsa {
        key: RsaKeyPair,
        padding: &'static dyn signature::RsaEncoding,
        rng: SystemRandom,
    },
    Ecdsa {
        key: EcdsaKeyPair,
        rng: SystemRandom,
    },
    Ed25519(Ed25519KeyPair),
    Hmac(hmac::Key),
    Unsigned,
}

impl Signer {
    /// Builds the signer for `algorithm`, refusing a key that does not fit it.
    pub(crate) fn new(algorithm: Algorithm, input: KeyInput, origin: &str) -> Result<Self> {
        let family = algorithm.key_family();
        let mismatch = |input: &KeyInput| {
            Error::key_material(format!(
                "{algorithm} needs {}, but {origin} holds {}",
                family.describe(),
                input.describe()
            ))
        };
        let rng = SystemRandom::new();
        match (family, input) {
            (KeyFamily::Nothing, KeyInput::Nothing) => Ok(Self::Unsigned),
            (KeyFamily::Nothing, input) => Err(Error::invalid_config(format!(
                "algorithm `none` signs nothing, but {origin} holds {}; remove the key config \
                 or choose a signing algorithm",
                input.describe()
            ))),
            (KeyFamily::Rsa, KeyInput::Key(KeyMaterial::Rsa { pkcs1, bits })) => {
                if bits < 2048 {
                    return Err(Error::key_material(format!(
                        "{algorithm} needs an RSA key of at least 2048 bits, but {origin} holds \
                         an RSA key of {bits} bits; generate a 2048-bit or larger key"
                    )));
                }
                let key = RsaKeyPair::from_der(&pkcs1).map_err(|e| {
                    Error::key_material(format!("{origin} holds an RSA key that cannot sign ({e})"))
                })?;
                let padding: &'static dyn signature::RsaEncoding = match algorithm {
                    Algorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::Rs384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::Rs512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
                    Algorithm::Ps384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                Ok(Self::Rsa { key, padding, rng })
            }
            (
                KeyFamily::EcP256,
                KeyInput::Key(KeyMaterial::Ec {
                    curve: Curve::P256,
                    pkcs8,
                }),
            )
            | (
                KeyFamily::EcP384,
                KeyInput::Key(KeyMaterial::Ec {
                    curve: Curve::P384,
                    pkcs8,
                }),
            ) => {
                let alg = if family == KeyFamily::EcP256 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                let key = EcdsaKeyPair::from_pkcs8(alg, &pkcs8, &rng).map_err(|e| {
                    Error::key_material(format!("{origin} holds an EC key that cannot sign ({e})"))
                })?;
                Ok(Self::Ecdsa { key, rng })
            }
            (KeyFamily::Ed25519, KeyInput::Key(KeyMaterial::Ed25519 { pkcs8 })) => {
                let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).map_err(|e| {
                    Error::key_material(format!(
                        "{origin} holds an Ed25519 key that cannot sign ({e})"
                    ))
                })?;
                Ok(Self::Ed25519(key))
            }
            (KeyFamily::Secret, KeyInput::Secret(secret)) => {
                let (ring_alg, minimum) = match algorithm {
                    Algorithm::Hs256 => (hmac::HMAC_SHA256, 32),
                    Algorithm::Hs384 => (hmac::HMAC_SHA384, 48),
                    _ => (hmac::HMAC_SHA512, 64),
                };
                let len = secret.expose_secret().len();
                if len < minimum {
                    return Err(Error::key_material(format!(
                        "{algorithm} needs a shared secret of at least {minimum} bytes (RFC 7518 \
                         §3.2), but the secret has {len}; use a longer, random secret"
                    )));
                }
                Ok(Self::Hmac(hmac::Key::new(
                    ring_alg,
                    secret.expose_secret().as_bytes(),
                )))
            }
            (_, input) => Err(mismatch(&input)),
        }
    }

    /// Signs `input`; `None` for an unsigned JWT.
    pub(crate) fn sign(&self, input: &[u8]) -> Result<Option<Vec<u8>>> {
        let failed = || Error::key_material("signing the JWT failed inside the crypto library");
        match self {
            Self::Rsa { key, padding, rng } => {
                let mut signature = vec![0; key.public().modulus_len()];
                key.sign(*padding, rng, input, &mut signature)
                    .map_err(|_| failed())?;
                Ok(Some(signature))
            }
            Self::Ecdsa { key, rng } => Ok(Some(
                key.sign(rng, input)
                    .map_err(|_| failed())?
                    .as_ref()
                    .to_vec(),
            )),
            Self::Ed25519(key) => Ok(Some(key.sign(input).as_ref().to_vec())),
            Self::Hmac(key) => Ok(Some(hmac::sign(key, input).as_ref().to_vec())),
            Self::Unsigned => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::keys;

    /// RFC 7515 Appendix A.2: RS256 is deterministic, so the published key and signing input
    /// must give the published signature byte for byte.
    #[test]
    fn rfc7515_appendix_a2_rs256_byte_for_byte() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/rfc7515-a2.pem");
        let key = keys::load_file(&path, None).unwrap();
        let signer = Signer::new(Algorithm::Rs256, KeyInput::Key(key), "rfc7515-a2.pem").unwrap();
        let input = b"eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
        let signature = signer.sign(input).unwrap().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(signature),
            "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
        );
    }
}
