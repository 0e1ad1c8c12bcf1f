//! Finding the token endpoint from the issuer's metadata (RFC 8414, OpenID Connect Discovery
//! 1.0): fetched through the token transport on first use, cached for the provider's life,
//! fetched again after a failure only once a back-off has passed, and checked against the
//! config (the issuer must match exactly; the client's authentication method and DPoP
//! algorithm must be ones the server lists).

use std::time::{Duration, Instant};

use auth_core::ErrorKind;
use http::header::ACCEPT;
use serde_json::{Map, Value};
use url::Url;

use crate::checks::check_url;
use crate::error::{Problem, TokenEndpointError};
use crate::redact::sanitize;
use crate::transport::{MAX_RESPONSE_BYTES, TokenTransport};

/// The first wait after a failed discovery; doubled after each further failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait between two discovery attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the provider checks the metadata against.
pub(crate) struct Expectations {
    /// The client's `token_endpoint_auth_method`.
    pub(crate) auth_method: &'static str,
    /// The client authenticates with its TLS certificate: use `mtls_endpoint_aliases`.
    pub(crate) mutual_tls: bool,
    /// The DPoP algorithm, when DPoP is configured.
    pub(crate) dpop_algorithm: Option<&'static str>,
}

pub(crate) struct Discovery {
    /// As configured (trimmed): the document's `issuer` must be this string exactly.
    issuer: String,
    issuer_url: Url,
    display: String,
    allow_insecure_http: bool,
    expectations: Expectations,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    token_endpoint: Option<Url>,
    failures: u32,
    /// The last failure, returned as is until `retry_at`.
    failed: Option<(TokenEndpointError, Instant)>,
}

