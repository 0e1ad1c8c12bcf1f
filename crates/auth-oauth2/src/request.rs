//! Building token requests: `POST`, `application/x-www-form-urlencoded`, every parameter
//! form-encoded, client authentication, custom headers and payload.

use auth_core::SecretString;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request};

use crate::error::{Problem, TokenEndpointError};
use crate::plan::{ClientAuth, EndpointPlan};

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
}

impl Step<'_> {
    pub(crate) fn grant_name(&self) -> &'static str {
        match self {
            Self::ClientCredentials => "client_credentials",
            Self::Password { .. } => "password",
            Self::Refresh { .. } => "refresh_token",
            Self::JwtBearer { .. } => "jwt-bearer",
        }
    }
}

/// Builds the request for `step` at `endpoint`.
pub(crate) fn build(
    endpoint: &EndpointPlan,
    step: &Step<'_>,
) -> Result<Request<Vec<u8>>, TokenEndpointError> {
    let mut form = form_urlencoded::Serializer::new(String::new());
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
    }
    if let Some(scope) = &endpoint.scope {
        form.append_pair("scope", scope);
    }
    for (name, value) in &endpoint.optional_params {
        form.append_pair(name, value);
    }
    let mut authorization = None;
    match &endpoint.client_auth {
        ClientAuth::Nothing => {}
        ClientAuth::PublicId(id) => {
            form.append_pair("client_id", id);
        }
        ClientAuth::Basic(token) => authorization = Some(token.header_value().clone()),
        ClientAuth::Post { id, secret } => {
            form.append_pair("client_id", id);
            form.append_pair("client_secret", secret.expose_secret());
        }
        #[cfg(feature = "jwt")]
        ClientAuth::Assertion { id, issuer } => {
            let jwt = issuer.issue().map_err(|e| {
                TokenEndpointError::new(
                    &endpoint.display,
                    step.grant_name(),
                    Problem::Internal(format!("could not sign the client assertion ({e})")),
                )
            })?;
            form.append_pair("client_id", id);
            form.append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE);
            form.append_pair("client_assertion", jwt.expose_secret());
        }
    }
    let mut body = form.finish();
    if let Some(payload) = &endpoint.custom_payload {
        body.push('&');
        body.push_str(payload);
    }

    let mut request = Request::builder()
        .method(Method::POST)
        .uri(endpoint.url.as_str())
        .body(body.into_bytes())
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
