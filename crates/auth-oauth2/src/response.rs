//! Reading token-endpoint responses: RFC 6749 §5.1 success and §5.2 error bodies.

use std::time::{Duration, SystemTime};

use auth_core::SecretString;
use serde_json::{Map, Value};
use zeroize::Zeroize;

use crate::config::MAX_TOKEN_LIFETIME;
use crate::error::{Problem, TokenEndpointError};
use crate::redact::sanitize;
use crate::transport::MAX_RESPONSE_BYTES;

/// A successful token response.
pub(crate) struct TokenResponse {
    pub(crate) access_token: SecretString,
    /// `None` when the server did not say; zero or negative means "already expired".
    pub(crate) expires_in: Option<Duration>,
    /// `token_type` is `DPoP` (RFC 9449 §5): the token goes with a proof on each request.
    pub(crate) dpop_bound: bool,
    /// The type of the issued token (RFC 8693 §2.2.1), cleaned as server text is.
    pub(crate) issued_token_type: Option<String>,
}

impl TokenResponse {
    /// The scheme the token goes on requests with.
    pub(crate) fn scheme(&self) -> auth_core::Scheme {
        if self.dpop_bound {
            auth_core::Scheme::Other("DPoP".into())
        } else {
            auth_core::Scheme::Bearer
        }
    }
}

/// What a response must be checked against.
pub(crate) struct Context<'a> {
    pub(crate) endpoint: &'a str,
    pub(crate) grant: &'static str,
    /// Credentials sent in the request, blanked out of anything the server echoes back.
    pub(crate) secrets: &'a [&'a str],
    pub(crate) now: SystemTime,
}

impl Context<'_> {
    fn error(&self, problem: Problem) -> TokenEndpointError {
        TokenEndpointError::new(self.endpoint, self.grant, problem)
    }
}

/// A parsed JSON body whose top-level strings (the tokens among them) are wiped when dropped.
struct WipedJson(Map<String, Value>);

impl Drop for WipedJson {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            if let Value::String(text) = value {
                text.zeroize();
            }
        }
    }
}

impl std::ops::Deref for WipedJson {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Reads a response. The refresh token of a successful response is handed to `keep_rotated`
/// before anything else is judged: a server that rotates refresh tokens has revoked the old
/// one already, even if the rest of the response is unusable.
pub(crate) fn parse(
    response: &http::Response<Vec<u8>>,
    context: &Context<'_>,
    keep_rotated: impl FnOnce(SecretString),
) -> Result<TokenResponse, TokenEndpointError> {
    let status = response.status();
    let body = response.body();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| sanitize(v, context.secrets, 60))
        .unwrap_or_else(|| "no content type".to_owned());
    if body.len() > MAX_RESPONSE_BYTES {
        return Err(context
            .error(Problem::Malformed(format!(
                "HTTP {} with a {}-byte body ({content_type}), over the {MAX_RESPONSE_BYTES}-byte limit",
                status.as_u16(),
                body.len()
            )))
            .with_status(status.as_u16()));
    }
    let json: Option<WipedJson> = serde_json::from_slice(body).ok().map(WipedJson);

    if !status.is_success() {
        let err = TokenEndpointError::from_status(context.endpoint, context.grant, status.as_u16())
            .with_retry_after(retry_after(response.headers(), context.now));
        return Err(if let Some(json) = &json {
            let text = |key: &str, max: usize| {
                json.get(key)
                    .and_then(Value::as_str)
                    .map(|v| sanitize(v, context.secrets, max))
            };
            err.with_oauth_error(
                text("error", 64),
                text("error_description", 200),
                text("error_uri", 200),
            )
        } else if !body.is_empty() {
            err.with_description(format!(
                "a non-JSON {}-byte body ({content_type})",
                body.len()
            ))
        } else {
            err
        });
    }

    let Some(json) = json else {
        return Err(context.error(Problem::Malformed(format!(
            "HTTP {} with a body that is not a JSON object ({content_type}, {} bytes)",
            status.as_u16(),
            body.len()
        ))));
    };
    if let Some(Value::String(rotated)) = json.get("refresh_token")
        && !rotated.is_empty()
    {
        keep_rotated(SecretString::from(rotated.as_str()));
    }
    let access_token = match json.get("access_token") {
        Some(Value::String(token)) if !token.is_empty() => SecretString::from(token.as_str()),
        Some(Value::String(_)) => {
            return Err(context.error(Problem::Malformed(
                "the response's `access_token` is empty".to_owned(),
            )));
        }
        Some(other) => {
            return Err(context.error(Problem::Malformed(format!(
                "the response's `access_token` is a JSON {}, not a string",
                json_type(other)
            ))));
        }
        None => {
            return Err(context.error(Problem::Malformed(
                "the response has no `access_token`".to_owned(),
            )));
        }
    };
    Ok(TokenResponse {
        access_token,
        expires_in: json.get("expires_in").and_then(seconds),
        dpop_bound: json
            .get("token_type")
            .and_then(Value::as_str)
            .is_some_and(|kind| kind.eq_ignore_ascii_case("dpop")),
        issued_token_type: json
            .get("issued_token_type")
            .and_then(Value::as_str)
            .map(|kind| sanitize(kind, context.secrets, 100)),
    })
}

