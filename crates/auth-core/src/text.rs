//! The one check for text that goes into a header or a form field, with error messages that
//! name the offending character and its position but never quote the text around it.

use std::fmt;

use crate::error::{Error, Result};

/// Which characters a value may hold.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextRule {
    /// No control characters (CR, LF, NUL, TAB, DEL, ...): what may stand in an HTTP header
    /// value, a form field or a JWT claim without changing the message around it.
    NoControl,
    /// Visible ASCII only: no spaces, no control characters, no non-ASCII text. RFC 6750
    /// §2.1's `b64token` is narrower still; this refuses only what no bearer token can hold
    /// (a space would end the credential, non-ASCII is not a token character at all).
    VisibleAscii,
}

impl TextRule {
    fn allows(self, c: char) -> bool {
        match self {
            Self::NoControl => !c.is_control(),
            Self::VisibleAscii => c.is_ascii_graphic(),
        }
    }

    fn advice(self) -> &'static str {
        match self {
            Self::NoControl => {
                "CR, LF, NUL and other control characters are not allowed; remove it (a trailing \
                 newline from a file or a paste is common)"
            }
            Self::VisibleAscii => {
                "a bearer token holds visible ASCII only (RFC 6750 allows no spaces or \
                 non-ASCII text in it); check how it was copied"
            }
        }
    }
}

/// Checks that `text` is not empty and follows `rule`.
///
/// `what` names the value in the message (`"the Basic auth password"`,
/// `` "`client_id`" ``); the message says which character is wrong and at which byte, and never
/// contains the text itself, so the value may be a secret.
///
/// ```
/// use auth_core::text::{check_text, TextRule};
///
/// assert!(check_text("`scope`", "read write", TextRule::NoControl).is_ok());
/// let err = check_text("the password", "hunter2\n", TextRule::NoControl).unwrap_err();
/// assert!(err.message().starts_with("the password contains a line feed (LF) at byte 7;"));
/// assert!(!err.to_string().contains("hunter2"));
/// ```
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when `text` is empty or holds
/// a character `rule` does not allow.
pub fn check_text(what: impl fmt::Display, text: &str, rule: TextRule) -> Result<()> {
    if text.is_empty() {
        return Err(Error::invalid_config(format!(
            "{what} is empty; give a non-empty value"
        )));
    }
    check_chars(what, text, rule)
}

/// As [`check_text`], but an empty `text` passes.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`](crate::ErrorKind::InvalidConfig) when `text` holds a character
/// `rule` does not allow.
pub fn check_chars(what: impl fmt::Display, text: &str, rule: TextRule) -> Result<()> {
    match text.char_indices().find(|(_, c)| !rule.allows(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(Error::invalid_config(format!(
            "{what} contains {} at byte {at}; {}",
            describe_char(c),
            rule.advice()
        ))),
    }
}

/// Names a character for an error message without quoting the text around it.
pub(crate) fn describe_char(c: char) -> String {
    match c {
        '\r' => "a carriage return (CR)".to_owned(),
        '\n' => "a line feed (LF)".to_owned(),
        '\0' => "a NUL character".to_owned(),
        '\t' => "a tab (U+0009)".to_owned(),
        ' ' => "a space".to_owned(),
        c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
        c if c.is_whitespace() => format!("a whitespace character (U+{:04X})", u32::from(c)),
        c if !c.is_ascii() => format!("a non-ASCII character (U+{:04X})", u32::from(c)),
        c => format!("the character U+{:04X}", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn rules_name_the_character_and_the_byte_but_not_the_text() {
        for (text, rule, expected) in [
            (
                "sec\r\nret",
                TextRule::NoControl,
                "a carriage return (CR) at byte 3",
            ),
            (
                "secret\n",
                TextRule::NoControl,
                "a line feed (LF) at byte 6",
            ),
            ("sec\0ret", TextRule::NoControl, "a NUL character at byte 3"),
            (
                "sec\u{7f}ret",
                TextRule::NoControl,
                "a control character (U+007F) at byte 3",
            ),
            ("sec ret", TextRule::VisibleAscii, "a space at byte 3"),
            (
                "sec\tret",
                TextRule::VisibleAscii,
                "a tab (U+0009) at byte 3",
            ),
            (
                "secr\u{e9}t",
                TextRule::VisibleAscii,
                "a non-ASCII character (U+00E9) at byte 4",
            ),
            (
                "sec\u{a0}ret",
                TextRule::VisibleAscii,
                "a whitespace character (U+00A0)",
            ),
        ] {
            let err = check_text("the value", text, rule).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(
                err.message().contains(expected),
                "{err} should say {expected}"
            );
            assert!(!err.to_string().contains("sec"), "{err}");
        }
        assert!(check_text("x", "pä ss", TextRule::NoControl).is_ok());
        assert!(check_text("x", "aZ09-._~+/==", TextRule::VisibleAscii).is_ok());
        assert!(
            check_text("x", "", TextRule::NoControl)
                .unwrap_err()
                .message()
                .contains("empty")
        );
        assert!(check_chars("x", "", TextRule::NoControl).is_ok());
    }
}
