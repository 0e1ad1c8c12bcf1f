//! The reqwest transport for auth-oauth2: one pooled client per provider, no redirects, and
//! the client's own settings (HTTP version, timeouts, TLS).

use std::error::Error as _;
use std::fmt;

use auth_core::{Error, Result};
use auth_oauth2::{MAX_RESPONSE_BYTES, TokenTransport, TransportError, TransportErrorKind};
use zeroize::{Zeroize, Zeroizing};

use crate::settings::ClientSettings;

/// Sends token requests with one pooled [`reqwest::Client`], so connections are reused across
/// token requests (Ballerina builds a new client, and TLS context, for each one). Redirects are
/// never followed: a token endpoint that redirects is reported as an error.
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport").finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// A transport for a token endpoint reached with `settings` (HTTP version, timeouts,
    /// TLS), never following redirects.
    ///
    /// ```
    /// use auth_http::{ClientSettings, ReqwestTransport};
    ///
    /// let transport = ReqwestTransport::new(&ClientSettings::default())?;
    /// # let _ = transport;
    /// # Ok::<(), auth_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for a zero timeout or
    /// bad TLS settings; [`auth_core::ErrorKind::KeyMaterial`] for a
    /// client key that cannot be read.
    pub fn new(settings: &ClientSettings) -> Result<Self> {
        let builder = settings
            .apply(reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()))?;
        let client = builder.build().map_err(|e| {
            Error::invalid_config(format!(
                "the token endpoint's HTTP client cannot be built ({e})"
            ))
        })?;
        Ok(Self { client })
    }

    /// A transport over a client you built. Configure it not to follow redirects.
    pub fn from_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl TokenTransport for ReqwestTransport {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> std::result::Result<http::Response<Vec<u8>>, TransportError> {
        let request = reqwest::Request::try_from(request)
            .map_err(|e| TransportError::new(TransportErrorKind::Other, describe(&e)))?;
        let mut response = self.client.execute(request).await.map_err(classify)?;
        let status = response.status();
        if status.is_redirection() {
            return Err(TransportError::new(
                TransportErrorKind::Redirect,
                format!(
                    "the token endpoint answered HTTP {} (a redirect)",
                    status.as_u16()
                ),
            ));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        // Sized from Content-Length (already bounded above) so the tokens are not left behind
        // in freed buffers as the body grows; growth past it wipes the old buffer, and a body
        // abandoned midway (a read error, a too-large body, this future dropped by a timeout)
        // is wiped too.
        let expected = response.content_length().unwrap_or(0) as usize;
        let mut body = Zeroizing::new(Vec::with_capacity(expected));
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(too_large());
            }
            append_wiping(&mut body, &chunk);
        }
        let mut out = http::Response::new(std::mem::take(&mut *body));
        *out.status_mut() = status;
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }
}

/// Appends `chunk`, moving to a bigger buffer by hand (and wiping the old one) where `Vec`
/// would reallocate and leave a copy of the bytes in freed memory.
fn append_wiping(body: &mut Vec<u8>, chunk: &[u8]) {
    let needed = body.len() + chunk.len();
    if needed > body.capacity() {
        let mut bigger = Vec::with_capacity(needed.max(body.capacity() * 2));
        bigger.extend_from_slice(body);
        body.zeroize();
        *body = bigger;
    }
    body.extend_from_slice(chunk);
}

fn too_large() -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge,
        format!("the token endpoint's response is larger than {MAX_RESPONSE_BYTES} bytes"),
    )
}

/// The error and its causes, without the URL (which the provider reports itself, shortened).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "the token URL");
    }
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn classify(error: reqwest::Error) -> TransportError {
    let text = describe(&error);
    let lower = text.to_ascii_lowercase();
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        TransportErrorKind::Tls
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() || error.is_request() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, text).with_source(error.without_url())
}

#[cfg(test)]
mod tests {
    use super::append_wiping;

    #[test]
    fn appending_in_chunks_keeps_every_byte_in_order() {
        for start_capacity in [0, 1, 5, 64] {
            let mut body = Vec::with_capacity(start_capacity);
            let mut expected = Vec::new();
            for i in 0..50u8 {
                let chunk: Vec<u8> = (0..i % 7).map(|j| i.wrapping_mul(j)).collect();
                append_wiping(&mut body, &chunk);
                expected.extend_from_slice(&chunk);
                assert!(body.capacity() >= body.len());
            }
            assert_eq!(body, expected, "start capacity {start_capacity}");
        }
    }
}
