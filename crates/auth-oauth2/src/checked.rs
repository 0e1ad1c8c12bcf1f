//! The configuration, checked and turned into what each token request needs. Everything that
//! can be wrong with a config is found here, when the provider is built.

use std::time::Duration;

use auth_core::{Error, Result, SecretString};

use crate::checks::{check_credential, check_name};
use crate::config::{MAX_TOKEN_LIFETIME, OAuth2Config};
use crate::discovery::{Discovery, Expectations};
use crate::endpoint::{Credential, Endpoint, EndpointSettings};
use crate::exchange::Exchange;
use crate::grant::{Assertion, Grant};

/// Where a jwt-bearer assertion comes from.
pub(crate) enum AssertionSource {
    Fixed(SecretString),
    #[cfg(feature = "jwt")]
    Issued(auth_jwt_issuer::JwtIssuer),
}

/// What the first request of the grant sends.
pub(crate) enum GrantRequest {
    ClientCredentials,
    Password {
        username: String,
        password: SecretString,
    },
    RefreshToken {
        initial: SecretString,
    },
    JwtBearer {
        assertion: AssertionSource,
    },
    /// The subject and actor tokens are read for each request.
    TokenExchange(Box<Exchange>),
}

pub(crate) struct CheckedConfig {
    pub(crate) grant: GrantRequest,
    pub(crate) grant_name: &'static str,
    pub(crate) endpoint: Endpoint,
    /// Where the password and jwt-bearer grants refresh.
    pub(crate) refresh: Option<Endpoint>,
    pub(crate) default_lifetime: Duration,
    pub(crate) clock_skew: Duration,
    pub(crate) fallback_on_invalid_grant: bool,
    /// Credentials blanked out of anything a server echoes back.
    pub(crate) secrets: Vec<SecretString>,
    /// Finds the token endpoint in the issuer's metadata, for a discovered config.
    pub(crate) discovery: Option<std::sync::Arc<Discovery>>,
    /// The DPoP key token requests prove possession of, and bound tokens go with.
    #[cfg(feature = "dpop")]
    pub(crate) dpop: Option<std::sync::Arc<auth_jwt_issuer::DpopKey>>,
}

