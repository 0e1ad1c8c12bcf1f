//! Turns unencrypted private-key DER (PKCS#8, PKCS#1 or SEC1) into a [`PrivateKey`].

use auth_core::{Error, Result};
use zeroize::Zeroizing;

use crate::der_walk::{self, INTEGER, OBJECT_IDENTIFIER, OCTET_STRING, SEQUENCE};
use crate::{KeyKind, PrivateKey};

/// An EC curve a key can be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Curve {
    P256,
    P384,
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_RSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_SECP256K1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x0a];
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
const OID_ED448: &[u8] = &[0x2b, 0x65, 0x71];
const OID_X25519: &[u8] = &[0x2b, 0x65, 0x6e];
const OID_DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];

/// Which structure `der` is, judged by its first elements.
pub(crate) fn classify(der: &[u8], origin: &str) -> Result<PrivateKey> {
    let not_a_key = || {
        Error::key_material(format!(
            "{origin} is not a private key (expected PKCS#8, PKCS#1 RSA or SEC1 EC DER/PEM)"
        ))
    };
    let items = der_walk::sequence_items(der).ok_or_else(not_a_key)?;
    match items.as_slice() {
        // PKCS#8: version, AlgorithmIdentifier, privateKey OCTET STRING, ...
        [version, algorithm, private_key, ..]
            if version.tag == INTEGER
                && algorithm.tag == SEQUENCE
                && private_key.tag == OCTET_STRING =>
        {
            from_pkcs8(der, algorithm.value, private_key.value, origin)
        }
        // SEC1 ECPrivateKey: version 1, privateKey OCTET STRING, [0] parameters, [1] publicKey
        [version, private_key, ..]
            if version.tag == INTEGER
                && version.value == [1]
                && private_key.tag == OCTET_STRING =>
        {
            from_sec1(der, None, origin)
        }
        // PKCS#1 RSAPrivateKey: version, modulus, publicExponent, ... (nine INTEGERs)
        [version, modulus, rest @ ..]
            if version.tag == INTEGER
                && modulus.tag == INTEGER
                && rest.len() >= 7
                && rest.iter().all(|item| item.tag == INTEGER) =>
        {
            Ok(PrivateKey::new(
                KeyKind::Rsa {
                    bits: der_walk::integer_bits(modulus.value),
                },
                Zeroizing::new(der.to_vec()),
                origin,
            ))
        }
        _ => Err(not_a_key()),
    }
}

fn from_pkcs8(
    der: &[u8],
    algorithm: &[u8],
    private_key: &[u8],
    origin: &str,
) -> Result<PrivateKey> {
    let mut oids = Vec::new();
    let mut input = algorithm;
    while let Some((item, rest)) = der_walk::read(input) {
        if item.tag == OBJECT_IDENTIFIER {
            oids.push(item.value);
        }
        input = rest;
    }
    match oids.as_slice() {
        [OID_RSA, ..] => {
            let bits = der_walk::sequence_items(private_key)
                .and_then(|items| {
                    items
                        .get(1)
                        .map(|modulus| der_walk::integer_bits(modulus.value))
                })
                .ok_or_else(|| {
                    Error::key_material(format!("{origin} holds a malformed RSA private key"))
                })?;
            Ok(PrivateKey::new(
                KeyKind::Rsa { bits },
                Zeroizing::new(private_key.to_vec()),
                origin,
            ))
        }
        [OID_EC_PUBLIC_KEY, curve] => from_sec1(private_key, Some(curve), origin),
        [OID_EC_PUBLIC_KEY] => from_sec1(private_key, None, origin),
        [OID_ED25519, ..] => Ok(PrivateKey::new(
            KeyKind::Ed25519,
            Zeroizing::new(der.to_vec()),
            origin,
        )),
        [oid, ..] => Err(Error::key_material(format!(
            "{origin} holds {} key, which cannot sign JWTs here; use an RSA, EC P-256/P-384 or \
             Ed25519 key",
            describe_key_oid(oid)
        ))),
        [] => Err(Error::key_material(format!(
            "{origin} is a PKCS#8 key without an algorithm identifier"
        ))),
    }
}

fn describe_key_oid(oid: &[u8]) -> String {
    match oid {
        OID_RSA_PSS => "an RSASSA-PSS-only (id-RSASSA-PSS)".to_owned(),
        OID_ED448 => "an Ed448".to_owned(),
        OID_X25519 => "an X25519 (key agreement only)".to_owned(),
        OID_DSA => "a DSA".to_owned(),
        other => format!("an unsupported (OID {})", dotted(other)),
    }
}

