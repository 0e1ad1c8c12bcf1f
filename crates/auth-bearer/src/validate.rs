//! What may stand in a bearer token.

use auth_core::{Error, Result, SecretString, Token};

/// Builds a `Bearer` token from `credential`, whose origin (`"the bearer token"`,
/// `"environment variable `X`"`, ...) the error messages name.
pub(crate) fn bearer_token(credential: SecretString, origin: &str) -> Result<Token> {
    let text = credential.expose_secret();
    if text.is_empty() {
        return Err(Error::invalid_config(format!(
            "{origin} is empty; a bearer token must not be empty"
        )));
    }
    if let Some((at, c)) = text
        .char_indices()
        .find(|(_, c)| c.is_control() || c.is_whitespace() || !c.is_ascii())
    {
        let what = match c {
            '\r' => "a carriage return (CR)".to_owned(),
            '\n' => "a line feed (LF)".to_owned(),
            '\0' => "a NUL character".to_owned(),
            ' ' => "a space".to_owned(),
            c if c.is_control() => format!("a control character (U+{:04X})", u32::from(c)),
            c if c.is_whitespace() => format!("a whitespace character (U+{:04X})", u32::from(c)),
            c => format!("a non-ASCII character (U+{:04X})", u32::from(c)),
        };
        return Err(Error::invalid_config(format!(
            "{origin} contains {what} at byte {at}, which cannot stand in a bearer token \
             (RFC 6750 allows visible ASCII only); check how the token was copied"
        )));
    }
    Token::bearer(credential)
}

#[cfg(test)]
mod tests {
    use auth_core::ErrorKind;

    use super::*;

    #[test]
    fn rejections_name_character_and_origin_but_not_the_token() {
        for (token, expected) in [
            ("", "is empty"),
            ("secret\r\n", "carriage return (CR) at byte 6"),
            ("secret\n", "line feed (LF) at byte 6"),
            ("sec ret", "a space at byte 3"),
            ("sec\0ret", "NUL character at byte 3"),
            ("sec\tret", "control character (U+0009) at byte 3"),
            ("secr\u{e9}t", "non-ASCII character (U+00E9) at byte 4"),
            ("sec\u{a0}ret", "U+00A0"),
        ] {
            let err = bearer_token(SecretString::from(token), "the bearer token").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(err.message().starts_with("the bearer token"), "{err}");
            assert!(
                err.message().contains(expected),
                "{err} should say {expected}"
            );
            // Neither the token nor any run of it around the bad character is echoed.
            assert!(
                token.is_empty() || !err.to_string().contains(token),
                "{err}"
            );
            assert!(!err.to_string().contains("sec"), "{err}");
        }
    }

    #[test]
    fn accepts_rfc6750_token_characters() {
        let token = bearer_token(SecretString::from("aZ09-._~+/=="), "t").unwrap();
        assert_eq!(token.header_value(), "Bearer aZ09-._~+/==");
    }
}
