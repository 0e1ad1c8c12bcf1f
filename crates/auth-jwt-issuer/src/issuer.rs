//! The synchronous JWT issuer: no HTTP, no async runtime.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::{Clock, CoarseClock, Error, Result, SecretString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::config::{Audience, IssuerConfig, KeyConfig, SignatureConfig};
use crate::keys;
use crate::signer::{KeyInput, Signer};

const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// Issues self-signed JWTs. The key is read, decrypted and parsed once, when the issuer is
/// built; [`issue`](Self::issue) only encodes the claims and signs.
///
/// ```
/// use auth_jwt_issuer::{Algorithm, JwtIssuer};
///
/// let issuer = JwtIssuer::builder()
///     .username("svc")
///     .issuer("acme")
///     .audience(["api"])
///     .hmac_secret(Algorithm::Hs256, "a shared secret of at least 32 bytes!")
///     .build()?;
/// let jwt = issuer.issue()?;
/// assert_eq!(jwt.expose_secret().split('.').count(), 3);
/// # Ok::<(), auth_core::Error>(())
/// ```
pub struct JwtIssuer {
    algorithm: Algorithm,
    signer: Signer,
    /// base64url of the header, followed by `.`.
    header_prefix: String,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<Audience>,
    jwt_id: Option<String>,
    custom_claims: Map<String, Value>,
    exp_time: u64,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
}

#[derive(Serialize)]
struct Claims<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a Audience>,
    exp: u64,
    nbf: u64,
    iat: u64,
    jti: &'a str,
    #[serde(flatten)]
    custom: &'a Map<String, Value>,
}

impl JwtIssuer {
    /// Builds an issuer from a configuration, reading and checking the key now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](auth_core::ErrorKind::InvalidConfig) for a missing
    /// signature config, a custom claim that reuses a registered name, or a zero `exp_time`;
    /// [`ErrorKind::KeyMaterial`](auth_core::ErrorKind::KeyMaterial) when the key cannot be
    /// read, decrypted or used with the algorithm. Messages name the file, alias or algorithm
    /// and never contain a password or key bytes.
    pub fn new(config: &IssuerConfig) -> Result<Self> {
        let Some(signature) = &config.signature_config else {
            return Err(Error::invalid_config(
                "no `signature_config`: set `signature_config.algorithm` and its key `config` \
                 (key_store, key_file or, for HS*, a shared secret), or set \
                 `signature_config.algorithm = \"none\"` to issue unsigned JWTs on purpose",
            ));
        };
        if let Some(claim) = config
            .custom_claims
            .keys()
            .find(|name| REGISTERED_CLAIMS.contains(&name.as_str()))
        {
            let field = match claim.as_str() {
                "iss" => "`issuer`",
                "sub" => "`username`",
                "aud" => "`audience`",
                "jti" => "`jwt_id`",
                _ => "`exp_time` (exp, nbf and iat are computed from it)",
            };
            return Err(Error::invalid_config(format!(
                "custom claim `{claim}` collides with the registered claim of that name; set it \
                 through {field} instead"
            )));
        }
        let audiences: Vec<&str> = match &config.audience {
            Some(Audience::One(one)) => vec![one.as_str()],
            Some(Audience::Many(many)) => many.iter().map(String::as_str).collect(),
            None => Vec::new(),
        };
        let strings = [
            ("username", config.username.as_deref()),
            ("issuer", config.issuer.as_deref()),
            ("jwt_id", config.jwt_id.as_deref()),
            ("key_id", config.key_id.as_deref()),
        ]
        .into_iter()
        .chain(audiences.into_iter().map(|a| ("audience", Some(a))));
        for (field, value) in strings {
            if let Some((at, c)) =
                value.and_then(|v| v.char_indices().find(|(_, c)| c.is_control()))
            {
                return Err(Error::invalid_config(format!(
                    "`{field}` contains a control character (U+{:04X}) at byte {at}; CR, LF, NUL \
                     and other control characters are not allowed",
                    u32::from(c)
                )));
            }
        }
        if config.exp_time == 0 {
            return Err(Error::invalid_config(
                "`exp_time` must be at least 1 second",
            ));
        }
        let algorithm = signature.algorithm;
        let (input, origin) = load_key(signature, algorithm)?;
        let signer = Signer::new(algorithm, input, &origin)?;

        let header = Header {
            alg: algorithm.as_str(),
            typ: "JWT",
            kid: config.key_id.as_deref(),
        };
        let header_json = serde_json::to_vec(&header)
            .map_err(|e| Error::other(format!("could not encode the JWT header ({e})")))?;
        let mut header_prefix = URL_SAFE_NO_PAD.encode(header_json);
        header_prefix.push('.');

        Ok(Self {
            algorithm,
            signer,
            header_prefix,
            issuer: config.issuer.clone(),
            subject: config.username.clone(),
            audience: config.audience.clone(),
            jwt_id: config.jwt_id.clone(),
            custom_claims: config.custom_claims.clone(),
            exp_time: config.exp_time,
            // Whole-second claims and a per-call expiry check: the cheap coarse clock suffices.
            clock: Arc::new(CoarseClock::new()),
            rng: SystemRandom::new(),
        })
    }

