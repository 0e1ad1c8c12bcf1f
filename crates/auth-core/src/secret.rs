//! The one secret type of the workspace.

use std::fmt;
use std::sync::Arc;

use zeroize::Zeroizing;

/// A secret string: a password, a client secret, a token, a key password.
///
/// - `Debug` prints `SecretString([redacted])`; there is no `Display`, so a secret cannot reach
///   a log line or an error message by accident.
/// - The text is wiped from memory when the last handle to it is dropped.
/// - Cloning bumps a reference count and never copies the text.
/// - The only way to read it is the explicit [`expose_secret`](Self::expose_secret).
///
/// ```
/// use auth_core::SecretString;
///
/// let secret = SecretString::from("hunter2");
/// assert_eq!(format!("{secret:?}"), "SecretString([redacted])");
/// assert_eq!(secret.expose_secret(), "hunter2");
/// ```
#[derive(Clone)]
pub struct SecretString(Arc<Zeroizing<String>>);

impl SecretString {
    /// Wraps `secret`, taking ownership so that no unwiped copy is left behind.
    pub fn new(secret: String) -> Self {
        Self(Arc::new(Zeroizing::new(secret)))
    }

    /// Returns the secret text.
    ///
    /// # Security
    ///
    /// Whatever you do with the returned `&str` is outside this type's protection: do not log
    /// it, format it into an error, or copy it into a long-lived `String`.
    pub fn expose_secret(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Compares two secrets in time that depends only on their lengths, not their contents.
    pub fn ct_eq(&self, other: &Self) -> bool {
        constant_time_eq(
            self.expose_secret().as_bytes(),
            other.expose_secret().as_bytes(),
        )
    }
}

/// Compares two byte strings without an early exit on the first difference.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self::new(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> Self {
        Self::new(secret.to_owned())
    }
}

/// Reads a secret from a string. Any other type is an error that names the type expected and
/// never the value found (serde's own message would quote a number or a boolean).
#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for SecretString {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecretVisitor;

        impl serde::de::Visitor<'_> for SecretVisitor {
            type Value = SecretString;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<SecretString, E> {
                Ok(SecretString::from(value))
            }

            fn visit_string<E: serde::de::Error>(self, value: String) -> Result<SecretString, E> {
                Ok(SecretString::from(value))
            }

            fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<SecretString, E> {
                Err(E::custom(
                    "a secret must be a string, not a number; quote it",
                ))
            }

            fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<SecretString, E> {
                Err(E::custom(
                    "a secret must be a string, not a number; quote it",
                ))
            }

            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<SecretString, E> {
                Err(E::custom(
                    "a secret must be a string, not a number; quote it",
                ))
            }

            fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<SecretString, E> {
                Err(E::custom(
                    "a secret must be a string, not a boolean; quote it",
                ))
            }
        }

        // `any`: formats that know the type (JSON values, TOML) hand a number to `visit_i64`
        // rather than building their own message around it.
        deserializer.deserialize_any(SecretVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_part_of_the_secret() {
        let secret = SecretString::from("s3cr3t-marker");
        let debug = format!("{secret:?} {secret:#?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn clone_shares_the_text_instead_of_copying_it() {
        let secret = SecretString::from(String::from("shared"));
        let copy = secret.clone();
        assert!(std::ptr::eq(secret.expose_secret(), copy.expose_secret()));
    }

    #[test]
    fn ct_eq_compares_contents() {
        let a = SecretString::from("abc");
        assert!(a.ct_eq(&SecretString::from("abc")));
        assert!(!a.ct_eq(&SecretString::from("abd")));
        assert!(!a.ct_eq(&SecretString::from("abcd")));
        assert!(SecretString::from("").is_empty());
    }
}
