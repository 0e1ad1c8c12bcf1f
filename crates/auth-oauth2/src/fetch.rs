//! The fetch: which request a renewal sends (the grant, or a refresh with a fallback), and
//! sending one request with retries of transient failures, under a tracing span.

use std::sync::Arc;
use std::time::{Duration, Instant};

use auth_core::{Clock, SecretString};
use tracing::Instrument as _;

use crate::cache::TokenCache;
use crate::checked::{AssertionSource, CheckedConfig, GrantRequest};
#[cfg(feature = "jwt")]
use crate::endpoint::Credential;
use crate::endpoint::Endpoint;
use crate::error::{Problem, TokenEndpointError};
use crate::exchange::{self, Exchange, Presented, SubjectToken};
use crate::redact::sanitize;
use crate::request::{self, Step};
use crate::response::{self, TokenResponse};
use crate::retry::RetryPolicy;
use crate::transport::{TokenTransport, TransportErrorKind};
use zeroize::Zeroize;

pub(crate) type Outcome = Result<auth_core::Token, TokenEndpointError>;

/// Everything a token request needs besides the cache.
pub(crate) struct Fetcher {
    pub(crate) config: CheckedConfig,
    pub(crate) transport: Arc<dyn TokenTransport>,
    pub(crate) refresh_transport: Arc<dyn TokenTransport>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    /// The longest one request may take before it counts as timed out, whatever the transport
    /// does: a guard against a transport that never answers.
    pub(crate) request_timeout: Duration,
}

impl Fetcher {
    /// Runs the grant (or the refresh) and caches the result.
    pub(crate) async fn fetch(&self, cache: &TokenCache) -> Outcome {
        let (response, sent_at) = self.fetch_response(cache).await?;
        cache.store(&self.config, response, sent_at)
    }

    /// Runs the grant (or the refresh): the response, and when its request was sent. A rotated
    /// refresh token is in `cache` already.
    pub(crate) async fn fetch_response(
        &self,
        cache: &TokenCache,
    ) -> Result<(TokenResponse, std::time::SystemTime), TokenEndpointError> {
        let sent_at = self.clock.now();
        let refresh_token = cache.refresh_token();
        let config = &self.config;
        let response = match &config.grant {
            GrantRequest::ClientCredentials => {
                self.request(
                    &config.endpoint,
                    &Step::ClientCredentials,
                    &self.transport,
                    &[],
                    cache,
                )
                .await
            }
            GrantRequest::Password { username, password } => {
                let step = Step::Password { username, password };
                self.renew_or(refresh_token, &step, &[], cache).await
            }
            GrantRequest::RefreshToken { initial } => {
                let refresh_token = refresh_token.unwrap_or_else(|| initial.clone());
                let step = Step::Refresh {
                    refresh_token: &refresh_token,
                };
                self.request(
                    &config.endpoint,
                    &step,
                    &self.transport,
                    &[refresh_token.expose_secret()],
                    cache,
                )
                .await
            }
            GrantRequest::JwtBearer { assertion } => {
                let assertion = match assertion {
                    AssertionSource::Fixed(jwt) => jwt.clone(),
                    #[cfg(feature = "jwt")]
                    AssertionSource::Issued(issuer) => {
                        sign(
                            issuer,
                            &config.endpoint.display,
                            "jwt-bearer",
                            "the assertion",
                            self.request_timeout,
                        )
                        .await?
                    }
                };
                let step = Step::JwtBearer {
                    assertion: &assertion,
                };
                self.renew_or(refresh_token, &step, &[assertion.expose_secret()], cache)
                    .await
            }
            GrantRequest::TokenExchange(exchange) => self.exchange(exchange, cache).await,
        }?;
        Ok((response, sent_at))
    }

