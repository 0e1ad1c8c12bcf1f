//! The JWS algorithms the issuer can sign with.

use std::fmt;
use std::str::FromStr;

use auth_core::Error;

/// A JWS signing algorithm (RFC 7518 §3, RFC 8037 for EdDSA), or `none`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (the default, as in Ballerina).
    #[default]
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// ECDSA on P-384 with SHA-384.
    Es384,
    /// EdDSA on Ed25519.
    EdDsa,
    /// HMAC with SHA-256 over a shared secret.
    Hs256,
    /// HMAC with SHA-384 over a shared secret.
    Hs384,
    /// HMAC with SHA-512 over a shared secret.
    Hs512,
    /// No signature: an unsecured JWT, `header.payload.` (RFC 7519 §6.1). Only when asked for.
    None,
}

/// What kind of key an algorithm signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyFamily {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
    Secret,
    Nothing,
}

impl KeyFamily {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Rsa => "an RSA key (2048 bits or more)",
            Self::EcP256 => "an EC P-256 key",
            Self::EcP384 => "an EC P-384 key",
            Self::Ed25519 => "an Ed25519 key",
            Self::Secret => "a shared secret",
            Self::Nothing => "no key",
        }
    }
}

/// Every algorithm, in the order error messages list them.
pub(crate) const ALL: [Algorithm; 13] = [
    Algorithm::Rs256,
    Algorithm::Rs384,
    Algorithm::Rs512,
    Algorithm::Ps256,
    Algorithm::Ps384,
    Algorithm::Ps512,
    Algorithm::Es256,
    Algorithm::Es384,
    Algorithm::EdDsa,
    Algorithm::Hs256,
    Algorithm::Hs384,
    Algorithm::Hs512,
    Algorithm::None,
];

impl Algorithm {
    /// The `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::EdDsa => "EdDSA",
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::None => "none",
        }
    }

    pub(crate) fn key_family(self) -> KeyFamily {
        match self {
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512 => {
                KeyFamily::Rsa
            }
            Self::Es256 => KeyFamily::EcP256,
            Self::Es384 => KeyFamily::EcP384,
            Self::EdDsa => KeyFamily::Ed25519,
            Self::Hs256 | Self::Hs384 | Self::Hs512 => KeyFamily::Secret,
            Self::None => KeyFamily::Nothing,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Parses an algorithm name, ignoring case (`rs256`, `RS256`, Ballerina's `NONE`).
    fn from_str(name: &str) -> Result<Self, Error> {
        ALL.into_iter()
            .find(|alg| alg.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<_> = ALL.iter().map(|alg| alg.as_str()).collect();
                Error::invalid_config(format!(
                    "unknown signing algorithm `{name}`; use one of {}",
                    known.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_case_insensitively() {
        for alg in ALL {
            assert_eq!(alg.as_str().parse::<Algorithm>().unwrap(), alg);
            assert_eq!(
                alg.as_str().to_lowercase().parse::<Algorithm>().unwrap(),
                alg
            );
        }
        assert_eq!("NONE".parse::<Algorithm>().unwrap(), Algorithm::None);
        let err = "RS257".parse::<Algorithm>().unwrap_err();
        assert!(
            err.message().contains("unknown signing algorithm `RS257`"),
            "{err}"
        );
        assert!(err.message().contains("EdDSA"), "{err}");
    }
}
