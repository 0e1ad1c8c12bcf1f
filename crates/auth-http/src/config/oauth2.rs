//! An OAuth2 record into the grant, the client authentication, the token request's settings
//! and the transports' own settings (feature `oauth2`).

use std::sync::Arc;

use auth_core::{Error, Result, SecretString, SharedAuthProvider};
use auth_oauth2::{
    Assertion, ClientAuth, Grant, JwtBearerGrant, OAuth2Config, OAuth2Provider, PasswordGrant,
    RefreshConfig, RefreshTokenGrant, SubjectToken, TokenExchangeGrant,
};

use super::records::{ClientRecord, OAuth2Record, RefreshChoice, StoreRecord};
use super::values::{BasicEncoding, CertificateAuth, CredentialBearer, OneOrMany, Scopes};
use crate::transport::ReqwestTransport;

fn invalid(message: impl Into<String>) -> Error {
    super::shape_error(message.into())
}

impl OAuth2Record {
    /// The provider, with its transports and the `[store]` it shares tokens through. Keys
    /// are read now; nothing is sent.
    pub(crate) fn build(&self, store: Option<&StoreRecord>) -> Result<SharedAuthProvider> {
        let (config, token_client, refresh_client) = self.to_config()?;
        let transport = ReqwestTransport::new(&token_client.settings())?;
        let mut builder = OAuth2Provider::builder(config, Arc::new(transport));
        if let Some(refresh_client) = refresh_client {
            let transport = ReqwestTransport::new(&refresh_client.settings())?;
            builder = builder.refresh_transport(Arc::new(transport));
        }
        if let Some(store) = store {
            #[cfg(feature = "store")]
            if let Some(settings) = store.settings()? {
                builder = builder.store(settings);
            }
            #[cfg(not(feature = "store"))]
            store.refuse_shared()?;
        }
        Ok(SharedAuthProvider::new(builder.build()?))
    }

