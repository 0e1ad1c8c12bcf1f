//! The crypto libraries that sign: ring (always compiled) and, with the `aws-lc-rs` feature,
//! aws-lc-rs. Their APIs are the same but for two calls, so one macro writes both modules.

use auth_core::{Error, Result, SecretString};
use auth_keys::{KeyKind, PrivateKey};

use crate::algorithm::{Algorithm, KeyFamily};

/// The library a [`SigningKey`](crate::SigningKey) signs with.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// ring, the default without the `aws-lc-rs` feature.
    #[cfg_attr(not(feature = "aws-lc-rs"), default)]
    Ring,
    /// aws-lc-rs (feature `aws-lc-rs`, then the default): RSA signatures in about half ring's
    /// time on x86-64.
    #[cfg(feature = "aws-lc-rs")]
    #[cfg_attr(docsrs, doc(cfg(feature = "aws-lc-rs")))]
    #[default]
    AwsLcRs,
}

impl Backend {
    /// Every backend compiled in.
    pub fn all() -> &'static [Backend] {
        &[
            Self::Ring,
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs,
        ]
    }

    /// The library's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ring => "ring",
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLcRs => "aws-lc-rs",
        }
    }
}

/// What a signing key was made from.
pub(crate) enum KeyInput<'a> {
    Private(&'a PrivateKey),
    Secret(&'a SecretString),
}

impl KeyInput<'_> {
    fn describe(&self) -> String {
        match self {
            Self::Private(key) => key.kind().to_string(),
            Self::Secret(_) => "a shared secret".to_owned(),
        }
    }

    fn origin(&self) -> &str {
        match self {
            Self::Private(key) => key.origin(),
            Self::Secret(_) => "the shared secret",
        }
    }
}

/// The error for a key that does not fit the algorithm.
fn mismatch(algorithm: Algorithm, input: &KeyInput<'_>) -> Error {
    Error::key_material(format!(
        "{algorithm} needs {}, but {} holds {}",
        algorithm.key_family().describe(),
        input.origin(),
        input.describe()
    ))
}