    /// Password and jwt-bearer grants: refresh when there is a refresh token, and fall back to
    /// the grant itself when there is none or (if allowed) the refresh is refused.
    async fn renew_or(
        &self,
        refresh_token: Option<SecretString>,
        grant: &Step<'_>,
        grant_secrets: &[&str],
        cache: &TokenCache,
    ) -> Result<TokenResponse, TokenEndpointError> {
        if let (Some(refresh_token), Some(refresh)) = (refresh_token, &self.config.refresh) {
            let step = Step::Refresh {
                refresh_token: &refresh_token,
            };
            match self
                .request(
                    refresh,
                    &step,
                    &self.refresh_transport,
                    &[refresh_token.expose_secret()],
                    cache,
                )
                .await
            {
                Err(error) if error.is_invalid_grant() && self.config.fallback_on_invalid_grant => {
                    tracing::info!(
                        target: "auth_oauth2",
                        grant = grant.grant_name(),
                        "refresh token refused (invalid_grant); running the grant again"
                    );
                    cache.forget_refresh_token();
                }
                other => return other,
            }
        }
        self.request(
            &self.config.endpoint,
            grant,
            &self.transport,
            grant_secrets,
            cache,
        )
        .await
    }

    /// The token exchange grant: reads the subject (and actor) token as they are now and
    /// exchanges them. A refused token is reported to the provider it came from.
    async fn exchange(
        &self,
        exchange: &Exchange,
        cache: &TokenCache,
    ) -> Result<TokenResponse, TokenEndpointError> {
        let endpoint = &self.config.endpoint;
        let subject = self.read(&exchange.subject, "subject token").await?;
        let actor = match &exchange.actor {
            Some((source, _)) => Some(self.read(source, "actor token").await?),
            None => None,
        };
        let presented: Vec<&Presented> = std::iter::once(&subject).chain(&actor).collect();
        let step = Step::TokenExchange {
            exchange,
            subject_token: &subject.secret,
            actor_token: actor.as_ref().map(|actor| &actor.secret),
        };
        let secrets: Vec<&str> = presented
            .iter()
            .map(|token| token.secret.expose_secret())
            .collect();
        let result = self
            .request(endpoint, &step, &self.transport, &secrets, cache)
            .await;
        match &result {
            Err(error) if error.is_invalid_grant() => {
                presented.iter().for_each(|token| token.refused());
            }
            Ok(response) => {
                if let (Some(requested), Some(issued)) =
                    (&exchange.requested_token_type, &response.issued_token_type)
                    && requested != issued
                {
                    tracing::warn!(
                        target: "auth_oauth2",
                        grant = "token-exchange",
                        requested = %requested,
                        issued = %issued,
                        "the server issued another token type than requested; using the token as issued"
                    );
                }
            }
            Err(_) => {}
        }
        result
    }

    /// Reads a subject or actor token (`what`) for one request.
    async fn read(
        &self,
        source: &SubjectToken,
        what: &'static str,
    ) -> Result<Presented, TokenEndpointError> {
        exchange::read(source, what, self.request_timeout)
            .await
            .map_err(|error| {
                TokenEndpointError::new(
                    &self.config.endpoint.display,
                    self.config.grant_name,
                    Problem::Credential(
                        error.kind(),
                        error.is_retryable(),
                        format!("could not get the {what}: {}", error.message()),
                    ),
                )
            })
    }

    /// Sends one token request, retrying transient failures.
    async fn request(
        &self,
        endpoint: &Endpoint,
        step: &Step<'_>,
        transport: &Arc<dyn TokenTransport>,
        extra_secrets: &[&str],
        cache: &TokenCache,
    ) -> Result<TokenResponse, TokenEndpointError> {
        let grant = step.grant_name();
        let host = endpoint.url.host_str().unwrap_or_default().to_owned();
        // The access token being replaced is a secret too, if the server echoes it.
        let current = cache.current();
        let mut secrets = self.config.secret_strs();
        secrets.extend_from_slice(extra_secrets);
        if let Some(cached) = &current {
            secrets.push(cached.token().expose_credential());
        }
        let mut attempt = 0;
        let url = match (&self.config.discovery, endpoint.discovered) {
            (Some(discovery), true) => {
                discovery
                    .token_endpoint(&**transport, grant, self.request_timeout)
                    .await?
            }
            _ => endpoint.url.clone(),
        };
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                target: "auth_oauth2",
                "oauth2.token_request",
                grant,
                endpoint = %host,
                attempt,
                outcome = tracing::field::Empty,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let started = Instant::now();
            let result = self
                .attempt(endpoint, &url, step, transport, &secrets, cache, &span)
                .await;
            span.record("latency_ms", started.elapsed().as_millis() as u64);
            match result {
                Ok(response) => {
                    span.record("outcome", "ok");
                    span.in_scope(|| tracing::debug!(target: "auth_oauth2", "token received"));
                    return Ok(response);
                }
                Err(error) => {
                    let error = error.with_attempts(attempt);
                    let outcome = if error.is_transient() {
                        "transient failure"
                    } else {
                        "failure"
                    };
                    span.record("outcome", outcome);
                    span.in_scope(|| tracing::warn!(target: "auth_oauth2", error = %error, "token request failed"));
                    if error.is_transient()
                        && let Some(wait) = self.retry.delay(attempt, error.retry_after())
                    {
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(
                        if attempt > 1
                            && matches!(step, Step::Refresh { .. })
                            && error.is_invalid_grant()
                        {
                            error.with_note(
                                "an earlier attempt of this refresh got no answer; a server that \
                             rotates refresh tokens may have used this one already",
                            )
                        } else {
                            error
                        },
                    );
                }
            }
        }
    }