    fn to_config(&self) -> Result<(OAuth2Config, &ClientRecord, Option<&ClientRecord>)> {
        static DEFAULT_CLIENT: std::sync::LazyLock<ClientRecord> =
            std::sync::LazyLock::new(ClientRecord::default);
        let forbid = |present: bool, field: &str, grant: &str| {
            if present {
                Err(invalid(format!(
                    "`{field}` does not belong to the {grant} grant; remove it"
                )))
            } else {
                Ok(())
            }
        };
        let has_assertion = self.assertion.is_some() || self.assertion_config.is_some();
        // The password and jwt-bearer grants' own fields, which the refresh-token and token
        // exchange grants do not take.
        let forbid_user_grant_fields = |grant: &str| {
            forbid(self.username.is_some(), "username", grant)?;
            forbid(self.password.is_some(), "password", grant)?;
            forbid(has_assertion, "assertion", grant)?;
            forbid(self.refresh_config.is_some(), "refresh_config", grant)?;
            forbid(
                self.fallback_on_invalid_grant.is_some(),
                "fallback_on_invalid_grant",
                grant,
            )
        };
        let mut refresh_client = None;
        let (token_url, discover) = match (&self.token_url, &self.issuer_url) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give `token_url` or `issuer_url` (whose metadata names the token \
                     endpoint), not both",
                ));
            }
            (None, Some(issuer)) => (Some(issuer), true),
            (token_url, None) => (token_url.as_ref(), false),
        };
        if !self.has_subject_token() {
            self.refuse_exchange_fields()?;
        }
        let (url, grant) = match (token_url, &self.refresh_url) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give `token_url` or `issuer_url` (client credentials, password or jwt-bearer grant) or \
                     `refresh_url` (refresh-token grant), not both; the password grant's \
                     refresh URL goes in `refresh_config`",
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "an OAuth2 config needs `token_url` (client credentials, password or \
                     jwt-bearer grant) or `refresh_url` with `refresh_token` (refresh-token grant)",
                ));
            }
            (None, Some(refresh_url)) => {
                let grant = "refresh-token";
                forbid(self.has_subject_token(), "subject_token", grant)?;
                forbid_user_grant_fields(grant)?;
                let refresh_token = self.refresh_token.clone().ok_or_else(|| {
                    invalid("`refresh_url` selects the refresh-token grant, which needs `refresh_token`")
                })?;
                (
                    refresh_url,
                    Grant::from(RefreshTokenGrant::new(refresh_token)),
                )
            }
            (Some(token_url), None) => {
                if self.refresh_token.is_some() {
                    return Err(invalid(
                        "`refresh_token` belongs to the refresh-token grant, which takes \
                         `refresh_url` instead of `token_url`",
                    ));
                }
                let fallback = self.fallback_on_invalid_grant.unwrap_or(true);
                let grant = if self.has_subject_token() {
                    forbid_user_grant_fields("token exchange")?;
                    Grant::from(self.exchange()?)
                } else if self.username.is_some() || self.password.is_some() {
                    forbid(has_assertion, "assertion", "password")?;
                    let (Some(username), Some(password)) = (&self.username, &self.password) else {
                        return Err(invalid(
                            "the password grant needs both `username` and `password`",
                        ));
                    };
                    let mut grant = PasswordGrant::new(username, password.clone())
                        .fallback_on_invalid_grant(fallback);
                    if let Some(RefreshChoice::Explicit(refresh)) = &self.refresh_config {
                        let mut config = RefreshConfig::new(&refresh.refresh_url)
                            .scopes(
                                refresh
                                    .scopes
                                    .clone()
                                    .map(Scopes::into_vec)
                                    .unwrap_or_default(),
                            )
                            .client_auth(self.client_auth(refresh.credential_bearer)?);
                        for (name, value) in &refresh.optional_params {
                            config = config.optional_param(name, value);
                        }
                        // An explicit refresh config does not inherit the token endpoint's
                        // client settings, as in Ballerina.
                        let client = refresh.client_config.as_ref().unwrap_or(&DEFAULT_CLIENT);
                        client.check_no_auth("refresh_config.client_config")?;
                        for (name, value) in &client.custom_headers {
                            config = config.custom_header(name, value);
                        }
                        if let Some(payload) = &client.custom_payload {
                            config = config.custom_payload(payload);
                        }
                        refresh_client = Some(client);
                        grant = grant.refresh(config);
                    }
                    Grant::from(grant)
                } else if has_assertion {
                    forbid(
                        self.refresh_config.is_some(),
                        "refresh_config",
                        "jwt-bearer",
                    )?;
                    Grant::from(
                        JwtBearerGrant::new(self.assertion()?).fallback_on_invalid_grant(fallback),
                    )
                } else {
                    let grant = "client credentials";
                    forbid(self.refresh_config.is_some(), "refresh_config", grant)?;
                    forbid(
                        self.fallback_on_invalid_grant.is_some(),
                        "fallback_on_invalid_grant",
                        grant,
                    )?;
                    if self.client_id.is_none()
                        || (self.client_secret.is_none()
                            && self.client_assertion.is_none()
                            && self.client_auth.is_none())
                    {
                        return Err(invalid(
                            "`token_url` with neither `username`/`password` nor `assertion` \
                             selects the client credentials grant, which needs `client_id` and \
                             `client_secret` (or a `client_assertion`, or `client_auth = \
                             \"tls_client_auth\"` with a client certificate)",
                        ));
                    }
                    Grant::ClientCredentials
                };
                (token_url, grant)
            }
        };

        let client = self.client_config.as_ref().unwrap_or(&DEFAULT_CLIENT);
        client.check_no_auth("client_config")?;
        if let Some(method) = self.client_auth
            && client.client_key().is_none()
        {
            let name = method.name();
            return Err(invalid(format!(
                "`client_auth = \"{name}\"` authenticates with the TLS client certificate of \
                 `client_config.secure_socket.key`, which is not set; add it (`{{ cert_file, \
                 key_file }}` or a PKCS#12 `{{ path, password }}`)"
            )));
        }
        let config = if discover {
            OAuth2Config::discovered(url, grant)
        } else {
            OAuth2Config::new(url, grant)
        };
        let mut config = config
            .client_auth(self.client_auth(self.credential_bearer)?)
            .scopes(
                self.scopes
                    .clone()
                    .map(Scopes::into_vec)
                    .unwrap_or_default(),
            )
            .allow_insecure_http(self.allow_insecure_http)
            .certificate_bound(self.certificate_bound);
        if let Some(lifetime) = self.default_token_exp_time {
            config = config.default_token_exp_time(lifetime);
        }
        if let Some(skew) = self.clock_skew {
            config = config.clock_skew(skew);
        }
        for (name, value) in &self.optional_params {
            config = config.optional_param(name, value);
        }
        if let Some(dpop) = &self.dpop {
            #[cfg(feature = "dpop")]
            {
                config = config.dpop(dpop.key()?);
            }
            #[cfg(not(feature = "dpop"))]
            dpop.key()?;
        }
        for (name, value) in &client.custom_headers {
            config = config.custom_header(name, value);
        }
        if let Some(payload) = &client.custom_payload {
            config = config.custom_payload(payload);
        }
        Ok((config, client, refresh_client))
    }

    /// How the client authenticates, with the credentials of this record and `bearer`.
    fn client_auth(&self, bearer: Option<CredentialBearer>) -> Result<ClientAuth> {
        if let Some(method) = self.client_auth {
            let name = method.name();
            if bearer.is_some() || self.basic_encoding.is_some() {
                return Err(invalid(format!(
                    "`client_auth = \"{name}\"` sends no secret, so `credential_bearer` and \
                     `basic_encoding` have nothing to say; remove them"
                )));
            }
            if self.client_secret.is_some() || self.client_assertion.is_some() {
                return Err(invalid(format!(
                    "`client_auth = \"{name}\"` authenticates with the client certificate and \
                     no secret; remove `client_secret` / `client_assertion`"
                )));
            }
            let Some(id) = &self.client_id else {
                return Err(invalid(format!(
                    "`client_auth = \"{name}\"` needs `client_id` (sent with every token request)"
                )));
            };
            return Ok(match method {
                CertificateAuth::Pki => ClientAuth::tls_client_auth(id),
                CertificateAuth::SelfSigned => ClientAuth::self_signed_tls_client_auth(id),
            });
        }
        if let Some(assertion) = &self.client_assertion {
            return self.client_assertion(assertion);
        }
        Ok(match (&self.client_id, &self.client_secret) {
            (Some(id), Some(secret)) => match (bearer.unwrap_or_default(), self.basic_encoding) {
                (CredentialBearer::PostBody, _) => ClientAuth::post(id, secret.clone()),
                (CredentialBearer::AuthHeader, Some(BasicEncoding::Raw)) => {
                    ClientAuth::basic_raw(id, secret.clone())
                }
                (CredentialBearer::AuthHeader, _) => ClientAuth::basic(id, secret.clone()),
            },
            (Some(id), None) => ClientAuth::public(id),
            (None, Some(_)) => {
                return Err(invalid("`client_secret` is set but `client_id` is not"));
            }
            (None, None) => ClientAuth::none(),
        })
    }

    #[cfg(feature = "jwt")]
    fn client_assertion(&self, record: &super::records::JwtRecord) -> Result<ClientAuth> {
        if self.client_secret.is_some() {
            return Err(invalid(
                "give `client_secret` or `client_assertion`, not both (for client_secret_jwt, \
                 the secret goes in the assertion's HS256/384/512 signature config)",
            ));
        }
        let Some(id) = &self.client_id else {
            return Err(invalid(
                "`client_assertion` needs `client_id` (it becomes the assertion's iss and sub)",
            ));
        };
        for (present, field) in [
            (record.username.is_some(), "username"),
            (record.issuer.is_some(), "issuer"),
            (record.jwt_id.is_some(), "jwt_id"),
            (!record.custom_claims.is_empty(), "custom_claims"),
        ] {
            if present {
                return Err(invalid(format!(
                    "`client_assertion.{field}` cannot be set: a client assertion's iss and sub \
                     are the client id, and its jti is fresh for every request (RFC 7523 §3); \
                     remove it"
                )));
            }
        }
        let mut signer = record.signature_config.signer()?;
        if let Some(key_id) = &record.key_id {
            signer = signer.with_key_id(key_id);
        }
        let mut assertion = auth_oauth2::ClientAssertion::new(signer);
        if let Some(audience) = &record.audience {
            assertion = assertion.audience(audience.to_audience());
        }
        if let Some(lifetime) = record.exp_time {
            assertion = assertion.lifetime(lifetime);
        }
        Ok(ClientAuth::private_key_jwt_with(id, assertion))
    }

    #[cfg(not(feature = "jwt"))]
    fn client_assertion(&self, _: &super::records::JwtRecord) -> Result<ClientAuth> {
        Err(invalid(
            "`client_assertion` needs auth-http's `jwt` feature",
        ))
    }

    fn assertion(&self) -> Result<Assertion> {
        match (&self.assertion, &self.assertion_config) {
            (Some(_), Some(_)) => Err(invalid("give `assertion` or `assertion_config`, not both")),
            (Some(jwt), None) => Ok(Assertion::fixed(SecretString::clone(jwt))),
            (None, Some(record)) => issued(record),
            (None, None) => Err(invalid(
                "the jwt-bearer grant needs `assertion` or `assertion_config`",
            )),
        }
    }
}

