//! A self-signed JWT record into a signer and an issuer (feature `jwt`).

use auth_core::{Error, Result};
use auth_jwt_issuer::{Algorithm, Audience, IssuerBuilder, JwtIssuer, SigningKey};

use super::records::{AudienceRecord, JwtRecord, KeyRecord, SignatureRecord};

impl SignatureRecord {
    /// The signer the record describes; the key is read now.
    pub(crate) fn signer(&self) -> Result<SigningKey> {
        let algorithm: Algorithm = match &self.algorithm {
            Some(name) => name.parse()?,
            None => Algorithm::Rs256,
        };
        match &self.config {
            None if algorithm == Algorithm::None => Ok(SigningKey::unsigned()),
            None => Err(Error::invalid_config(format!(
                "{algorithm} needs a key, but `signature_config.config` is missing; give \
                 key_store + key_alias, or key_file{}",
                if matches!(
                    algorithm,
                    Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512
                ) {
                    ", or the shared secret as a string"
                } else {
                    ""
                }
            ))),
            Some(KeyRecord::Secret(secret)) => SigningKey::hmac(algorithm, secret.clone()),
            Some(KeyRecord::KeyFile { path, password }) => {
                SigningKey::from_file(algorithm, path, password.clone())
            }
            Some(KeyRecord::KeyStore {
                path,
                password,
                alias,
                key_password,
            }) => SigningKey::from_pkcs12_file(
                algorithm,
                path,
                password.clone(),
                alias,
                key_password.clone(),
            ),
        }
    }
}

impl AudienceRecord {
    pub(crate) fn to_audience(&self) -> Audience {
        match self {
            Self::One(one) => Audience::One(one.clone()),
            Self::Many(many) => Audience::Many(many.clone()),
        }
    }
}

impl JwtRecord {
    /// The issuer the record describes; the key is read now.
    pub(crate) fn issuer(&self) -> Result<JwtIssuer> {
        let mut builder: IssuerBuilder =
            JwtIssuer::builder().signer(self.signature_config.signer()?);
        if let Some(username) = &self.username {
            builder = builder.username(username);
        }
        if let Some(issuer) = &self.issuer {
            builder = builder.issuer(issuer);
        }
        if let Some(audience) = &self.audience {
            builder = builder.audience(audience.to_audience());
        }
        if let Some(jwt_id) = &self.jwt_id {
            builder = builder.jwt_id(jwt_id);
        }
        if let Some(key_id) = &self.key_id {
            builder = builder.key_id(key_id);
        }
        for (name, value) in &self.custom_claims {
            builder = builder.custom_claim(name, value.clone());
        }
        if let Some(exp_time) = self.exp_time {
            builder = builder.exp_time(exp_time);
        }
        builder.build()
    }
}