/// An OID's dotted form, for error messages.
pub(crate) fn dotted(oid: &[u8]) -> String {
    let mut arcs = Vec::new();
    let mut value: u64 = 0;
    for byte in oid {
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// The uncompressed public point for `private` on `curve`.
#[cfg(feature = "ec-public-key")]
fn public_point(curve: Curve, private: &[u8], origin: &str) -> Result<Box<[u8]>> {
    let point = match curve {
        Curve::P256 => p256::SecretKey::from_slice(private)
            .ok()
            .map(|key| key.public_key().to_sec1_bytes()),
        Curve::P384 => p384::SecretKey::from_slice(private)
            .ok()
            .map(|key| key.public_key().to_sec1_bytes()),
    };
    point.ok_or_else(|| Error::key_material(format!("{origin} holds a malformed EC private key")))
}

#[cfg(not(feature = "ec-public-key"))]
fn public_point(_: Curve, _: &[u8], origin: &str) -> Result<Box<[u8]>> {
    Err(Error::key_material(format!(
        "{origin} holds an EC key stored without its public key (as Java keytool writes them); \
         recomputing it needs the `ec-public-key` feature of auth-keys (on by default), or \
         re-export the key with `openssl ec`"
    )))
}

/// Re-encodes an EC key as ring wants it: PKCS#8 v1 whose inner ECPrivateKey has the public key
/// and no curve parameters (the curve goes in the AlgorithmIdentifier).
fn from_sec1(sec1: &[u8], pkcs8_curve: Option<&[u8]>, origin: &str) -> Result<PrivateKey> {
    let malformed = || Error::key_material(format!("{origin} holds a malformed EC private key"));
    let items = der_walk::sequence_items(sec1).ok_or_else(malformed)?;
    let mut private = None;
    let mut curve = pkcs8_curve;
    let mut public = None;
    for item in &items {
        match item.tag {
            OCTET_STRING => private = Some(item.value),
            // [0] parameters: a named curve
            0xa0 => {
                if let Some((oid, _)) = der_walk::read(item.value)
                    && oid.tag == OBJECT_IDENTIFIER
                {
                    curve = curve.or(Some(oid.value));
                }
            }
            // [1] publicKey BIT STRING
            0xa1 => public = Some(item.value),
            _ => {}
        }
    }
    let private = private.ok_or_else(malformed)?;
    let curve = match curve {
        Some(OID_P256) => Curve::P256,
        Some(OID_P384) => Curve::P384,
        Some(OID_P521) => {
            return Err(Error::key_material(format!(
                "{origin} holds an EC P-521 key; ES512 is not supported, use a P-256 (ES256) or \
                 P-384 (ES384) key"
            )));
        }
        Some(OID_SECP256K1) => {
            return Err(Error::key_material(format!(
                "{origin} holds a secp256k1 key (ES256K), which is not supported; use P-256 or P-384"
            )));
        }
        Some(other) => {
            return Err(Error::key_material(format!(
                "{origin} holds an EC key on an unsupported curve (OID {})",
                dotted(other)
            )));
        }
        None => {
            return Err(Error::key_material(format!(
                "{origin} holds an EC key that does not name its curve"
            )));
        }
    };
    // The [1] publicKey holds a BIT STRING; Java keytool and some encoders leave it out, and
    // ring needs it, so recompute it from the private scalar then.
    let computed;
    let public = match public {
        Some(public) => public,
        None => {
            let point = public_point(curve, private, origin)?;
            let mut bit_string = Vec::with_capacity(point.len() + 3);
            der_walk::write(0x03, &[&[0u8][..], &point].concat(), &mut bit_string);
            computed = bit_string;
            &computed
        }
    };

    let mut inner = Zeroizing::new(Vec::new());
    der_walk::write(INTEGER, &[1], &mut inner);
    der_walk::write(OCTET_STRING, private, &mut inner);
    der_walk::write(0xa1, public, &mut inner);
    let mut ec_private_key = Zeroizing::new(Vec::new());
    der_walk::write(SEQUENCE, &inner, &mut ec_private_key);

    let mut algorithm = Vec::new();
    der_walk::write(OBJECT_IDENTIFIER, OID_EC_PUBLIC_KEY, &mut algorithm);
    der_walk::write(
        OBJECT_IDENTIFIER,
        match curve {
            Curve::P256 => OID_P256,
            Curve::P384 => OID_P384,
        },
        &mut algorithm,
    );
    let mut body = Zeroizing::new(Vec::new());
    der_walk::write(INTEGER, &[0], &mut body);
    der_walk::write(SEQUENCE, &algorithm, &mut body);
    der_walk::write(OCTET_STRING, &ec_private_key, &mut body);
    let mut pkcs8 = Zeroizing::new(Vec::new());
    der_walk::write(SEQUENCE, &body, &mut pkcs8);
    let kind = match curve {
        Curve::P256 => KeyKind::EcP256,
        Curve::P384 => KeyKind::EcP384,
    };
    Ok(PrivateKey::new(kind, pkcs8, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_oids() {
        assert_eq!(dotted(OID_RSA), "1.2.840.113549.1.1.1");
        assert_eq!(dotted(OID_P384), "1.3.132.0.34");
        assert_eq!(dotted(OID_ED448), "1.3.101.113");
    }

    #[test]
    fn garbage_is_not_a_key() {
        for input in [&b""[..], b"hello", &[0x30, 0x03, 0x02, 0x01, 0x00]] {
            let err = classify(input, "test input").unwrap_err();
            assert!(
                err.message().contains("test input is not a private key"),
                "{err}"
            );
        }
    }
}

#[cfg(all(test, not(feature = "ec-public-key")))]
mod without_ec_public_key {
    #[test]
    fn a_keytool_ec_key_names_the_feature_in_one_clean_sentence() {
        let err =
            super::public_point(super::Curve::P256, &[1; 32], "key file `k.p12`").unwrap_err();
        assert!(
            err.message()
                .contains("needs the `ec-public-key` feature of auth-keys"),
            "{err}"
        );
        assert!(!err.message().contains("  "), "stray spaces: {err}");
    }
}
