//! Public keys as JSON Web Keys (RFC 7517), with their RFC 7638 thumbprints: what a DPoP proof
//! puts in its header and what a server binds a token to (`jkt`).

use std::fmt;

use auth_core::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::algorithm::{Algorithm, KeyFamily};

/// A public key as a JWK: only the members RFC 7638 hashes, in its order, so the same text is
/// both the `jwk` a DPoP proof carries and the input of the key's thumbprint.
///
/// ```
/// use auth_jwt_issuer::PublicJwk;
///
/// // RFC 7638 §3.1's example key.
/// # use base64::Engine as _;
/// # let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
/// let n = b64.decode("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw")?;
/// let jwk = PublicJwk::rsa(&n, &[1, 0, 1])?;
/// assert_eq!(jwk.thumbprint(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
/// assert!(jwk.json().starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7"#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PublicJwk {
    json: String,
    thumbprint: String,
}

impl PublicJwk {
    /// An RSA public key from its big-endian modulus `n` and exponent `e`.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when either is empty (all zeros).
    pub fn rsa(n: &[u8], e: &[u8]) -> Result<Self> {
        let (n, e) = (unsigned(n), unsigned(e));
        if n.is_empty() || e.is_empty() {
            return Err(Error::key_material(
                "an RSA public key needs a modulus and an exponent; one of them is empty",
            ));
        }
        Ok(Self::from_json(format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(e),
            URL_SAFE_NO_PAD.encode(n)
        )))
    }

    /// An EC public key on P-256 from its coordinates (32 bytes each).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when a coordinate has another length.
    pub fn p256(x: &[u8], y: &[u8]) -> Result<Self> {
        Self::ec("P-256", 32, x, y)
    }

    /// An EC public key on P-384 from its coordinates (48 bytes each).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when a coordinate has another length.
    pub fn p384(x: &[u8], y: &[u8]) -> Result<Self> {
        Self::ec("P-384", 48, x, y)
    }

    /// An Ed25519 public key (32 bytes).
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::KeyMaterial`] when `x` is not 32 bytes long.
    pub fn ed25519(x: &[u8]) -> Result<Self> {
        if x.len() != 32 {
            return Err(Error::key_material(format!(
                "an Ed25519 public key is 32 bytes, not {}",
                x.len()
            )));
        }
        Ok(Self::from_json(format!(
            r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(x)
        )))
    }

    /// The public key of `algorithm`'s family as the crypto library encodes it (an RSA key's DER
    /// `RSAPublicKey`, an EC key's uncompressed point, Ed25519's raw bytes).
    pub(crate) fn from_public_key(algorithm: Algorithm, public: &[u8]) -> Result<Self> {
        let point = |size: usize| match public {
            [0x04, rest @ ..] if rest.len() == 2 * size => Ok(rest.split_at(size)),
            _ => Err(Error::key_material(format!(
                "{algorithm}'s public key is not an uncompressed curve point"
            ))),
        };
        match algorithm.key_family() {
            KeyFamily::Rsa => {
                let (n, e) = rsa_public_key(public).ok_or_else(|| {
                    Error::key_material("the RSA public key is not a DER RSAPublicKey")
                })?;
                Self::rsa(n, e)
            }
            KeyFamily::EcP256 => point(32).and_then(|(x, y)| Self::p256(x, y)),
            KeyFamily::EcP384 => point(48).and_then(|(x, y)| Self::p384(x, y)),
            KeyFamily::Ed25519 => Self::ed25519(public),
            KeyFamily::Secret | KeyFamily::Nothing => Err(Error::invalid_config(format!(
                "{algorithm} has no public key to publish"
            ))),
        }
    }

    fn ec(curve: &str, size: usize, x: &[u8], y: &[u8]) -> Result<Self> {
        if x.len() != size || y.len() != size {
            return Err(Error::key_material(format!(
                "a {curve} public key has coordinates of {size} bytes, not {} and {}",
                x.len(),
                y.len()
            )));
        }
        Ok(Self::from_json(format!(
            r#"{{"crv":"{curve}","kty":"EC","x":"{}","y":"{}"}}"#,
            URL_SAFE_NO_PAD.encode(x),
            URL_SAFE_NO_PAD.encode(y)
        )))
    }

    fn from_json(json: String) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, json.as_bytes());
        Self {
            thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            json,
        }
    }

    /// The JWK as JSON, with the required members only (no private parts, no `kid`).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url: a DPoP-bound token's `cnf.jkt`.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}

impl fmt::Debug for PublicJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicJwk")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

/// Drops the leading zero bytes of a big-endian unsigned integer (JWA §6.3.1: no padding).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// `SEQUENCE { n INTEGER, e INTEGER }` (RFC 8017 A.1.1), the form both crypto libraries give.
fn rsa_public_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (body, rest) = element(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (n, body) = element(body, 0x02)?;
    let (e, body) = element(body, 0x02)?;
    body.is_empty().then_some((n, e))
}

/// One DER element of `tag`: its contents and what follows it.
fn element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, rest) = der.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => (usize::from(*rest.first()?), &rest[1..]),
        0x82 => (
            usize::from(*rest.first()?) << 8 | usize::from(*rest.get(1)?),
            rest.get(2..)?,
        ),
        _ => return None,
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 A.3: the Ed25519 key's thumbprint.
    #[test]
    fn rfc8037_ed25519_thumbprint() {
        let x = URL_SAFE_NO_PAD
            .decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")
            .unwrap();
        let jwk = PublicJwk::ed25519(&x).unwrap();
        assert_eq!(
            jwk.thumbprint(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    #[test]
    fn rsa_der_is_read_and_bad_input_refused() {
        // SEQUENCE { INTEGER 0x00c5, INTEGER 0x010001 }
        let der = [
            0x30, 0x09, 0x02, 0x02, 0x00, 0xc5, 0x02, 0x03, 0x01, 0x00, 0x01,
        ];
        let jwk = PublicJwk::from_public_key(Algorithm::Rs256, &der).unwrap();
        assert_eq!(jwk.json(), r#"{"e":"AQAB","kty":"RSA","n":"xQ"}"#);
        for bad in [&der[..10], &[0x30, 0x00][..], &[0x31, 0x00][..], &[][..]] {
            assert!(PublicJwk::from_public_key(Algorithm::Rs256, bad).is_err());
        }
        assert!(PublicJwk::from_public_key(Algorithm::Es256, &[0x04, 1, 2]).is_err());
        assert!(PublicJwk::from_public_key(Algorithm::Hs256, &[]).is_err());
        assert!(PublicJwk::p256(&[0; 31], &[0; 32]).is_err());
        assert!(PublicJwk::rsa(&[0, 0], &[1]).is_err());
    }
}
