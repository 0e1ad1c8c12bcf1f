//! One endpoint (token or refresh), checked, with everything that goes with each request to it:
//! the URL, the scope and parameters, the client credential, custom headers and payload.

use auth_core::{Result, Scheme, SecretString, Token};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderName, HeaderValue};
use url::Url;
use zeroize::Zeroizing;

use crate::checks::{
    check_credential, check_custom_payload, check_field, check_name, check_optional_params,
    check_scopes, check_url,
};
use crate::client_auth::{BasicEncoding, ClientAuth};

/// How the client proves who it is on each request, ready to attach.
pub(crate) enum Credential {
    /// Nothing (a public client without an id).
    Nothing,
    /// `client_id` in the body (a public client).
    PublicId(String),
    /// `Authorization: Basic ...`, precomputed, sensitive, wiped on drop; `secret` and
    /// `id_colon_secret` (unencoded) are kept to blank them from echoes.
    Basic {
        header: Token,
        secret: SecretString,
        id_colon_secret: SecretString,
    },
    /// `client_id` and `client_secret` in the body.
    Post { id: String, secret: SecretString },
    /// RFC 8705: the id in the form, the TLS client certificate on the connection.
    Certificate { id: String, self_signed: bool },
    /// `client_assertion` (RFC 7523 §2.2), signed fresh for every request.
    #[cfg(feature = "jwt")]
    Assertion {
        id: String,
        issuer: auth_jwt_issuer::JwtIssuer,
    },
}

impl Credential {
    /// `audience`: a client assertion's default `aud`, the token endpoint (or, for a
    /// discovered one, the issuer exactly as configured).
    fn new(client_auth: &ClientAuth, audience: &str) -> Result<Self> {
        #[cfg(not(feature = "jwt"))]
        let _ = audience;
        Ok(match client_auth {
            ClientAuth::None { client_id: None } => Self::Nothing,
            ClientAuth::None {
                client_id: Some(id),
            } => {
                check_name("client_id", id)?;
                Self::PublicId(id.clone())
            }
            ClientAuth::Basic {
                client_id,
                client_secret,
                encoding,
            } => {
                check_name("client_id", client_id)?;
                check_credential("client_secret", client_secret)?;
                // Every intermediate form of the secret is wiped when dropped, and sized for the
                // worst case (every byte percent-encoded) so it never reallocates.
                let mut plain = Zeroizing::new(String::with_capacity(
                    3 * (client_id.len() + client_secret.expose_secret().len()) + 1,
                ));
                match encoding {
                    BasicEncoding::FormEncoded => {
                        plain.extend(form_urlencoded::byte_serialize(client_id.as_bytes()));
                        plain.push(':');
                        plain.extend(form_urlencoded::byte_serialize(
                            client_secret.expose_secret().as_bytes(),
                        ));
                    }
                    BasicEncoding::Raw => {
                        plain.push_str(client_id);
                        plain.push(':');
                        plain.push_str(client_secret.expose_secret());
                    }
                }
                // A `Token` keeps the header in a buffer wiped on drop and marks it sensitive.
                let header = Token::new(Scheme::Basic, STANDARD.encode(plain.as_bytes()))?;
                Self::Basic {
                    header,
                    secret: client_secret.clone(),
                    // Unencoded: `sanitize` decodes what the server echoes, so this one form
                    // matches `id:secret` raw, form-encoded and percent-encoded alike.
                    id_colon_secret: SecretString::from(format!(
                        "{client_id}:{}",
                        client_secret.expose_secret()
                    )),
                }
            }
            ClientAuth::Post {
                client_id,
                client_secret,
            } => {
                check_name("client_id", client_id)?;
                check_credential("client_secret", client_secret)?;
                Self::Post {
                    id: client_id.clone(),
                    secret: client_secret.clone(),
                }
            }
            ClientAuth::TlsClientAuth {
                client_id,
                self_signed,
            } => {
                check_name("client_id", client_id)?;
                Self::Certificate {
                    id: client_id.clone(),
                    self_signed: *self_signed,
                }
            }
            #[cfg(feature = "jwt")]
            ClientAuth::PrivateKeyJwt {
                client_id,
                assertion,
            } => {
                check_name("client_id", client_id)?;
                let audience = assertion
                    .audience
                    .clone()
                    .unwrap_or_else(|| auth_jwt_issuer::Audience::One(audience.to_owned()));
                Self::assertion(
                    client_id,
                    std::sync::Arc::clone(&assertion.signer),
                    audience,
                    assertion.lifetime,
                )?
            }
            #[cfg(feature = "jwt")]
            ClientAuth::ClientSecretJwt {
                client_id,
                client_secret,
                algorithm,
            } => {
                check_name("client_id", client_id)?;
                check_credential("client_secret", client_secret)?;
                let signer = auth_jwt_issuer::SigningKey::hmac(*algorithm, client_secret.clone())?;
                Self::assertion(
                    client_id,
                    std::sync::Arc::new(signer),
                    auth_jwt_issuer::Audience::One(audience.to_owned()),
                    crate::client_auth::ClientAssertion::DEFAULT_LIFETIME,
                )?
            }
        })
    }

