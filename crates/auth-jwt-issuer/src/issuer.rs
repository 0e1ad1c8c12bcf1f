//! The synchronous JWT issuer: no HTTP, no async runtime.

use std::fmt;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::cache::CoarseClock;
use auth_core::text::{TextRule, check_chars};
use auth_core::{Clock, Error, Result, SecretString};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::algorithm::Algorithm;
use crate::audience::Audience;
use crate::jti::JtiSource;
use crate::signer::{JwsSigner, SharedSigner};

/// The default lifetime of an issued JWT (Ballerina's `expTime`, 300 s).
pub const DEFAULT_EXP_TIME: Duration = Duration::from_secs(300);

/// The longest lifetime an issuer accepts (one year): longer ones are configuration mistakes,
/// and bounding them keeps every expiry computation in range.
pub const MAX_EXP_TIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

const REGISTERED_CLAIMS: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

/// Issues self-signed JWTs: a claims template (issuer, subject, audience, custom claims,
/// lifetime) and a [`JwsSigner`]. [`issue`](Self::issue) only encodes the claims and signs;
/// everything else was checked when the issuer was built.
///
/// ```
/// use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};
///
/// let issuer = JwtIssuer::builder()
///     .username("svc")
///     .issuer("acme")
///     .audience(["api"])
///     .signer(SigningKey::hmac(Algorithm::Hs256, "a shared secret of at least 32 bytes!")?)
///     .build()?;
/// let jwt = issuer.issue()?;
/// assert_eq!(jwt.expose_secret().split('.').count(), 3);
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct JwtIssuer {
    signer: SharedSigner,
    /// Shared by clones, which keeps an issuer small and cheap to clone.
    fixed: Arc<FixedParts>,
    exp_time: Duration,
    clock: Arc<dyn Clock>,
    jti: JtiSource,
}

/// The parts of every token that never change, encoded once when the issuer is built.
struct FixedParts {
    /// base64url of the header, followed by `.`.
    header_prefix: String,
    /// The claims that are the same in every token: `{` and `iss`, `sub`, `aud` (each followed
    /// by `,`), and the custom claims (each preceded by `,`) and `}`.
    claims_head: Vec<u8>,
    claims_tail: Vec<u8>,
    /// A configured `jti`, encoded as a JSON string.
    fixed_jti: Option<Vec<u8>>,
    /// The registered claims as configured, for `Debug`.
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<Audience>,
}

/// A JSON object written member by member, in the order given (`serde_json`'s own map would
/// sort the registered claims).
struct JsonObject(Vec<u8>);

impl JsonObject {
    fn with_capacity(capacity: usize) -> Self {
        let mut out = Vec::with_capacity(capacity);
        out.push(b'{');
        Self(out)
    }

    fn name(&mut self, name: &str) -> Result<()> {
        if self.0.len() > 1 {
            self.0.push(b',');
        }
        serde_json::to_writer(&mut self.0, name).map_err(encoding_failed)?;
        self.0.push(b':');
        Ok(())
    }

    fn string(&mut self, name: &str, value: &str) -> Result<()> {
        self.name(name)?;
        serde_json::to_writer(&mut self.0, value).map_err(encoding_failed)
    }

    fn value(&mut self, name: &str, value: &Value) -> Result<()> {
        self.name(name)?;
        serde_json::to_writer(&mut self.0, value).map_err(encoding_failed)
    }

    fn finish(mut self) -> Vec<u8> {
        self.0.push(b'}');
        self.0
    }
}

fn encoding_failed(e: serde_json::Error) -> Error {
    Error::other(format!("could not encode the JWT ({e})"))
}

impl JwtIssuer {
    /// A builder. [`signer`](IssuerBuilder::signer) is the one required call.
    pub fn builder() -> IssuerBuilder {
        IssuerBuilder::default()
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.signer.algorithm()
    }

    /// The lifetime of each token.
    pub fn exp_time(&self) -> Duration {
        self.exp_time
    }

    /// The signer.
    pub fn signer(&self) -> &SharedSigner {
        &self.signer
    }