    /// One attempt: signs a client assertion if the client uses one, sends the request within
    /// the request timeout, and reads the response.
    #[allow(
        clippy::too_many_arguments,
        reason = "one request's parts, passed down once"
    )]
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        url: &url::Url,
        step: &Step<'_>,
        transport: &Arc<dyn TokenTransport>,
        secrets: &[&str],
        cache: &TokenCache,
        span: &tracing::Span,
    ) -> Result<TokenResponse, TokenEndpointError> {
        let grant = step.grant_name();
        // One more send when the server asks for a DPoP nonce it then gives (RFC 9449 §8).
        let mut nonce_retried = false;
        loop {
            // A client assertion is single-use (fresh `jti`): one per attempt. A signer that does
            // not answer in time fails the attempt as a transient error, so it is retried.
            let client_assertion = client_assertion(endpoint, grant, self.request_timeout).await?;
            let mut request_secrets = secrets.to_vec();
            if let Some(jwt) = &client_assertion {
                request_secrets.push(jwt.expose_secret());
            }
            let mut request = request::build(endpoint, url, step, client_assertion.as_ref())?;
            self.prove(endpoint, url, grant, &mut request)?;
            let sent = tokio::time::timeout(self.request_timeout, transport.send(request))
                .instrument(span.clone())
                .await;
            return match sent {
                Ok(Ok(response)) => {
                    span.record("status", response.status().as_u16());
                    if self.asks_for_nonce(url, &response) && !nonce_retried {
                        nonce_retried = true;
                        response.into_body().zeroize();
                        span.in_scope(|| tracing::debug!(target: "auth_oauth2", "the server wants a DPoP nonce; sending once more with it"));
                        continue;
                    }
                    let context = response::Context {
                        endpoint: &endpoint.display,
                        grant,
                        secrets: &request_secrets,
                        now: self.clock.now(),
                    };
                    let parsed = response::parse(&response, &context, |rotated| {
                        // Client credentials and token exchange renew by running the grant
                        // again.
                        if !matches!(
                            self.config.grant,
                            GrantRequest::ClientCredentials | GrantRequest::TokenExchange(_)
                        ) {
                            cache.keep_refresh_token(rotated, self.clock.now());
                        }
                    });
                    // The body held the tokens; its bytes are wiped rather than just freed.
                    response.into_body().zeroize();
                    parsed
                }
                Ok(Err(error)) => Err(TokenEndpointError::new(
                    &endpoint.display,
                    grant,
                    // A custom transport's message is not ours to trust: clean it like a body.
                    Problem::Transport(
                        error.kind(),
                        sanitize(error.message(), &request_secrets, 300),
                    ),
                )),
                Err(_) => Err(TokenEndpointError::new(
                    &endpoint.display,
                    grant,
                    Problem::Transport(
                        TransportErrorKind::Timeout,
                        format!(
                            "no response within {} s (the provider's request timeout)",
                            self.request_timeout.as_secs_f64()
                        ),
                    ),
                )),
            };
        }
    }

    /// Puts a DPoP proof for this token request on it, when a DPoP key is configured.
    #[cfg(feature = "dpop")]
    fn prove(
        &self,
        endpoint: &Endpoint,
        url: &url::Url,
        grant: &'static str,
        request: &mut http::Request<Vec<u8>>,
    ) -> Result<(), TokenEndpointError> {
        let Some(key) = &self.config.dpop else {
            return Ok(());
        };
        let proof = key
            .proof("POST", url.as_str(), None)
            .and_then(|proof| {
                http::HeaderValue::try_from(proof)
                    .map_err(|_| auth_core::Error::other("the DPoP proof is not a header value"))
            })
            .map_err(|error| {
                TokenEndpointError::new(
                    &endpoint.display,
                    grant,
                    Problem::Signer(
                        error.kind(),
                        error.is_retryable(),
                        format!("could not sign the DPoP proof ({})", error.message()),
                    ),
                )
            })?;
        request
            .headers_mut()
            .insert(auth_jwt_issuer::DPOP_HEADER, proof);
        Ok(())
    }

    #[cfg(not(feature = "dpop"))]
    fn prove(
        &self,
        _: &Endpoint,
        _: &url::Url,
        _: &'static str,
        _: &mut http::Request<Vec<u8>>,
    ) -> Result<(), TokenEndpointError> {
        Ok(())
    }

    /// Keeps the nonce a token response carries, and says whether the response refused the
    /// request for want of it (`400` with `error: use_dpop_nonce` and a `DPoP-Nonce`).
    #[cfg(feature = "dpop")]
    fn asks_for_nonce(&self, url: &url::Url, response: &http::Response<Vec<u8>>) -> bool {
        let Some(key) = &self.config.dpop else {
            return false;
        };
        // Whether or not the nonce is new: a concurrent request may have stored it after this
        // one's proof was made. The caller sends once more at most.
        let nonce_given = key.observe_headers(url.as_str(), response.headers());
        nonce_given
            && matches!(response.status().as_u16(), 400 | 401)
            && serde_json::from_slice::<serde_json::Value>(response.body())
                .ok()
                .and_then(|json| json.get("error")?.as_str().map(|e| e == "use_dpop_nonce"))
                .unwrap_or(false)
    }

    #[cfg(not(feature = "dpop"))]
    fn asks_for_nonce(&self, _: &url::Url, _: &http::Response<Vec<u8>>) -> bool {
        false
    }
}