impl Discovery {
    /// `configured` is the issuer as written in the config; `issuer_url` is it parsed.
    pub(crate) fn new(
        configured: &str,
        issuer_url: &Url,
        display: &str,
        allow_insecure_http: bool,
        expectations: Expectations,
    ) -> Self {
        Self {
            issuer: configured.trim().to_owned(),
            issuer_url: issuer_url.clone(),
            display: display.to_owned(),
            allow_insecure_http,
            expectations,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    /// The token endpoint: from the cache, or fetched now (one caller at a time; the others
    /// wait for its answer). Within the back-off after a failure, that failure again.
    pub(crate) async fn token_endpoint(
        &self,
        transport: &dyn TokenTransport,
        grant: &'static str,
        timeout: Duration,
    ) -> Result<Url, TokenEndpointError> {
        let mut state = self.state.lock().await;
        if let Some(found) = &state.token_endpoint {
            return Ok(found.clone());
        }
        if let Some((error, retry_at)) = &state.failed
            && Instant::now() < *retry_at
        {
            return Err(error.clone());
        }
        match self.fetch(transport, grant, timeout).await {
            Ok(found) => {
                tracing::debug!(target: "auth_oauth2", issuer = %self.display, "token endpoint discovered");
                state.token_endpoint = Some(found.clone());
                state.failures = 0;
                state.failed = None;
                Ok(found)
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let wait = FIRST_BACKOFF
                    .saturating_mul(1 << state.failures.saturating_sub(1).min(6))
                    .min(MAX_BACKOFF);
                tracing::warn!(target: "auth_oauth2", issuer = %self.display, error = %error, retry_in_s = wait.as_secs(), "discovery failed");
                state.failed = Some((error.clone(), Instant::now() + wait));
                Err(error)
            }
        }
    }

    /// RFC 8414's well-known URL first, then OpenID Connect's; the first document found is
    /// the one checked.
    async fn fetch(
        &self,
        transport: &dyn TokenTransport,
        grant: &'static str,
        timeout: Duration,
    ) -> Result<Url, TokenEndpointError> {
        let fail = |kind: ErrorKind, transient: bool, message: String| {
            TokenEndpointError::new(
                &self.display,
                grant,
                Problem::Discovery(kind, transient, message),
            )
        };
        let mut statuses = Vec::new();
        for url in [self.rfc8414_url(), self.openid_url()] {
            let request = http::Request::get(url.as_str())
                .header(ACCEPT, "application/json")
                .body(Vec::new())
                .map_err(|e| {
                    fail(
                        ErrorKind::InvalidConfig,
                        false,
                        format!("the discovery URL {url} cannot be requested ({e})"),
                    )
                })?;
            let response = match tokio::time::timeout(timeout, transport.send(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => {
                    return Err(fail(
                        ErrorKind::Transport,
                        error.kind().is_transient(),
                        format!(
                            "no discovery document from {url}: {}",
                            sanitize(error.message(), &[], 200)
                        ),
                    ));
                }
                Err(_) => {
                    return Err(fail(
                        ErrorKind::Transport,
                        true,
                        format!(
                            "no discovery document from {url} within {} s",
                            timeout.as_secs_f64()
                        ),
                    ));
                }
            };
            let status = response.status();
            if status.is_success() {
                return self
                    .read(&url, response.body())
                    .map_err(|(kind, message)| fail(kind, false, message));
            }
            // 5xx and 429 may pass; anything else means "not here", so the next URL is tried.
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(fail(
                    ErrorKind::Transport,
                    true,
                    format!("HTTP {} from {url}", status.as_u16()),
                ));
            }
            statuses.push(format!("HTTP {} from {url}", status.as_u16()));
        }
        Err(fail(
            ErrorKind::InvalidConfig,
            false,
            format!(
                "no discovery document: {}; check `issuer_url`",
                statuses.join(", ")
            ),
        ))
    }

    /// Checks a metadata document and takes its token endpoint.
    fn read(&self, url: &Url, body: &[u8]) -> Result<Url, (ErrorKind, String)> {
        let malformed = |what: String| {
            (
                ErrorKind::Other,
                format!("the discovery document at {url} {what}"),
            )
        };
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(malformed(format!("is over {MAX_RESPONSE_BYTES} bytes")));
        }
        let Ok(Value::Object(document)) = serde_json::from_slice::<Value>(body) else {
            return Err(malformed("is not a JSON object".to_owned()));
        };
        let text = |value: &str| sanitize(value, &[], 120);
        match document.get("issuer").and_then(Value::as_str) {
            Some(issuer) if issuer == self.issuer => {}
            Some(issuer) => {
                return Err((
                    ErrorKind::InvalidConfig,
                    format!(
                        "the discovery document at {url} names the issuer `{}`, not the \
                         configured `{}`; they must match exactly (RFC 8414 §3.3): check \
                         `issuer_url`",
                        text(issuer),
                        text(&self.issuer)
                    ),
                ));
            }
            None => return Err(malformed("has no `issuer`".to_owned())),
        }
        let expectations = &self.expectations;
        let alias = expectations
            .mutual_tls
            .then(|| {
                document
                    .get("mtls_endpoint_aliases")?
                    .get("token_endpoint")?
                    .as_str()
            })
            .flatten();
        let Some(endpoint) =
            alias.or_else(|| document.get("token_endpoint").and_then(Value::as_str))
        else {
            return Err(malformed("has no `token_endpoint`".to_owned()));
        };
        let field = if alias.is_some() {
            "the discovered mtls_endpoint_aliases.token_endpoint"
        } else {
            "the discovered token_endpoint"
        };
        let (token_endpoint, _) = check_url(field, endpoint, self.allow_insecure_http)
            .map_err(|e| (ErrorKind::InvalidConfig, e.message().to_owned()))?;
        check_listed(
            &document,
            "token_endpoint_auth_methods_supported",
            expectations.auth_method,
            "the client authentication method",
        )?;
        if let Some(algorithm) = expectations.dpop_algorithm {
            check_listed(
                &document,
                "dpop_signing_alg_values_supported",
                algorithm,
                "the DPoP algorithm",
            )?;
        }
        Ok(token_endpoint)
    }

    /// `https://host/.well-known/oauth-authorization-server[/path]` (RFC 8414 §3.1).
    fn rfc8414_url(&self) -> Url {
        let mut url = self.issuer_url.clone();
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
        url.set_query(None);
        url
    }

    /// `issuer + /.well-known/openid-configuration` (OpenID Connect Discovery §4).
    fn openid_url(&self) -> Url {
        let mut url = self.issuer_url.clone();
        let path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{path}/.well-known/openid-configuration"));
        url.set_query(None);
        url
    }
}

/// When the document lists `member`, `ours` must be in it.
fn check_listed(
    document: &Map<String, Value>,
    member: &str,
    ours: &str,
    what: &str,
) -> Result<(), (ErrorKind, String)> {
    let Some(Value::Array(listed)) = document.get(member) else {
        return Ok(());
    };
    let names: Vec<&str> = listed.iter().filter_map(Value::as_str).collect();
    if names.contains(&ours) {
        return Ok(());
    }
    let shown: Vec<String> = names
        .iter()
        .take(12)
        .map(|n| sanitize(n, &[], 40))
        .collect();
    Err((
        ErrorKind::InvalidConfig,
        format!(
            "the server does not support {what} `{ours}`: its `{member}` lists {}; change the \
             config to one of them",
            shown.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(issuer: &str) -> Discovery {
        Discovery::new(
            issuer,
            &Url::parse(issuer).unwrap(),
            issuer,
            false,
            Expectations {
                auth_method: "client_secret_basic",
                mutual_tls: false,
                dpop_algorithm: None,
            },
        )
    }

    #[test]
    fn well_known_urls_follow_both_specifications() {
        let d = discovery("https://idp.example");
        assert_eq!(
            d.rfc8414_url().as_str(),
            "https://idp.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            d.openid_url().as_str(),
            "https://idp.example/.well-known/openid-configuration"
        );
        let d = discovery("https://idp.example/tenant/1");
        assert_eq!(
            d.rfc8414_url().as_str(),
            "https://idp.example/.well-known/oauth-authorization-server/tenant/1"
        );
        assert_eq!(
            d.openid_url().as_str(),
            "https://idp.example/tenant/1/.well-known/openid-configuration"
        );
    }
}