impl CheckedConfig {
    pub(crate) fn new(config: &OAuth2Config) -> Result<Self> {
        let url_field = match config.grant {
            _ if config.discover => "issuer_url",
            Grant::RefreshToken(_) => "refresh_url",
            _ => "token_url",
        };
        let token_endpoint = |field, scopes: &[String]| {
            Endpoint::new(&EndpointSettings {
                field,
                url: &config.token_url,
                allow_insecure_http: config.allow_insecure_http,
                scopes,
                optional_params: &config.optional_params,
                custom_headers: &config.custom_headers,
                custom_payload: config.custom_payload.as_deref(),
                client_auth: &config.client_auth,
                discovered: config.discover,
            })
        };
        let endpoint = token_endpoint(url_field, &config.scopes)?;
        let discovery = config
            .discover
            .then(|| discovery(config, &endpoint))
            .transpose()?;
        let mut secrets = endpoint.credential.secrets();
        // Custom header values and payload values often carry API keys: blank their echoes too.
        secrets.extend(request_extras(
            &config.custom_headers,
            config.custom_payload.as_deref(),
        ));

        let (grant, refresh, fallback_on_invalid_grant) = match &config.grant {
            Grant::ClientCredentials => {
                if !endpoint.credential.authenticates() {
                    return Err(Error::invalid_config(
                        "the client credentials grant needs client authentication (`client_id` \
                         with `client_secret`, a client assertion, or a TLS client certificate: \
                         `tls_client_auth`); a public client cannot use it",
                    ));
                }
                (GrantRequest::ClientCredentials, None, false)
            }
            Grant::Password(password) => {
                check_name("username", &password.username)?;
                check_credential("password", &password.password)?;
                secrets.push(password.password.clone());
                let refresh = match &password.refresh {
                    // Inferred: the token URL and every client setting; no scopes (the original
                    // scope, RFC 6749 §6).
                    None => token_endpoint(url_field, &[])?,
                    Some(refresh) => {
                        let endpoint = Endpoint::new(&EndpointSettings {
                            field: "refresh_config.refresh_url",
                            url: &refresh.refresh_url,
                            allow_insecure_http: config.allow_insecure_http,
                            scopes: &refresh.scopes,
                            optional_params: &refresh.optional_params,
                            custom_headers: &refresh.custom_headers,
                            custom_payload: refresh.custom_payload.as_deref(),
                            discovered: false,
                            client_auth: refresh
                                .client_auth
                                .as_ref()
                                .unwrap_or(&config.client_auth),
                        })?;
                        secrets.extend(endpoint.credential.secrets());
                        secrets.extend(request_extras(
                            &refresh.custom_headers,
                            refresh.custom_payload.as_deref(),
                        ));
                        endpoint
                    }
                };
                (
                    GrantRequest::Password {
                        username: password.username.clone(),
                        password: password.password.clone(),
                    },
                    Some(refresh),
                    password.fallback_on_invalid_grant,
                )
            }
            Grant::RefreshToken(grant) => {
                check_credential("refresh_token", &grant.refresh_token)?;
                secrets.push(grant.refresh_token.clone());
                (
                    GrantRequest::RefreshToken {
                        initial: grant.refresh_token.clone(),
                    },
                    None,
                    false,
                )
            }
            Grant::JwtBearer(grant) => {
                let assertion = match &grant.assertion {
                    Assertion::Fixed(jwt) => {
                        check_credential("assertion", jwt)?;
                        secrets.push(jwt.clone());
                        AssertionSource::Fixed(jwt.clone())
                    }
                    #[cfg(feature = "jwt")]
                    Assertion::Issued(issuer) => AssertionSource::Issued(issuer.clone()),
                };
                (
                    GrantRequest::JwtBearer { assertion },
                    Some(token_endpoint(url_field, &[])?),
                    grant.fallback_on_invalid_grant,
                )
            }
            // Client authentication is optional: a public client may exchange tokens.
            Grant::TokenExchange(grant) => {
                let exchange = Exchange::new(grant, config)?;
                secrets.extend(exchange.fixed_tokens());
                (GrantRequest::TokenExchange(Box::new(exchange)), None, false)
            }
        };

        let lifetime = config.default_token_exp_time;
        if lifetime.is_zero() || lifetime > MAX_TOKEN_LIFETIME {
            return Err(Error::invalid_config(format!(
                "`default_token_exp_time` is {} s; give more than zero and at most one year ({} s)",
                lifetime.as_secs_f64(),
                MAX_TOKEN_LIFETIME.as_secs()
            )));
        }
        if config.clock_skew > MAX_TOKEN_LIFETIME {
            return Err(Error::invalid_config(format!(
                "`clock_skew` is {} s; give at most one year ({} s)",
                config.clock_skew.as_secs_f64(),
                MAX_TOKEN_LIFETIME.as_secs()
            )));
        }
        Ok(Self {
            grant,
            grant_name: config.grant.name(),
            endpoint,
            refresh,
            default_lifetime: lifetime,
            clock_skew: config.clock_skew,
            fallback_on_invalid_grant,
            secrets,
            #[cfg(feature = "dpop")]
            dpop: config.dpop.clone(),
            discovery,
        })
    }
}

/// The values of custom headers and of the custom payload's parameters, as secrets.
/// The discovery of a config whose `token_url` is its issuer (RFC 8414 §2: no query or
/// fragment).
fn discovery(config: &OAuth2Config, endpoint: &Endpoint) -> Result<std::sync::Arc<Discovery>> {
    if endpoint.url.query().is_some() || endpoint.url.fragment().is_some() {
        return Err(Error::invalid_config(
            "`issuer_url` has a query or fragment, which an issuer identifier cannot have \
             (RFC 8414 §2); give the issuer alone, e.g. https://idp.example",
        ));
    }
    #[cfg(feature = "dpop")]
    let dpop_algorithm = config.dpop.as_ref().map(|key| key.algorithm().as_str());
    #[cfg(not(feature = "dpop"))]
    let dpop_algorithm = None;
    Ok(std::sync::Arc::new(Discovery::new(
        &config.token_url,
        &endpoint.url,
        &endpoint.display,
        config.allow_insecure_http,
        Expectations {
            auth_method: endpoint.credential.method(),
            mutual_tls: config.certificate_bound
                || matches!(endpoint.credential, Credential::Certificate { .. }),
            dpop_algorithm,
        },
    )))
}

fn request_extras(headers: &[(String, String)], payload: Option<&str>) -> Vec<SecretString> {
    let header_values = headers.iter().map(|(_, value)| value.clone());
    let payload_values = payload
        .into_iter()
        .flat_map(|payload| form_urlencoded::parse(payload.as_bytes()))
        .map(|(_, value)| value.into_owned());
    header_values
        .chain(payload_values)
        .filter(|value| !value.is_empty())
        .map(SecretString::from)
        .collect()
}

impl CheckedConfig {
    /// The credentials to blank from server text, as text.
    pub(crate) fn secret_strs(&self) -> Vec<&str> {
        self.secrets
            .iter()
            .map(SecretString::expose_secret)
            .collect()
    }
}
