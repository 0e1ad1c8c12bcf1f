//! Building token requests: `POST`, `application/x-www-form-urlencoded`, every parameter
//! form-encoded, client authentication, custom headers and payload.

use auth_core::SecretString;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request};

use crate::endpoint::{Credential, Endpoint};
use crate::error::{Problem, TokenEndpointError};
use crate::exchange::{Exchange, TOKEN_EXCHANGE_GRANT};

pub(crate) const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
#[cfg(feature = "jwt")]
const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What one token request asks for.
pub(crate) enum Step<'a> {
    ClientCredentials,
    Password {
        username: &'a str,
        password: &'a SecretString,
    },
    Refresh {
        refresh_token: &'a SecretString,
    },
    JwtBearer {
        assertion: &'a SecretString,
    },
    /// The tokens as read for this request.
    TokenExchange {
        exchange: &'a Exchange,
        subject_token: &'a SecretString,
        actor_token: Option<&'a SecretString>,
    },
}

impl Step<'_> {
    pub(crate) fn grant_name(&self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::Password { .. } => "password",
            Self::Refresh { .. } => "refresh_token",
            Self::JwtBearer { .. } => "jwt-bearer",
            Self::TokenExchange { .. } => "token-exchange",
        }
    }
}

/// Builds the request for `step` at `endpoint`; `client_assertion` is the assertion signed for
/// this request when the client authenticates with one.
pub(crate) fn build(
    endpoint: &Endpoint,
    url: &url::Url,
    step: &Step<'_>,
    client_assertion: Option<&SecretString>,
) -> Result<Request<Vec<u8>>, TokenEndpointError> {
    // Sized for the worst case (every byte percent-encoded) so the text holding credentials
    // never reallocates and leaves an unwiped copy behind; wiped below once copied out.
    let mut form = form_urlencoded::Serializer::new(String::with_capacity(worst_case_len(
        endpoint,
        step,
        client_assertion,
    )));
    match step {
        Step::ClientCredentials => {
            form.append_pair("grant_type", "client_credentials");
        }
        Step::Password { username, password } => {
            form.append_pair("grant_type", "password");
            form.append_pair("username", username);
            form.append_pair("password", password.expose_secret());
        }
        Step::Refresh { refresh_token } => {
            form.append_pair("grant_type", "refresh_token");
            form.append_pair("refresh_token", refresh_token.expose_secret());
        }
        Step::JwtBearer { assertion } => {
            form.append_pair("grant_type", JWT_BEARER_GRANT);
            form.append_pair("assertion", assertion.expose_secret());
        }
        Step::TokenExchange {
            exchange,
            subject_token,
            actor_token,
        } => {
            form.append_pair("grant_type", TOKEN_EXCHANGE_GRANT);
            form.append_pair("subject_token", subject_token.expose_secret());
            form.append_pair("subject_token_type", &exchange.subject_token_type);
            if let (Some(actor_token), Some((_, actor_token_type))) = (actor_token, &exchange.actor)
            {
                form.append_pair("actor_token", actor_token.expose_secret());
                form.append_pair("actor_token_type", actor_token_type);
            }
            if let Some(requested) = &exchange.requested_token_type {
                form.append_pair("requested_token_type", requested);
            }
            for audience in &exchange.audiences {
                form.append_pair("audience", audience);
            }
            for resource in &exchange.resources {
                form.append_pair("resource", resource);
            }
        }
    }
    if let Some(scope) = &endpoint.scope {
        form.append_pair("scope", scope);
    }
    for (name, value) in &endpoint.optional_params {
        form.append_pair(name, value);
    }
    let mut authorization = None;
    match &endpoint.credential {
        Credential::Nothing => {}
        Credential::PublicId(id) | Credential::Certificate { id, .. } => {
            form.append_pair("client_id", id);
        }
        Credential::Basic { header, .. } => authorization = Some(header.header_value().clone()),
        Credential::Post { id, secret } => {
            form.append_pair("client_id", id);
            form.append_pair("client_secret", secret.expose_secret());
        }
        #[cfg(feature = "jwt")]
        Credential::Assertion { id, .. } => {
            let Some(jwt) = client_assertion else {
                return Err(TokenEndpointError::new(
                    &endpoint.display,
                    step.grant_name(),
                    Problem::Internal("the client assertion was not signed".to_owned()),
                ));
            };
            form.append_pair("client_id", id);
            form.append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE);
            form.append_pair("client_assertion", jwt.expose_secret());
        }
    }
    #[cfg(not(feature = "jwt"))]
    let _ = client_assertion;
    // The body holds credentials: build it in one wiped buffer, sized so it never grows.
    let form = zeroize::Zeroizing::new(form.finish());
    let payload = endpoint.custom_payload.as_deref().unwrap_or_default();
    let mut body = zeroize::Zeroizing::new(Vec::with_capacity(form.len() + 1 + payload.len()));
    body.extend_from_slice(form.as_bytes());
    if !payload.is_empty() {
        body.push(b'&');
        body.extend_from_slice(payload.as_bytes());
    }

    let mut request = Request::builder()
        .method(Method::POST)
        .uri(url.as_str())
        // The transport owns the request from here; what it does with the body is its own.
        .body(body.to_vec())
        .map_err(|e| {
            TokenEndpointError::new(
                &endpoint.display,
                step.grant_name(),
                Problem::Internal(format!("the token URL cannot be used for a request ({e})")),
            )
        })?;
    let headers = request.headers_mut();
    if let Some(authorization) = authorization {
        headers.insert(AUTHORIZATION, authorization);
    }
    // Custom headers replace ours of the same name (one Authorization, never two); the content
    // type is ours whatever they say, since the body is ours.
    for (name, value) in &endpoint.custom_headers {
        headers.insert(name, value.clone());
    }
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if !headers.contains_key(ACCEPT) {
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    }
    Ok(request)
}

