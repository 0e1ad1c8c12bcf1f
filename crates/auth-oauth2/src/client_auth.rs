//! How the client authenticates at the token endpoint (RFC 6749 §2.3, RFC 7523 §2.2): the
//! `token_endpoint_auth_method` of RFC 7591.

use std::fmt;

use auth_core::SecretString;

/// How the client authenticates at the token endpoint, named after the
/// `token_endpoint_auth_method` values of RFC 7591.
///
/// ```
/// use auth_oauth2::ClientAuth;
///
/// let basic = ClientAuth::basic("svc", "s3cr3t");             // client_secret_basic
/// let post = ClientAuth::post("svc", "s3cr3t");               // client_secret_post
/// let public = ClientAuth::public("mobile-app");              // none, with client_id
/// assert_eq!(basic.method(), "client_secret_basic");
/// assert_eq!(post.client_id(), Some("svc"));
/// assert_eq!(public.method(), "none");
/// ```
///
/// With the `jwt` feature, `private_key_jwt` and `client_secret_jwt` sign a fresh assertion
/// (`iss` = `sub` = the client id, `aud` = the endpoint URL, a one-minute lifetime, a fresh
/// `jti`) for every token request.
#[non_exhaustive]
#[derive(Clone)]
pub enum ClientAuth {
    /// `none`: a public client, sending its `client_id` in the body when it has one.
    #[non_exhaustive]
    None {
        /// The client id, if any.
        client_id: Option<String>,
    },
    /// `client_secret_basic`: `Authorization: Basic base64(id ":" secret)`.
    #[non_exhaustive]
    Basic {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
        /// How id and secret are encoded before base64.
        encoding: BasicEncoding,
    },
    /// `client_secret_post`: `client_id` and `client_secret` in the form body.
    #[non_exhaustive]
    Post {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
    /// `tls_client_auth` or `self_signed_tls_client_auth` (RFC 8705 §2): the client proves who it is with its TLS client certificate, sent by the
    /// transport (`auth-http`: `secure_socket.key` of the token endpoint's client), and sends
    /// only its `client_id`, no secret. `self_signed` picks `self_signed_tls_client_auth` (the
    /// server knows the certificate itself) over `tls_client_auth` (a CA-issued certificate
    /// whose subject the server knows). Tokens issued so are often certificate-bound: present
    /// them over a connection with the same client certificate.
    #[non_exhaustive]
    TlsClientAuth {
        /// The client id.
        client_id: String,
        /// `self_signed_tls_client_auth` rather than `tls_client_auth`.
        self_signed: bool,
    },
    /// `private_key_jwt` (RFC 7523 §2.2): an assertion signed with the client's private key.
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    #[non_exhaustive]
    PrivateKeyJwt {
        /// The client id (`iss` and `sub` of the assertion).
        client_id: String,
        /// The signer and the assertion's settings.
        assertion: ClientAssertion,
    },
    /// `client_secret_jwt` (RFC 7523 §2.2): an assertion signed with HMAC over the client
    /// secret, which must be as long as the hash (32 bytes for HS256).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    #[non_exhaustive]
    ClientSecretJwt {
        /// The client id.
        client_id: String,
        /// The client secret, the HMAC key.
        client_secret: SecretString,
        /// HS256, HS384 or HS512.
        algorithm: auth_jwt_issuer::Algorithm,
    },
}

impl ClientAuth {
    /// A public client that sends no `client_id`.
    pub fn none() -> Self {
        Self::None { client_id: None }
    }

    /// A public client that sends its `client_id` in the body.
    pub fn public(client_id: impl Into<String>) -> Self {
        Self::None {
            client_id: Some(client_id.into()),
        }
    }

    /// `client_secret_basic`, id and secret form-encoded before base64 (RFC 6749 §2.3.1).
    pub fn basic(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self::Basic {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            encoding: BasicEncoding::FormEncoded,
        }
    }

    /// `client_secret_basic` with id and secret used as they are, as Ballerina and some
    /// servers do.
    pub fn basic_raw(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self::Basic {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            encoding: BasicEncoding::Raw,
        }
    }

