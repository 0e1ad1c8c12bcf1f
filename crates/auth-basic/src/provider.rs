//! The Basic provider.

use std::fmt;

use auth_core::cache::StaticTokenCell;
use auth_core::text::{TextRule, check_chars, check_text};
use auth_core::{AuthProvider, Error, Result, Scheme, SecretString, Token, async_trait};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// Sends `Authorization: Basic base64(username ":" password)` (RFC 7617), encoded as UTF-8.
///
/// The header value is computed once, at construction; every [`token`](AuthProvider::token)
/// call hands out a clone of the same [`Token`].
pub struct BasicProvider {
    username: String,
    /// The token, as per-thread copies: threads never share a reference count on the hot path.
    token: StaticTokenCell,
}

impl BasicProvider {
    /// Builds the provider.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] when the username is
    /// empty, holds a `:` (RFC 7617 §2 forbids it: the server splits at the first colon), or
    /// when either part holds a control character (CR, LF, NUL, ...). An empty password is
    /// allowed.
    pub fn new(username: impl Into<String>, password: impl Into<SecretString>) -> Result<Self> {
        let username = username.into();
        let password = password.into();
        check_text("the Basic auth username", &username, TextRule::NoControl)?;
        if username.contains(':') {
            return Err(Error::invalid_config(
                "Basic auth username contains ':', which RFC 7617 forbids (the server splits \
                 user and password at the first colon); remove the colon",
            ));
        }
        check_chars(
            "the Basic auth password",
            password.expose_secret(),
            TextRule::NoControl,
        )?;

        // Both the plain and the encoded form are secrets: wipe the one we do not keep.
        let mut plain = Zeroizing::new(Vec::with_capacity(
            username.len() + 1 + password.expose_secret().len(),
        ));
        plain.extend_from_slice(username.as_bytes());
        plain.push(b':');
        plain.extend_from_slice(password.expose_secret().as_bytes());
        let encoded = STANDARD.encode(plain.as_slice());
        let token = Token::new(Scheme::Basic, encoded)?;
        Ok(Self {
            username,
            token: StaticTokenCell::new(token),
        })
    }

    /// The username (not secret).
    pub fn username(&self) -> &str {
        &self.username
    }
}

impl fmt::Debug for BasicProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicProvider")
            .field("username", &self.username)
            .field("password", &"[redacted]")
            .finish()
    }
}

#[async_trait]
impl AuthProvider for BasicProvider {
    async fn token(&self) -> Result<Token> {
        Ok(self.token.get())
    }

    fn token_now(&self) -> Option<Token> {
        Some(self.token.get())
    }
}

#[cfg(test)]
mod tests {
    use auth_core::ErrorKind;

    use super::*;

    async fn header(user: &str, password: &str) -> String {
        let provider = BasicProvider::new(user, password).unwrap();
        let token = provider.token().await.unwrap();
        token.header_value().to_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn reference_test_vectors() {
        assert_eq!(header("admin", "123").await, "Basic YWRtaW46MTIz");
        assert_eq!(header("tom", "123").await, "Basic dG9tOjEyMw==");
    }

    #[tokio::test]
    async fn non_ascii_is_encoded_as_utf8() {
        // RFC 7617 §2.1 example: "test" / "123£" with charset UTF-8.
        assert_eq!(header("test", "123\u{a3}").await, "Basic dGVzdDoxMjPCow==");
        // b"J\xc3\xbcrgen:p\xc3\xa4ss\xe2\x82\xac" in base64.
        assert_eq!(
            header("Jürgen", "päss€").await,
            "Basic SsO8cmdlbjpww6Rzc+KCrA=="
        );
    }

    #[tokio::test]
    async fn a_password_may_hold_colons_spaces_and_punctuation() {
        // Only the user id is split at the first colon (RFC 7617 §2); the password keeps its.
        assert_eq!(
            header("alice", "p:a ss&+%!").await,
            "Basic YWxpY2U6cDphIHNzJislIQ=="
        );
    }

    #[tokio::test]
    async fn empty_password_is_allowed() {
        assert_eq!(header("alice", "").await, "Basic YWxpY2U6");
    }

    #[test]
    fn rejections_name_the_problem() {
        let cases = [
            ("", "pw", "username is empty"),
            ("a:b", "pw", "contains ':'"),
            (
                "al\nice",
                "pw",
                "username contains a line feed (LF) at byte 2",
            ),
            (
                "alice",
                "p\r\nw",
                "password contains a carriage return (CR) at byte 1",
            ),
            (
                "alice",
                "p\0w",
                "password contains a NUL character at byte 1",
            ),
            (
                "alice",
                "p\u{7f}w",
                "password contains a control character (U+007F)",
            ),
        ];
        for (user, password, expected) in cases {
            let err = BasicProvider::new(user, password).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidConfig);
            assert!(
                err.message().contains(expected),
                "{err} should say {expected}"
            );
            assert!(!err.to_string().contains(password), "{err}");
            assert!(
                !err.to_string().contains("p\0w") && !err.to_string().contains("pw"),
                "{err}"
            );
        }
    }

    #[test]
    fn debug_shows_username_but_no_password() {
        let provider = BasicProvider::new("admin", "sup3r-secret").unwrap();
        let debug = format!("{provider:?} {provider:#?}");
        assert!(debug.contains("admin"));
        assert!(!debug.contains("sup3r"), "{debug}");
        // Nor the encoded form of the secret.
        assert!(!debug.contains("YWRtaW46"), "{debug}");
        assert_eq!(provider.username(), "admin");
    }
}