#[cfg(feature = "jwt")]
fn issued(record: &super::records::JwtRecord) -> Result<Assertion> {
    Ok(Assertion::issued(record.issuer()?))
}

#[cfg(not(feature = "jwt"))]
fn issued(_: &super::records::JwtRecord) -> Result<Assertion> {
    Err(invalid(
        "`assertion_config` needs auth-http's `jwt` feature",
    ))
}

impl OAuth2Record {
    /// The client certificate resource requests must present: the token endpoint's, when the
    /// tokens are certificate-bound (`certificate_bound = true`).
    pub(crate) fn resource_certificate(&self) -> Result<Option<crate::tls::ClientKey>> {
        if !self.certificate_bound {
            return Ok(None);
        }
        let key = self
            .client_config
            .as_ref()
            .and_then(ClientRecord::client_key)
            .ok_or_else(|| {
                invalid(
                    "`certificate_bound = true` makes resource requests present the token \
                     endpoint's client certificate, but `client_config.secure_socket.key` is \
                     not set; add it",
                )
            })?;
        Ok(Some(key.clone()))
    }
}

impl OAuth2Record {
    /// The token exchange grant (RFC 8693) this record describes.
    fn exchange(&self) -> Result<TokenExchangeGrant> {
        let subject = source(
            "subject_token",
            self.subject_token.as_ref(),
            self.subject_token_file.as_ref(),
            self.subject_token_env.as_ref(),
        )?
        .ok_or_else(|| invalid("the token exchange grant needs `subject_token`"))?;
        let mut grant = TokenExchangeGrant::new(subject);
        if let Some(kind) = &self.subject_token_type {
            grant = grant.subject_token_type(kind);
        }
        if let Some(actor) = source(
            "actor_token",
            self.actor_token.as_ref(),
            self.actor_token_file.as_ref(),
            self.actor_token_env.as_ref(),
        )? {
            grant = grant.actor_token(actor);
        }
        if let Some(kind) = &self.actor_token_type {
            grant = grant.actor_token_type(kind);
        }
        if let Some(kind) = &self.requested_token_type {
            grant = grant.requested_token_type(kind);
        }
        for audience in self
            .audience
            .clone()
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
        {
            grant = grant.audience(audience);
        }
        for resource in self
            .resource
            .clone()
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
        {
            grant = grant.resource(resource);
        }
        Ok(grant)
    }