    /// A builder, for Rust callers.
    pub fn builder() -> IssuerBuilder {
        IssuerBuilder::default()
    }

    /// Reads time from `clock` instead of the default [`CoarseClock`].
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The lifetime of each token.
    pub fn exp_time(&self) -> Duration {
        Duration::from_secs(self.exp_time)
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Issues a JWT valid from now for `exp_time`.
    ///
    /// # Errors
    ///
    /// Only when the clock is before 1970 or the crypto library fails.
    pub fn issue(&self) -> Result<SecretString> {
        self.issue_at(self.clock.now()).map(|(jwt, _)| jwt)
    }

    /// Issues a JWT with `iat = nbf = now` (whole seconds) and returns it with its `exp`.
    ///
    /// # Errors
    ///
    /// As [`issue`](Self::issue).
    pub fn issue_at(&self, now: SystemTime) -> Result<(SecretString, SystemTime)> {
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::other("the clock is set before 1970; cannot issue a JWT"))?
            .as_secs();
        let exp = iat.saturating_add(self.exp_time);
        let random_jti;
        let jti = match &self.jwt_id {
            Some(jti) => jti.as_str(),
            None => {
                let mut bytes = [0u8; 16];
                self.rng
                    .fill(&mut bytes)
                    .map_err(|_| Error::other("the system random generator failed"))?;
                random_jti = URL_SAFE_NO_PAD.encode(bytes);
                random_jti.as_str()
            }
        };
        let claims = Claims {
            iss: self.issuer.as_deref(),
            sub: self.subject.as_deref(),
            aud: self.audience.as_ref(),
            exp,
            nbf: iat,
            iat,
            jti,
            custom: &self.custom_claims,
        };
        let payload = serde_json::to_vec(&claims)
            .map_err(|e| Error::other(format!("could not encode the JWT claims ({e})")))?;

        let encoded_payload_len = payload.len().div_ceil(3) * 4;
        let mut jwt = Zeroizing::new(String::with_capacity(
            self.header_prefix.len() + encoded_payload_len + 1 + 700,
        ));
        jwt.push_str(&self.header_prefix);
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let signature = self.signer.sign(jwt.as_bytes())?;
        jwt.push('.');
        if let Some(signature) = signature {
            URL_SAFE_NO_PAD.encode_string(signature, &mut jwt);
        }
        let jwt = SecretString::from(std::mem::take(&mut *jwt));
        Ok((jwt, UNIX_EPOCH + Duration::from_secs(exp)))
    }
}

