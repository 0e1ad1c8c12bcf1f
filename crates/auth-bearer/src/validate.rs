//! What may stand in a bearer token.

use auth_core::text::{TextRule, check_text};
use auth_core::{Result, SecretString, Token};

/// Builds a `Bearer` token from `credential`, whose origin (`"the bearer token"`,
/// `"environment variable `X`"`, ...) the error messages name.
pub(crate) fn bearer_token(credential: SecretString, origin: &str) -> Result<Token> {
    check_text(origin, credential.expose_secret(), TextRule::VisibleAscii)?;
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
            ("sec\tret", "a tab (U+0009) at byte 3"),
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
            assert!(
                err.message().contains("RFC 6750") || token.is_empty(),
                "{err}"
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
