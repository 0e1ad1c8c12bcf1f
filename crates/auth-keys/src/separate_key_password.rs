//! A PKCS#12 keystore whose private key is encrypted with a password other than the store
//! password (the Java KeyStore API can write these; keytool and OpenSSL cannot). The store
//! password has already passed the integrity check; here the shrouded key bags are found and
//! decrypted with the key password.

use auth_core::{Error, Result, SecretString};

use crate::classify::classify;
use crate::der_walk::{self, OBJECT_IDENTIFIER, OCTET_STRING, SEQUENCE};
use crate::{PrivateKey, encrypted_pkcs8};

const OID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
const OID_SHROUDED_KEY_BAG: &[u8] = &[
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x0c, 0x0a, 0x01, 0x02,
];
const OID_FRIENDLY_NAME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x14];
const BMP_STRING: u8 = 0x1e;
const CONTEXT_0: u8 = 0xa0;

struct ShroudedKey<'a> {
    name: Option<String>,
    encrypted: &'a [u8],
}

pub(crate) fn load(
    data: &[u8],
    origin: &str,
    alias: &str,
    key_password: &SecretString,
) -> Result<PrivateKey> {
    let keys = shrouded_keys(data).ok_or_else(|| {
        Error::key_material(format!("{origin} has a structure that cannot be read"))
    })?;
    let chosen = keys
        .iter()
        .find(|key| {
            key.name
                .as_deref()
                .is_some_and(|name| name.eq_ignore_ascii_case(alias))
        })
        .ok_or_else(|| {
            let mut names: Vec<_> = keys
                .iter()
                .filter_map(|key| key.name.as_ref().map(|name| format!("`{name}`")))
                .collect();
            names.sort();
            Error::key_material(format!(
                "alias `{alias}` not found in {origin}; private-key aliases present: {}",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            ))
        })?;
    let origin = format!("alias `{alias}` in {origin}");
    let der = encrypted_pkcs8::decrypt(chosen.encrypted, key_password.expose_secret(), &origin)
        .map_err(|_| {
            Error::key_material(format!(
                "{origin} could not be decrypted with either the keystore password or the key \
                 password; check `key_password`"
            ))
        })?;
    classify(&der, &origin)
}

/// Every pkcs8ShroudedKeyBag in the unencrypted `data` parts of the keystore.
fn shrouded_keys(pfx: &[u8]) -> Option<Vec<ShroudedKey<'_>>> {
    let items = der_walk::sequence_items(pfx)?;
    let auth_safe = data_content(items.get(1)?)?;
    let mut keys = Vec::new();
    for content_info in der_walk::sequence_items(auth_safe)? {
        let Some(safe_contents) = data_content(&content_info) else {
            continue; // encryptedData: certificates, encrypted with the store password
        };
        for bag in der_walk::sequence_items(safe_contents)? {
            let mut input = bag.value;
            let (bag_id, rest) = der_walk::read(input)?;
            if bag_id.value != OID_SHROUDED_KEY_BAG {
                continue;
            }
            let (value, rest) = der_walk::read(rest)?;
            input = rest;
            let name =
                der_walk::read(input).and_then(|(attributes, _)| friendly_name(attributes.value));
            keys.push(ShroudedKey {
                name,
                encrypted: value.value,
            });
        }
    }
    Some(keys)
}

/// The inner bytes of a ContentInfo of type `data`: `SEQUENCE { OID data, [0] { OCTET STRING } }`.
fn data_content<'a>(content_info: &der_walk::Tlv<'a>) -> Option<&'a [u8]> {
    if content_info.tag != SEQUENCE {
        return None;
    }
    let (oid, rest) = der_walk::read(content_info.value)?;
    if oid.tag != OBJECT_IDENTIFIER || oid.value != OID_DATA {
        return None;
    }
    let (explicit, _) = der_walk::read(rest)?;
    if explicit.tag != CONTEXT_0 {
        return None;
    }
    let (octets, _) = der_walk::read(explicit.value)?;
    (octets.tag == OCTET_STRING).then_some(octets.value)
}

/// The friendlyName attribute (a BMPString) in a SET OF Attribute.
fn friendly_name(mut attributes: &[u8]) -> Option<String> {
    while let Some((attribute, rest)) = der_walk::read(attributes) {
        attributes = rest;
        let (oid, values) = der_walk::read(attribute.value)?;
        if oid.value != OID_FRIENDLY_NAME {
            continue;
        }
        let (set, _) = der_walk::read(values)?;
        let (name, _) = der_walk::read(set.value)?;
        if name.tag != BMP_STRING || name.value.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = name
            .value
            .chunks_exact(2)
            .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    None
}