    /// `client_secret_post`.
    pub fn post(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Self::Post {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// `private_key_jwt`, signed by `signer` (a
    /// [`SigningKey`](auth_jwt_issuer::SigningKey) or your own
    /// [`JwsSigner`](auth_jwt_issuer::JwsSigner)) with the default assertion settings.
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn private_key_jwt(
        client_id: impl Into<String>,
        signer: impl auth_jwt_issuer::JwsSigner + 'static,
    ) -> Self {
        Self::private_key_jwt_with(client_id, ClientAssertion::new(signer))
    }

    /// `private_key_jwt` with chosen assertion settings.
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn private_key_jwt_with(client_id: impl Into<String>, assertion: ClientAssertion) -> Self {
        Self::PrivateKeyJwt {
            client_id: client_id.into(),
            assertion,
        }
    }

    /// `client_secret_jwt` with `algorithm` (HS256, HS384 or HS512).
    #[cfg(feature = "jwt")]
    #[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
    pub fn client_secret_jwt(
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
        algorithm: auth_jwt_issuer::Algorithm,
    ) -> Self {
        Self::ClientSecretJwt {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            algorithm,
        }
    }

    /// Certificate client authentication (RFC 8705 §2.1.1, PKI): `client_id` in the request,
    /// the CA-issued client certificate on the connection, no secret.
    pub fn tls_client_auth(client_id: impl Into<String>) -> Self {
        Self::TlsClientAuth {
            client_id: client_id.into(),
            self_signed: false,
        }
    }

    /// Self-signed certificate client authentication (RFC 8705 §2.2): as
    /// [`tls_client_auth`](Self::tls_client_auth), with a certificate the server holds.
    pub fn self_signed_tls_client_auth(client_id: impl Into<String>) -> Self {
        Self::TlsClientAuth {
            client_id: client_id.into(),
            self_signed: true,
        }
    }

    /// Whether the client authenticates with its TLS client certificate (RFC 8705), which its
    /// transport must then present.
    pub fn uses_client_certificate(&self) -> bool {
        matches!(self, Self::TlsClientAuth { .. })
    }

    /// The client id, if the client has one.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Self::None { client_id } => client_id.as_deref(),
            Self::Basic { client_id, .. }
            | Self::Post { client_id, .. }
            | Self::TlsClientAuth { client_id, .. } => Some(client_id),
            #[cfg(feature = "jwt")]
            Self::PrivateKeyJwt { client_id, .. } | Self::ClientSecretJwt { client_id, .. } => {
                Some(client_id)
            }
        }
    }

    /// The RFC 7591 `token_endpoint_auth_method` name.
    pub fn method(&self) -> &'static str {
        match self {
            Self::None { .. } => "none",
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
            Self::TlsClientAuth {
                self_signed: false, ..
            } => "tls_client_auth",
            Self::TlsClientAuth {
                self_signed: true, ..
            } => "self_signed_tls_client_auth",
            #[cfg(feature = "jwt")]
            Self::PrivateKeyJwt { .. } => "private_key_jwt",
            #[cfg(feature = "jwt")]
            Self::ClientSecretJwt { .. } => "client_secret_jwt",
        }
    }
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ClientAuth");
        debug
            .field("method", &self.method())
            .field("client_id", &self.client_id());
        match self {
            Self::Basic { encoding, .. } => {
                debug.field("encoding", encoding);
            }
            #[cfg(feature = "jwt")]
            Self::PrivateKeyJwt { assertion, .. } => {
                debug.field("assertion", assertion);
            }
            _ => {}
        }
        debug.finish_non_exhaustive()
    }
}

/// How the `Authorization: Basic` client credential is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum BasicEncoding {
    /// Form-encode id and secret before base64 (RFC 6749 §2.3.1).
    #[default]
    FormEncoded,
    /// Use them as they are (what Ballerina and some servers do).
    Raw,
}

/// The settings of a `private_key_jwt` client assertion (feature `jwt`).
#[cfg(feature = "jwt")]
#[cfg_attr(docsrs, doc(cfg(feature = "jwt")))]
#[derive(Clone)]
pub struct ClientAssertion {
    pub(crate) signer: auth_jwt_issuer::SharedSigner,
    pub(crate) audience: Option<auth_jwt_issuer::Audience>,
    pub(crate) lifetime: std::time::Duration,
}

#[cfg(feature = "jwt")]
impl ClientAssertion {
    /// The default lifetime of a client assertion: it is used once, at once (RFC 7523 §3).
    pub const DEFAULT_LIFETIME: std::time::Duration = std::time::Duration::from_secs(60);

    /// Assertions signed by `signer`, for the endpoint's URL, living a minute.
    pub fn new(signer: impl auth_jwt_issuer::JwsSigner + 'static) -> Self {
        Self::from_shared(std::sync::Arc::new(signer))
    }

    /// As [`new`](Self::new), with a signer already shared.
    pub fn from_shared(signer: auth_jwt_issuer::SharedSigner) -> Self {
        Self {
            signer,
            audience: None,
            lifetime: Self::DEFAULT_LIFETIME,
        }
    }

    /// `aud` other than the endpoint URL (some servers want their issuer identifier).
    #[must_use]
    pub fn audience(mut self, audience: impl Into<auth_jwt_issuer::Audience>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// A lifetime other than a minute.
    #[must_use]
    pub fn lifetime(mut self, lifetime: std::time::Duration) -> Self {
        self.lifetime = lifetime;
        self
    }
}

#[cfg(feature = "jwt")]
impl fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertion")
            .field("signer", &self.signer)
            .field("audience", &self.audience)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}