    #[cfg(feature = "jwt")]
    fn assertion(
        client_id: &str,
        signer: auth_jwt_issuer::SharedSigner,
        audience: auth_jwt_issuer::Audience,
        lifetime: std::time::Duration,
    ) -> Result<Self> {
        let issuer = auth_jwt_issuer::JwtIssuer::builder()
            .issuer(client_id)
            .username(client_id)
            .audience(audience)
            .exp_time(lifetime)
            .shared_signer(signer)
            .build()?;
        Ok(Self::Assertion {
            id: client_id.to_owned(),
            issuer,
        })
    }

    /// Whether the client authenticates at all (a client credentials grant needs it to).
    /// The RFC 7591 `token_endpoint_auth_method` this credential uses.
    pub(crate) fn method(&self) -> &'static str {
        match self {
            Self::Nothing | Self::PublicId(_) => "none",
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
            Self::Certificate {
                self_signed: false, ..
            } => "tls_client_auth",
            Self::Certificate {
                self_signed: true, ..
            } => "self_signed_tls_client_auth",
            // client_secret_jwt signs with the secret (HS256/384/512).
            #[cfg(feature = "jwt")]
            Self::Assertion { issuer, .. }
                if issuer.signer().algorithm().as_str().starts_with("HS") =>
            {
                "client_secret_jwt"
            }
            #[cfg(feature = "jwt")]
            Self::Assertion { .. } => "private_key_jwt",
        }
    }

    pub(crate) fn authenticates(&self) -> bool {
        !matches!(self, Self::Nothing | Self::PublicId(_))
    }

    /// The secrets this credential puts on the wire, to blank them from echoes.
    pub(crate) fn secrets(&self) -> Vec<SecretString> {
        match self {
            Self::Basic {
                header,
                secret,
                id_colon_secret,
            } => vec![
                secret.clone(),
                SecretString::from(header.expose_credential()),
                id_colon_secret.clone(),
            ],
            Self::Post { secret, .. } => vec![secret.clone()],
            _ => Vec::new(),
        }
    }
}

/// Everything that is the same for every request to one endpoint.
pub(crate) struct Endpoint {
    /// The token endpoint; for a discovered one, the issuer (the endpoint is found later).
    pub(crate) url: Url,
    /// The URL is the issuer's: requests go to the endpoint its metadata names.
    pub(crate) discovered: bool,
    /// The URL without user info, query or fragment, for messages and logs.
    pub(crate) display: String,
    pub(crate) scope: Option<String>,
    pub(crate) optional_params: Vec<(String, String)>,
    pub(crate) credential: Credential,
    pub(crate) custom_headers: HeaderMap,
    pub(crate) custom_payload: Option<String>,
}

