//! Writing a private key as PEM into one buffer that is sized up front and wiped when dropped
//! (the `pem` crate's encoder builds intermediate strings that are not wiped).

use zeroize::Zeroizing;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The exact length of [`encode`]'s output: the two armour lines (`-----BEGIN ` and `-----\n`
/// are 17 bytes around the label, `-----END ` and `-----\n` 15), the base64 text, and one
/// newline per line of it.
fn encoded_len(label: &str, der_len: usize) -> usize {
    let base64_len = der_len.div_ceil(3) * 4;
    let lines = base64_len.div_ceil(64);
    2 * label.len() + 17 + 15 + base64_len + lines
}

/// `-----BEGIN {label}-----`, base64 of `der` in 64-character lines, `-----END {label}-----`.
pub(crate) fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let capacity = encoded_len(label, der.len());
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    let mut column = 0;
    for chunk in der.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let symbols = [
            ALPHABET[usize::from(b[0] >> 2)],
            ALPHABET[usize::from(((b[0] & 0x03) << 4) | (b[1] >> 4))],
            ALPHABET[usize::from(((b[1] & 0x0f) << 2) | (b[2] >> 6))],
            ALPHABET[usize::from(b[2] & 0x3f)],
        ];
        for (i, symbol) in symbols.into_iter().enumerate() {
            out.push(if i > chunk.len() {
                '='
            } else {
                char::from(symbol)
            });
        }
        column += 4;
        if column == 64 {
            out.push('\n');
            column = 0;
        }
    }
    if column != 0 {
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    debug_assert!(out.len() <= capacity, "the buffer was sized up front");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_pem_crate_and_never_grows() {
        for len in [0usize, 1, 2, 3, 47, 48, 49, 1190, 1191, 1192] {
            let der: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let ours = encode("PRIVATE KEY", &der);
            let theirs = pem::encode_config(
                &pem::Pem::new("PRIVATE KEY", der.clone()),
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            );
            assert_eq!(ours.as_str(), theirs, "{len} bytes");
            // Sized exactly, so the buffer never reallocated (which would leave an unwiped
            // copy of the key behind).
            assert_eq!(ours.len(), encoded_len("PRIVATE KEY", len), "{len} bytes");
        }
    }
}
