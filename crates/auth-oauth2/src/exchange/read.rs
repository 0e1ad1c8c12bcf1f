//! Reading a subject or actor token for one token request: from the environment, from a file
//! (on Tokio's blocking threads) or from another provider, within the request timeout.

use std::path::Path;
use std::time::Duration;

use auth_core::file::{MAX_SECRET_FILE_BYTES, read_bounded};
use auth_core::text::{TextRule, check_text};
use auth_core::{AuthProvider as _, Error, ErrorKind, Result, Scheme, SecretString};
use auth_core::{SharedAuthProvider, Token};

use super::subject::SubjectToken;

/// A token as read for one request.
pub(crate) struct Presented {
    pub(crate) secret: SecretString,
    /// The provider it came from and the token it gave, to tell it if the server refuses it.
    from: Option<(SharedAuthProvider, Token)>,
}

impl Presented {
    fn read(secret: SecretString) -> Self {
        Self { secret, from: None }
    }

    /// Tells the provider the token came from, if any, that the server refused it, so the
    /// next request gets a fresh one.
    pub(crate) fn refused(&self) {
        if let Some((provider, token)) = &self.from {
            provider.invalidate(token);
        }
    }
}

/// Reads the token `source` holds now; `what` names it in messages (`"subject token"`).
///
/// # Errors
///
/// What went wrong, naming the variable, the file or the provider, never the token: a
/// variable that is not set or empty, a file that cannot be read, a token with control
/// characters, a provider that fails or does not answer within `timeout`.
pub(crate) async fn read(
    source: &SubjectToken,
    what: &'static str,
    timeout: Duration,
) -> Result<Presented> {
    match source {
        SubjectToken::Fixed(token) => Ok(Presented::read(token.clone())),
        SubjectToken::Env(var) => from_env(var, what).map(Presented::read),
        SubjectToken::File(path) => {
            let owned = path.clone();
            let reading = tokio::task::spawn_blocking(move || from_file(&owned, what));
            match tokio::time::timeout(timeout, reading).await {
                Ok(Ok(read)) => read.map(Presented::read),
                Ok(Err(_)) => Err(Error::other(format!(
                    "reading the {what} file `{}` panicked",
                    path.display()
                ))),
                Err(_) => Err(Error::transport(format!(
                    "the {what} file `{}` could not be read within {} s (the provider's request \
                     timeout); check the file system it is on",
                    path.display(),
                    timeout.as_secs_f64()
                ))),
            }
        }
        SubjectToken::Provider(provider) => {
            match tokio::time::timeout(timeout, provider.token()).await {
                Ok(Ok(token)) => from_provider(provider, token),
                // Its message holds no secret (every provider's errors are built that way).
                Ok(Err(error)) => Err(Error::new(
                    error.kind(),
                    format!("its provider failed: {}", error.message()),
                )
                .with_retryable(error.is_retryable())),
                Err(_) => Err(Error::transport(format!(
                    "its provider did not answer within {} s (the provider's request timeout)",
                    timeout.as_secs_f64()
                ))),
            }
        }
    }
}

fn from_env(var: &str, what: &str) -> Result<SecretString> {
    let value = match std::env::var(var) {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => {
            return Err(Error::invalid_config(format!(
                "environment variable `{var}` is not set; export it with the {what}"
            )));
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::invalid_config(format!(
                "environment variable `{var}` is not valid Unicode, so it cannot hold the {what}"
            )));
        }
    };
    let value = zeroize::Zeroizing::new(value);
    token(
        value.trim_end(),
        format_args!("environment variable `{var}`"),
    )
}

/// Blocking: run off the runtime's workers.
fn from_file(path: &Path, what: &str) -> Result<SecretString> {
    let bytes = read_bounded(
        path,
        &format!("{what} file"),
        MAX_SECRET_FILE_BYTES,
        ErrorKind::InvalidConfig,
    )?;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(Error::invalid_config(format!(
            "{what} file `{}` is not UTF-8 text; check the path",
            path.display()
        )));
    };
    token(
        text.trim_end(),
        format_args!("{what} file `{}`", path.display()),
    )
}

fn from_provider(provider: &SharedAuthProvider, token: Token) -> Result<Presented> {
    // A Basic credential is a username and password, not a token to exchange.
    if *token.scheme() == Scheme::Basic {
        return Err(Error::invalid_config(
            "its provider gave a Basic credential (a username and password), not a token; \
             give a provider of tokens (a self-signed JWT, another OAuth2 provider)",
        ));
    }
    let secret = self::token(
        token.expose_credential(),
        format_args!("its provider's credential"),
    )?;
    Ok(Presented {
        secret,
        from: Some((provider.clone(), token)),
    })
}

/// `text` as a token: not empty, no control characters; `what` names it in messages.
fn token(text: &str, what: std::fmt::Arguments<'_>) -> Result<SecretString> {
    check_text(what, text, TextRule::NoControl)?;
    Ok(SecretString::from(text))
}