    /// Token exchange's own fields, in a record of another grant.
    fn refuse_exchange_fields(&self) -> Result<()> {
        for (present, field) in [
            (self.subject_token_type.is_some(), "subject_token_type"),
            (
                self.actor_token.is_some()
                    || self.actor_token_file.is_some()
                    || self.actor_token_env.is_some(),
                "actor_token",
            ),
            (self.actor_token_type.is_some(), "actor_token_type"),
            (self.requested_token_type.is_some(), "requested_token_type"),
            (self.audience.is_some(), "audience"),
            (self.resource.is_some(), "resource"),
        ] {
            if present {
                return Err(invalid(format!(
                    "`{field}` belongs to the token exchange grant, which `subject_token` (or \
                     `subject_token_file`, `subject_token_env`) selects; for another grant, \
                     send it with `optional_params`"
                )));
            }
        }
        Ok(())
    }
}

/// The one source of `name` among its text, file and variable forms, if any.
fn source(
    name: &str,
    text: Option<&SecretString>,
    file: Option<&std::path::PathBuf>,
    env: Option<&String>,
) -> Result<Option<SubjectToken>> {
    match (text, file, env) {
        (None, None, None) => Ok(None),
        (Some(text), None, None) => Ok(Some(SubjectToken::fixed(text.clone()))),
        (None, Some(path), None) => Ok(Some(SubjectToken::file(path.clone()))),
        (None, None, Some(var)) => Ok(Some(SubjectToken::env(var.clone()))),
        _ => Err(invalid(format!(
            "give one of `{name}`, `{name}_file` and `{name}_env`, not several"
        ))),
    }
}

impl CertificateAuth {
    fn name(self) -> &'static str {
        match self {
            Self::Pki => "tls_client_auth",
            Self::SelfSigned => "self_signed_tls_client_auth",
        }
    }
}

impl ClientRecord {
    /// The client certificate and key of `secure_socket`, if any.
    pub(crate) fn client_key(&self) -> Option<&crate::tls::ClientKey> {
        self.secure_socket.as_ref()?.key.as_ref()
    }

    /// A `client_config` holds no `auth` table.
    fn check_no_auth(&self, at: &str) -> Result<()> {
        if self.auth.is_some() {
            return Err(invalid(format!("`{at}` cannot hold an `auth` table")));
        }
        if self.store.is_some() {
            return Err(invalid(format!(
                "`{at}` cannot hold a `store` table; [store] goes at the top level of the file"
            )));
        }
        Ok(())
    }
}