/// `expires_in` as an integer, a float or a numeric string; negative becomes zero.
fn seconds(value: &Value) -> Option<Duration> {
    let secs = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !secs.is_finite() {
        return None;
    }
    // A year is more than any server means; larger values are clamped rather than trusted.
    Some(Duration::from_secs_f64(
        secs.clamp(0.0, MAX_TOKEN_LIFETIME.as_secs_f64()),
    ))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> http::Response<Vec<u8>> {
        http::Response::builder()
            .status(status)
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn context() -> Context<'static> {
        Context {
            endpoint: "https://idp/token",
            grant: "client_credentials",
            secrets: &["the-client-secret"],
            now: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn expires_in_forms() {
        for (json, expected) in [
            (r#"{"access_token":"t","expires_in":3600}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":"3600"}"#, Some(3600.0)),
            (r#"{"access_token":"t","expires_in":12.5}"#, Some(12.5)),
            (r#"{"access_token":"t","expires_in":0}"#, Some(0.0)),
            (r#"{"access_token":"t","expires_in":-5}"#, Some(0.0)),
            (r#"{"access_token":"t","expires_in":"soon"}"#, None),
            (r#"{"access_token":"t"}"#, None),
        ] {
            let parsed = parse(&response(200, json), &context(), drop).unwrap();
            assert_eq!(
                parsed.expires_in.map(|d| d.as_secs_f64()),
                expected,
                "{json}"
            );
        }
    }

    #[test]
    fn malformed_success_bodies_are_named_without_the_body() {
        for (body, expected) in [
            (
                "<html>oops</html>",
                "not a JSON object (application/json, 17 bytes)",
            ),
            (r#"{"token":"x"}"#, "has no `access_token`"),
            (r#"{"access_token":42}"#, "is a JSON number, not a string"),
            (r#"{"access_token":null}"#, "is a JSON null"),
            (r#"{"access_token":""}"#, "is empty"),
        ] {
            let err = parse(&response(200, body), &context(), drop).err().unwrap();
            assert!(err.to_string().contains(expected), "{err}");
            assert!(!err.to_string().contains("oops"));
        }
    }

    #[test]
    fn error_bodies_give_status_code_description_and_retry_after() {
        let mut r = response(
            400,
            r#"{"error":"invalid_client","error_description":"secret the-client-secret is wrong","error_uri":"https://idp/doc"}"#,
        );
        r.headers_mut().insert("retry-after", "7".parse().unwrap());
        let err = parse(&r, &context(), drop).err().unwrap();
        assert_eq!(err.status(), Some(400));
        assert_eq!(err.oauth_error(), Some("invalid_client"));
        assert_eq!(err.description(), Some("secret [redacted] is wrong"));
        assert_eq!(err.error_uri(), Some("https://idp/doc"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));

        let mut r = response(503, "<html>maintenance</html>");
        r.headers_mut().insert(
            "retry-after",
            "Thu, 01 Jan 1970 00:00:30 GMT".parse().unwrap(),
        );
        let err = parse(&r, &context(), drop).err().unwrap();
        assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
        assert!(err.is_transient());
        assert!(!err.to_string().contains("maintenance"), "{err}");
        assert!(err.to_string().contains("non-JSON 24-byte body"), "{err}");
    }

    /// Kept from fuzzing (the input that crashed the harness, not this parser): a body that is
    /// not UTF-8, with a status of 300.
    #[test]
    fn a_non_utf8_body_is_an_error_not_a_panic() {
        let body = b"{\"ZZZZZZZZZZZZ\xa8\xa5\xa5ZZZZZZ\xa8\xa5\xa5\xa5ZZZZZZZZ\xa5ZZZZZZZZerient\",\"erret\"}";
        let response = http::Response::builder()
            .status(300)
            .body(body.to_vec())
            .unwrap();
        let err = parse(&response, &context(), drop).err().unwrap();
        assert_eq!(err.status(), Some(300));
        assert!(err.to_string().contains("non-JSON"), "{err}");
    }

    #[test]
    fn oversized_bodies_are_refused() {
        let big = "x".repeat(MAX_RESPONSE_BYTES + 1);
        let err = parse(&response(200, &big), &context(), drop).err().unwrap();
        assert!(err.to_string().contains("over the"), "{err}");
    }
}
