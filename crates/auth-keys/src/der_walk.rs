//! Just enough DER reading to tell key structures apart and to re-wrap an EC key.

/// One DER element: its tag and its contents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    pub(crate) value: &'a [u8],
}

pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const OBJECT_IDENTIFIER: u8 = 0x06;
/// PBES2 (PKCS#5), the scheme of OpenSSL's and Java's encrypted keys.
#[cfg(feature = "encrypted-pkcs8")]
pub(crate) const OID_PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];

/// Reads one element from the front of `input`, returning it and what follows.
pub(crate) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((
        Tlv {
            tag,
            value: &rest[..len],
        },
        &rest[len..],
    ))
}

/// The elements directly inside a SEQUENCE, or `None` when `der` is not exactly one SEQUENCE.
pub(crate) fn sequence_items(der: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let (outer, rest) = read(der)?;
    if outer.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    let mut items = Vec::new();
    let mut input = outer.value;
    while !input.is_empty() {
        let (item, rest) = read(input)?;
        items.push(item);
        input = rest;
    }
    Some(items)
}

/// Encodes one element.
pub(crate) fn write(tag: u8, value: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
}

/// The bit length of a DER INTEGER holding a positive number (an RSA modulus).
pub(crate) fn integer_bits(value: &[u8]) -> usize {
    let significant: &[u8] = {
        let skip = value.iter().take_while(|b| **b == 0).count();
        &value[skip..]
    };
    match significant.first() {
        None => 0,
        Some(first) => significant.len() * 8 - first.leading_zeros() as usize,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_short_and_long_lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 70_000] {
            let value = vec![7u8; len];
            let mut out = Vec::new();
            write(OCTET_STRING, &value, &mut out);
            let (tlv, rest) = read(&out).unwrap();
            assert_eq!(tlv.tag, OCTET_STRING);
            assert_eq!(tlv.value.len(), len);
            assert!(rest.is_empty());
        }
    }

    #[test]
    fn truncated_input_is_none_not_a_panic() {
        assert!(read(&[]).is_none());
        assert!(read(&[0x30]).is_none());
        assert!(read(&[0x30, 0x05, 1]).is_none());
        assert!(read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(read(&[0x30, 0x80]).is_none());
        assert!(sequence_items(&[0x30, 0x02, 0x02, 0x05]).is_none());
    }

    #[test]
    fn integer_bits_ignores_the_sign_byte() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01]), 1);
        assert_eq!(integer_bits(&[0x00]), 0);
    }
}