/// What an endpoint is made from.
pub(crate) struct EndpointSettings<'a> {
    pub(crate) field: &'static str,
    pub(crate) url: &'a str,
    pub(crate) allow_insecure_http: bool,
    pub(crate) scopes: &'a [String],
    pub(crate) optional_params: &'a [(String, String)],
    pub(crate) custom_headers: &'a [(String, String)],
    pub(crate) custom_payload: Option<&'a str>,
    pub(crate) client_auth: &'a ClientAuth,
    /// `url` is an issuer whose metadata names the endpoint.
    pub(crate) discovered: bool,
}

impl Endpoint {
    pub(crate) fn new(settings: &EndpointSettings<'_>) -> Result<Self> {
        let (url, display) = check_url(settings.field, settings.url, settings.allow_insecure_http)?;
        check_scopes(settings.scopes)?;
        check_optional_params(settings.optional_params)?;
        let mut custom_headers = HeaderMap::new();
        for (name, value) in settings.custom_headers {
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                auth_core::Error::invalid_config(format!(
                    "custom header name `{name}` is not a valid header name"
                ))
            })?;
            check_field(&format!("custom header `{name}`"), value)?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                auth_core::Error::invalid_config(format!(
                    "custom header `{name}` has a value that cannot stand in an HTTP header"
                ))
            })?;
            // Custom headers often carry API keys: keep them out of any debug output.
            value.set_sensitive(true);
            custom_headers.insert(header, value);
        }
        if let Some(payload) = settings.custom_payload {
            check_custom_payload(payload)?;
        }
        let scopes = settings.scopes;
        Ok(Self {
            // A discovered endpoint is not known yet: its assertions name the issuer, as
            // configured (RFC 7523 §3 lets `aud` identify the authorization server).
            credential: Credential::new(
                settings.client_auth,
                if settings.discovered {
                    settings.url.trim()
                } else {
                    url.as_str()
                },
            )?,
            url,
            discovered: settings.discovered,
            display,
            scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
            optional_params: settings
                .optional_params
                .iter()
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect(),
            custom_headers,
            custom_payload: settings.custom_payload.map(str::to_owned),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::sanitize;

    /// Every form a Basic client credential takes on the wire, echoed back, is blanked by the
    /// secrets the credential lists — also for a secret too short to be searched for alone.
    #[test]
    fn every_echoed_form_of_a_basic_credential_is_blanked() {
        let url = Url::parse("https://idp.example/token").unwrap();
        for (id, secret) in [("cl ient", "p@ss w+rd:%ü"), ("cli", "x")] {
            let form = |text: &str| -> String {
                form_urlencoded::byte_serialize(text.as_bytes()).collect()
            };
            let id_colon_secret = format!("{id}:{secret}");
            let form_encoded = format!("{}:{}", form(id), form(secret));
            // The header as sent: base64 of `id:secret`, form-encoded first (RFC 6749) or raw.
            for (auth, sent) in [
                (ClientAuth::basic(id, secret), &form_encoded),
                (ClientAuth::basic_raw(id, secret), &id_colon_secret),
            ] {
                let credential = Credential::new(&auth, url.as_str()).unwrap();
                let secrets = credential.secrets();
                let secrets: Vec<&str> = secrets.iter().map(SecretString::expose_secret).collect();
                let echoes = [
                    STANDARD.encode(sent),
                    id_colon_secret.clone(),
                    form_encoded.clone(),
                    form(&id_colon_secret),
                    form(&id_colon_secret).replace('+', "%20"),
                ];
                for echo in echoes {
                    let clean = sanitize(&format!("refused: {echo} (bad)"), &secrets, 300);
                    assert_eq!(clean, "refused: [redacted] (bad)", "{echo}");
                }
            }
        }
    }
}