#[cfg(feature = "jwt")]
async fn client_assertion(
    endpoint: &Endpoint,
    grant: &'static str,
    timeout: Duration,
) -> Result<Option<SecretString>, TokenEndpointError> {
    match &endpoint.credential {
        Credential::Assertion { issuer, .. } => sign(
            issuer,
            &endpoint.display,
            grant,
            "the client assertion",
            timeout,
        )
        .await
        .map(Some),
        _ => Ok(None),
    }
}

#[cfg(not(feature = "jwt"))]
async fn client_assertion(
    _: &Endpoint,
    _: &'static str,
    _: Duration,
) -> Result<Option<SecretString>, TokenEndpointError> {
    Ok(None)
}

/// Signs an assertion with `issuer` on Tokio's blocking threads: a signer may be a hardware
/// module or a remote KMS that blocks. A signer that takes longer than `timeout` fails the
/// attempt with a transient error, retried like a network failure (its thread is left to
/// finish on its own); a signer's own error keeps its kind and retryability.
#[cfg(feature = "jwt")]
async fn sign(
    issuer: &auth_jwt_issuer::JwtIssuer,
    endpoint: &str,
    grant: &'static str,
    what: &str,
    timeout: Duration,
) -> Result<SecretString, TokenEndpointError> {
    let issuer = issuer.clone();
    let problem =
        match tokio::time::timeout(timeout, tokio::task::spawn_blocking(move || issuer.issue()))
            .await
        {
            Ok(Ok(Ok(signed))) => return Ok(signed),
            Ok(Ok(Err(error))) => Problem::Signer(
                error.kind(),
                error.is_retryable(),
                format!("could not sign {what} ({})", error.message()),
            ),
            Ok(Err(_)) => Problem::Internal(format!("could not sign {what} (the signer panicked)")),
            Err(_) => Problem::Signer(
                auth_core::ErrorKind::Transport,
                true,
                format!(
                    "could not sign {what} (the signer did not answer within {} s)",
                    timeout.as_secs_f64()
                ),
            ),
        };
    Err(TokenEndpointError::new(endpoint, grant, problem))
}