/// The longest the form body of `step` can be: every byte of every value percent-encoded, plus
/// the names and separators.
fn worst_case_len(
    endpoint: &Endpoint,
    step: &Step<'_>,
    client_assertion: Option<&SecretString>,
) -> usize {
    let step_values = match step {
        Step::ClientCredentials => 0,
        Step::Password { username, password } => username.len() + password.expose_secret().len(),
        Step::Refresh { refresh_token } => refresh_token.expose_secret().len(),
        Step::JwtBearer { assertion } => assertion.expose_secret().len(),
        Step::TokenExchange {
            exchange,
            subject_token,
            actor_token,
        } => {
            let repeated: usize = exchange
                .audiences
                .iter()
                .chain(&exchange.resources)
                // `&audience=` or `&resource=` before each.
                .map(|value| value.len() + 10)
                .sum();
            // The names of the other parameters, with their `&` and `=`.
            let names = 128;
            subject_token.expose_secret().len()
                + actor_token.map_or(0, |token| token.expose_secret().len())
                + exchange.subject_token_type.len()
                + exchange.actor.as_ref().map_or(0, |(_, kind)| kind.len())
                + exchange
                    .requested_token_type
                    .as_ref()
                    .map_or(0, String::len)
                + repeated
                + names
        }
    };
    let credential = match &endpoint.credential {
        Credential::PublicId(id) | Credential::Certificate { id, .. } => id.len(),
        Credential::Post { id, secret } => id.len() + secret.expose_secret().len(),
        _ => 0,
    };
    let params: usize = endpoint
        .optional_params
        .iter()
        .map(|(name, value)| name.len() + value.len() + 2)
        .sum();
    let values = step_values
        + credential
        + params
        + endpoint.scope.as_ref().map_or(0, String::len)
        + client_assertion.map_or(0, |jwt| jwt.expose_secret().len());
    // Names, `=` and `&` of the fixed parameters, and the assertion type URN.
    3 * values + 256
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checked::{CheckedConfig, GrantRequest};
    use crate::{ClientAuth, OAuth2Config, SubjectToken, TokenExchangeGrant};

    /// The wiped buffer is never outgrown, even when every byte needs percent-encoding and
    /// many short audiences and resources repeat their names.
    #[test]
    fn a_token_exchange_body_fits_its_worst_case_length() {
        let awkward = "é&%+ ".repeat(20);
        let mut grant = TokenExchangeGrant::new(SubjectToken::fixed(awkward.as_str()))
            .subject_token_type(awkward.as_str())
            .actor_token(SubjectToken::fixed(awkward.as_str()))
            .actor_token_type(awkward.as_str())
            .requested_token_type(awkward.as_str());
        for i in 0..50 {
            grant = grant.audience(format!("{i}")).resource(format!("urn:{i}"));
        }
        let config = OAuth2Config::token_exchange("https://idp.example/token", grant)
            .client_auth(ClientAuth::post("é&", awkward.as_str()))
            .scopes(["é&%+"]);
        let checked = CheckedConfig::new(&config).unwrap();
        let GrantRequest::TokenExchange(exchange) = &checked.grant else {
            unreachable!("a token exchange config");
        };
        let token = SecretString::from(awkward.as_str());
        let step = Step::TokenExchange {
            exchange,
            subject_token: &token,
            actor_token: Some(&token),
        };
        let request = build(&checked.endpoint, &checked.endpoint.url, &step, None).unwrap();
        let limit = worst_case_len(&checked.endpoint, &step, None);
        assert!(
            request.body().len() <= limit,
            "{} > {limit}",
            request.body().len()
        );
    }
}
