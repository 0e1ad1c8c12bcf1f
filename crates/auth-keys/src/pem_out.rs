//! Writing a private key as PEM into one buffer that is sized up front and wiped when dropped
//! (the `pem` crate's encoder builds intermediate strings that are not wiped).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

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
    // 48 bytes make one 64-character line; each line passes through a wiped stack buffer.
    let mut line = Zeroizing::new([0u8; 64]);
    for chunk in der.chunks(48) {
        if let Ok(written) = STANDARD.encode_slice(chunk, &mut line[..]) {
            out.extend(line[..written].iter().map(|&b| char::from(b)));
        }
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