    /// The clock tokens are dated by.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Issues a JWT valid from now for `exp_time`.
    ///
    /// # Errors
    ///
    /// When the clock is before 1970, or the signer fails.
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
        let out_of_range = || Error::other("the clock is set too far in the future to issue a JWT");
        let exp = iat
            .checked_add(self.exp_time.as_secs())
            .ok_or_else(out_of_range)?;
        let expires_at = UNIX_EPOCH
            .checked_add(Duration::from_secs(exp))
            .ok_or_else(out_of_range)?;
        // The per-token claims between the fixed head and tail: `exp`, `nbf`, `iat`, `jti`.
        let mut payload =
            Vec::with_capacity(self.fixed.claims_head.len() + self.fixed.claims_tail.len() + 96);
        payload.extend_from_slice(&self.fixed.claims_head);
        // Numbers written straight into the buffer; no allocation per claim.
        let _ = write!(
            payload,
            "\"exp\":{exp},\"nbf\":{iat},\"iat\":{iat},\"jti\":"
        );
        match &self.fixed.fixed_jti {
            Some(jti) => payload.extend_from_slice(jti),
            None => {
                // base64url needs no JSON escaping; 16 random bytes make 22 characters.
                let mut jti = [0u8; 22];
                let written = URL_SAFE_NO_PAD
                    .encode_slice(self.jti.next()?, &mut jti)
                    .map_err(|_| Error::other("could not encode the jti"))?;
                payload.push(b'"');
                payload.extend_from_slice(&jti[..written]);
                payload.push(b'"');
            }
        }
        payload.extend_from_slice(&self.fixed.claims_tail);

        let encoded_payload_len = payload.len().div_ceil(3) * 4;
        // Sized for an RSA-4096 signature (683 base64 characters), so the buffer holding the
        // token grows (leaving an unwiped copy behind) only for larger keys or custom signers.
        let mut jwt = Zeroizing::new(String::with_capacity(
            self.fixed.header_prefix.len() + encoded_payload_len + 1 + 700,
        ));
        jwt.push_str(&self.fixed.header_prefix);
        URL_SAFE_NO_PAD.encode_string(&payload, &mut jwt);
        let signature = Zeroizing::new(self.signer.sign(jwt.as_bytes())?);
        jwt.push('.');
        URL_SAFE_NO_PAD.encode_string(&*signature, &mut jwt);
        let jwt = SecretString::from(std::mem::take(&mut *jwt));
        Ok((jwt, expires_at))
    }
}

impl fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("signer", &self.signer)
            .field("issuer", &self.fixed.issuer)
            .field("subject", &self.fixed.subject)
            .field("audience", &self.fixed.audience)
            .field("exp_time", &self.exp_time)
            .finish_non_exhaustive()
    }
}

/// Builds a [`JwtIssuer`] claim by claim. Ballerina's `jwt:IssuerConfig` names are noted on
/// each setter.
#[derive(Default)]
#[must_use]
pub struct IssuerBuilder {
    subject: Option<String>,
    issuer: Option<String>,
    audience: Option<Audience>,
    jwt_id: Option<String>,
    key_id: Option<String>,
    custom_claims: Map<String, Value>,
    exp_time: Option<Duration>,
    signer: Option<SharedSigner>,
    clock: Option<Arc<dyn Clock>>,
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl IssuerBuilder {
    /// `sub` (Ballerina's `username`).
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.subject = Some(username.into());
        self
    }

    /// `iss` (`issuer`).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// `aud` (`audience`): a `&str` or `String` for one audience, an array or `Vec` for a list.
    pub fn audience(mut self, audience: impl Into<Audience>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// A fixed `jti` (`jwtId`); by default each token gets a fresh random one.
    pub fn jwt_id(mut self, jwt_id: impl Into<String>) -> Self {
        self.jwt_id = Some(jwt_id.into());
        self
    }

    /// The header's `kid` (`keyId`), replacing the signer's own.
    pub fn key_id(mut self, key_id: impl Into<String>) -> Self {
        self.key_id = Some(key_id.into());
        self
    }

    /// Adds a custom claim (`customClaims`) of any JSON type; it may not reuse a registered
    /// claim name.
    pub fn custom_claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.custom_claims.insert(name.into(), value.into());
        self
    }

    /// The lifetime of each token (`expTime`), in whole seconds, from 1 s to [`MAX_EXP_TIME`]
    /// (default [`DEFAULT_EXP_TIME`]).
    pub fn exp_time(mut self, exp_time: Duration) -> Self {
        self.exp_time = Some(exp_time);
        self
    }