/// Checks that `input` fits `algorithm` before a backend parses it.
pub(crate) fn check_fit(algorithm: Algorithm, input: &KeyInput<'_>) -> Result<()> {
    let fits = match (algorithm.key_family(), input) {
        (KeyFamily::Rsa, KeyInput::Private(key)) => match key.kind() {
            KeyKind::Rsa { bits, .. } if bits < 2048 => {
                return Err(Error::key_material(format!(
                    "{algorithm} needs an RSA key of at least 2048 bits, but {} holds an RSA key \
                     of {bits} bits; generate a 2048-bit or larger key",
                    key.origin()
                )));
            }
            KeyKind::Rsa { .. } => true,
            _ => false,
        },
        (KeyFamily::EcP256, KeyInput::Private(key)) => key.kind() == KeyKind::EcP256,
        (KeyFamily::EcP384, KeyInput::Private(key)) => key.kind() == KeyKind::EcP384,
        (KeyFamily::Ed25519, KeyInput::Private(key)) => key.kind() == KeyKind::Ed25519,
        (KeyFamily::Secret, KeyInput::Secret(secret)) => {
            let minimum = match algorithm {
                Algorithm::Hs256 => 32,
                Algorithm::Hs384 => 48,
                _ => 64,
            };
            let len = secret.expose_secret().len();
            if len < minimum {
                return Err(Error::key_material(format!(
                    "{algorithm} needs a shared secret of at least {minimum} bytes (RFC 7518 \
                     §3.2), but the secret has {len}; use a longer, random secret"
                )));
            }
            true
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(mismatch(algorithm, input))
    }
}

macro_rules! signing_backend {
    (
        $(#[$meta:meta])*
        mod $module:ident = $crypto:ident;
        ecdsa_from_pkcs8($alg:ident, $der:ident, $rng:ident) = $ecdsa:expr;
        rsa_signature_len($key:ident) = $rsa_len:expr;
    ) => {
        $(#[$meta])*
        pub(crate) mod $module {
            use auth_core::{Error, Result};
            use $crypto::hmac;
            use $crypto::rand::SystemRandom;
            use $crypto::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

            use super::KeyInput;
            use crate::algorithm::Algorithm;

            /// A key parsed by this library, ready to sign with its algorithm.
            pub(crate) enum Key {
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
                // aws-lc-rs's HMAC key is over a kilobyte; the others are small.
                Hmac(Box<hmac::Key>),
            }

            impl Key {
                /// Parses `input` for `algorithm`; [`super::check_fit`] has passed.
                pub(crate) fn new(algorithm: Algorithm, input: &KeyInput<'_>) -> Result<Self> {
                    let origin = input.origin();
                    let rejected = |what: &str, e: &dyn std::fmt::Display| {
                        Error::key_material(format!(
                            "{origin} holds {what} that cannot sign ({e})"
                        ))
                    };
                    let rng = SystemRandom::new();
                    match (algorithm, input) {
                        (
                            Algorithm::Rs256
                            | Algorithm::Rs384
                            | Algorithm::Rs512
                            | Algorithm::Ps256
                            | Algorithm::Ps384
                            | Algorithm::Ps512,
                            KeyInput::Private(key),
                        ) => {
                            let parsed = RsaKeyPair::from_der(key.expose_der())
                                .map_err(|e| rejected("an RSA key", &e))?;
                            let padding: &'static dyn signature::RsaEncoding = match algorithm {
                                Algorithm::Rs256 => &signature::RSA_PKCS1_SHA256,
                                Algorithm::Rs384 => &signature::RSA_PKCS1_SHA384,
                                Algorithm::Rs512 => &signature::RSA_PKCS1_SHA512,
                                Algorithm::Ps256 => &signature::RSA_PSS_SHA256,
                                Algorithm::Ps384 => &signature::RSA_PSS_SHA384,
                                _ => &signature::RSA_PSS_SHA512,
                            };
                            Ok(Self::Rsa { key: parsed, padding, rng })
                        }
                        (Algorithm::Es256 | Algorithm::Es384, KeyInput::Private(key)) => {
                            let $alg = if algorithm == Algorithm::Es256 {
                                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                            } else {
                                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                            };
                            let $der = key.expose_der();
                            let $rng = &rng;
                            let parsed: std::result::Result<EcdsaKeyPair, _> = $ecdsa;
                            let parsed = parsed.map_err(|e| rejected("an EC key", &e))?;
                            Ok(Self::Ecdsa { key: parsed, rng })
                        }
                        (Algorithm::EdDsa, KeyInput::Private(key)) => {
                            Ed25519KeyPair::from_pkcs8_maybe_unchecked(key.expose_der())
                                .map(Self::Ed25519)
                                .map_err(|e| rejected("an Ed25519 key", &e))
                        }
                        (_, KeyInput::Secret(secret)) => {
                            let hash = match algorithm {
                                Algorithm::Hs256 => hmac::HMAC_SHA256,
                                Algorithm::Hs384 => hmac::HMAC_SHA384,
                                _ => hmac::HMAC_SHA512,
                            };
                            Ok(Self::Hmac(Box::new(hmac::Key::new(
                                hash,
                                secret.expose_secret().as_bytes(),
                            ))))
                        }
                        (_, input) => Err(super::mismatch(algorithm, input)),
                    }
                }

                /// The public key as the crypto library gives it: an RSA key's DER
                /// `RSAPublicKey`, an EC key's uncompressed point, Ed25519's 32 bytes; none for
                /// HMAC.
                pub(crate) fn public_key(&self) -> Option<Vec<u8>> {
                    use signature::KeyPair as _;
                    match self {
                        Self::Rsa { key, .. } => Some(key.public_key().as_ref().to_vec()),
                        Self::Ecdsa { key, .. } => Some(key.public_key().as_ref().to_vec()),
                        Self::Ed25519(key) => Some(key.public_key().as_ref().to_vec()),
                        Self::Hmac(_) => None,
                    }
                }

                /// The raw JWS signature of `input`.
                pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
                    let failed = || {
                        Error::key_material("signing the JWT failed inside the crypto library")
                    };
                    match self {
                        Self::Rsa { key, padding, rng } => {
                            let $key = key;
                            let mut out = vec![0; $rsa_len];
                            key.sign(*padding, rng, input, &mut out).map_err(|_| failed())?;
                            Ok(out)
                        }
                        Self::Ecdsa { key, rng } => Ok(key
                            .sign(rng, input)
                            .map_err(|_| failed())?
                            .as_ref()
                            .to_vec()),
                        Self::Ed25519(key) => Ok(key.sign(input).as_ref().to_vec()),
                        Self::Hmac(key) => Ok(hmac::sign(key, input).as_ref().to_vec()),
                    }
                }
            }
        }
    };
}

signing_backend! {
    mod ring_backend = ring;
    ecdsa_from_pkcs8(alg, der, rng) = EcdsaKeyPair::from_pkcs8(alg, der, rng);
    rsa_signature_len(key) = key.public().modulus_len();
}

signing_backend! {
    #[cfg(feature = "aws-lc-rs")]
    mod aws_lc_backend = aws_lc_rs;
    ecdsa_from_pkcs8(alg, der, rng) = { let _ = rng; EcdsaKeyPair::from_pkcs8(alg, der) };
    rsa_signature_len(key) = key.public_modulus_len();
}

/// A key parsed by one of the backends (boxed: their sizes differ by hundreds of bytes).
pub(crate) enum BackendKey {
    Ring(Box<ring_backend::Key>),
    #[cfg(feature = "aws-lc-rs")]
    AwsLc(Box<aws_lc_backend::Key>),
}

impl BackendKey {
    pub(crate) fn new(
        backend: Backend,
        algorithm: Algorithm,
        input: &KeyInput<'_>,
    ) -> Result<Self> {
        check_fit(algorithm, input)?;
        Ok(match backend {
            Backend::Ring => Self::Ring(Box::new(ring_backend::Key::new(algorithm, input)?)),
            #[cfg(feature = "aws-lc-rs")]
            Backend::AwsLcRs => Self::AwsLc(Box::new(aws_lc_backend::Key::new(algorithm, input)?)),
        })
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::Ring(_) => Backend::Ring,
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc(_) => Backend::AwsLcRs,
        }
    }

    pub(crate) fn public_key(&self) -> Option<Vec<u8>> {
        match self {
            Self::Ring(key) => key.public_key(),
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc(key) => key.public_key(),
        }
    }

    pub(crate) fn sign(&self, input: &[u8]) -> Result<Vec<u8>> {
        match self {
            Self::Ring(key) => key.sign(input),
            #[cfg(feature = "aws-lc-rs")]
            Self::AwsLc(key) => key.sign(input),
        }
    }
}