fn load_key(signature: &SignatureConfig, algorithm: Algorithm) -> Result<(KeyInput, String)> {
    let Some(config) = &signature.config else {
        if algorithm == Algorithm::None {
            return Ok((KeyInput::Nothing, "the signature config".to_owned()));
        }
        return Err(Error::invalid_config(format!(
            "{algorithm} needs a key, but `signature_config.config` is missing; give key_store \
             + key_alias, or key_file{}",
            if matches!(
                algorithm,
                Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512
            ) {
                ", or the shared secret as a string"
            } else {
                ""
            }
        )));
    };
    let origin = config.describe();
    let input = match config {
        KeyConfig::KeyStore {
            path,
            password,
            alias,
            key_password,
        } => KeyInput::Key(keys::load_keystore(
            path,
            password,
            alias,
            key_password.as_ref(),
        )?),
        KeyConfig::KeyFile { path, password } => {
            KeyInput::Key(keys::load_file(path, password.as_ref())?)
        }
        KeyConfig::KeyBytes { bytes, password } => {
            KeyInput::Key(keys::from_bytes(bytes, password.as_ref(), &origin)?)
        }
        KeyConfig::Secret(secret) => KeyInput::Secret(secret.clone()),
    };
    Ok((input, origin))
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("algorithm", &self.algorithm)
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("audience", &self.audience)
            .field("exp_time", &self.exp_time)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtIssuer`] field by field. See [`IssuerConfig`] for what each field means.
#[derive(Debug, Default)]
#[must_use]
pub struct IssuerBuilder {
    config: IssuerConfig,
    clock: Option<Arc<dyn Clock>>,
}

impl IssuerBuilder {
    /// `sub`.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.config.username = Some(username.into());
        self
    }

    /// `iss`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.config.issuer = Some(issuer.into());
        self
    }

    /// `aud`: a `&str` or `String` for one audience, an array or `Vec` for a list.
    pub fn audience(mut self, audience: impl Into<Audience>) -> Self {
        self.config.audience = Some(audience.into());
        self
    }

    /// A fixed `jti` (by default each token gets a fresh random one).
    pub fn jwt_id(mut self, jwt_id: impl Into<String>) -> Self {
        self.config.jwt_id = Some(jwt_id.into());
        self
    }

    /// The header's `kid`.
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.config.key_id = Some(key_id.into());
        self
    }

    /// Adds a custom claim.
    pub fn custom_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.config.custom_claims.insert(name.into(), value.into());
        self
    }

    /// The lifetime of each token, in whole seconds (default 300 s).
    pub fn exp_time(mut self, exp_time: Duration) -> Self {
        self.config.exp_time = exp_time.as_secs();
        self
    }

    /// Signs with the key under `alias` in a PKCS#12 keystore.
    pub fn key_store(
        mut self,
        algorithm: Algorithm,
        path: impl Into<PathBuf>,
        password: impl Into<SecretString>,
        alias: impl Into<String>,
        key_password: Option<SecretString>,
    ) -> Self {
        self.config.signature_config = Some(SignatureConfig::new(
            algorithm,
            Some(KeyConfig::KeyStore {
                path: path.into(),
                password: password.into(),
                alias: alias.into(),
                key_password,
            }),
        ));
        self
    }

    /// Signs with the key in a PEM or DER file, decrypting it with `password` if encrypted.
    pub fn key_file(
        mut self,
        algorithm: Algorithm,
        path: impl Into<PathBuf>,
        password: Option<SecretString>,
    ) -> Self {
        self.config.signature_config = Some(SignatureConfig::new(
            algorithm,
            Some(KeyConfig::KeyFile {
                path: path.into(),
                password,
            }),
        ));
        self
    }

    /// Signs with a key given as PEM text or DER bytes.
    pub fn key_bytes(
        mut self,
        algorithm: Algorithm,
        bytes: impl Into<Vec<u8>>,
        password: Option<SecretString>,
    ) -> Self {
        self.config.signature_config = Some(SignatureConfig::new(
            algorithm,
            Some(KeyConfig::KeyBytes {
                bytes: Zeroizing::new(bytes.into()),
                password,
            }),
        ));
        self
    }

    /// Signs with HS256/384/512 and a shared secret.
    pub fn hmac_secret(mut self, algorithm: Algorithm, secret: impl Into<SecretString>) -> Self {
        self.config.signature_config = Some(SignatureConfig::new(
            algorithm,
            Some(KeyConfig::Secret(secret.into())),
        ));
        self
    }

    /// Issues unsigned JWTs (`alg: none`, `header.payload.`). Only for peers that ask for it.
    pub fn unsigned(mut self) -> Self {
        self.config.signature_config = Some(SignatureConfig::new(Algorithm::None, None));
        self
    }

    /// Reads time from `clock` (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the issuer.
    ///
    /// # Errors
    ///
    /// As [`JwtIssuer::new`].
    pub fn build(self) -> Result<JwtIssuer> {
        let issuer = JwtIssuer::new(&self.config)?;
        Ok(match self.clock {
            Some(clock) => issuer.with_clock(clock),
            None => issuer,
        })
    }
}