    /// What signs the tokens (`signatureConfig`): a [`SigningKey`](crate::SigningKey), or your
    /// own [`JwsSigner`].
    pub fn signer(mut self, signer: impl JwsSigner + 'static) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// As [`signer`](Self::signer), with a signer already shared.
    pub fn shared_signer(mut self, signer: SharedSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Reads time from `clock` (default: a [`CoarseClock`], the system clock read cheaply).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Checks the claims and builds the issuer.
    ///
    /// # Errors
    ///
    /// [`auth_core::ErrorKind::InvalidConfig`] for a missing signer,
    /// a custom claim that reuses a registered name, a control character in a claim string, or
    /// a lifetime outside 1 s to one year.
    pub fn build(self) -> Result<JwtIssuer> {
        let Some(signer) = self.signer else {
            return Err(Error::invalid_config(
                "the issuer has no signer: give `signer(SigningKey::from_file(...))` (or a key \
                 store, an HMAC secret, your own `JwsSigner`), or `SigningKey::unsigned()` to \
                 issue unsigned JWTs on purpose",
            ));
        };
        if let Some(claim) = self
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
        let key_id = self.key_id.or_else(|| signer.key_id().map(str::to_owned));
        let strings = [
            ("username", self.subject.as_deref()),
            ("issuer", self.issuer.as_deref()),
            ("jwt_id", self.jwt_id.as_deref()),
            ("key_id", key_id.as_deref()),
        ]
        .into_iter()
        .chain(
            self.audience
                .iter()
                .flat_map(Audience::iter)
                .map(|a| ("audience", Some(a))),
        );
        for (field, value) in strings {
            if let Some(value) = value {
                check_chars(format_args!("`{field}`"), value, TextRule::NoControl)?;
            }
        }
        let exp_time = self.exp_time.unwrap_or(DEFAULT_EXP_TIME);
        if exp_time.as_secs() == 0 || exp_time > MAX_EXP_TIME {
            return Err(Error::invalid_config(format!(
                "`exp_time` is {} s; give between 1 second and one year ({} s)",
                exp_time.as_secs_f64(),
                MAX_EXP_TIME.as_secs()
            )));
        }

        let mut header = JsonObject::with_capacity(64);
        header.string("alg", signer.algorithm().as_str())?;
        header.string("typ", "JWT")?;
        if let Some(kid) = &key_id {
            header.string("kid", kid)?;
        }
        let header_json = header.finish();
        let mut header_prefix = URL_SAFE_NO_PAD.encode(header_json);
        header_prefix.push('.');

        let mut head = JsonObject::with_capacity(128);
        if let Some(iss) = &self.issuer {
            head.string("iss", iss)?;
        }
        if let Some(sub) = &self.subject {
            head.string("sub", sub)?;
        }
        match &self.audience {
            Some(Audience::One(aud)) => head.string("aud", aud)?,
            Some(Audience::Many(auds)) => head.value("aud", &Value::from(auds.clone()))?,
            None => {}
        }
        let mut claims_head = head.0;
        if claims_head.len() > 1 {
            claims_head.push(b',');
        }
        let mut tail = JsonObject::with_capacity(128);
        for (name, value) in &self.custom_claims {
            tail.value(name, value)?;
        }
        let mut claims_tail = tail.finish();
        // `{a,b}` → `,a,b}`: the members follow `jti`.
        if claims_tail.len() > 2 {
            claims_tail[0] = b',';
        } else {
            claims_tail = b"}".to_vec();
        }
        let fixed_jti = self
            .jwt_id
            .as_deref()
            .map(|jti| serde_json::to_vec(jti).map_err(encoding_failed))
            .transpose()?;

        Ok(JwtIssuer {
            signer,
            fixed: Arc::new(FixedParts {
                header_prefix,
                claims_head,
                claims_tail,
                fixed_jti,
                issuer: self.issuer,
                subject: self.subject,
                audience: self.audience,
            }),
            exp_time: Duration::from_secs(exp_time.as_secs()),
            // Whole-second claims and a per-call expiry check: the cheap coarse clock suffices.
            clock: self.clock.unwrap_or_else(|| Arc::new(CoarseClock::new())),
            jti: JtiSource::new(),
        })
    }
}
