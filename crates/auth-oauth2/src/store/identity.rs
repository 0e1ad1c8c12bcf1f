//! What names a provider's record in a store: what identifies its tokens (endpoints, grant,
//! client, scope, parameters), hashed with a key derived from its credential, so two configs
//! with other secrets never share a token and the name holds no secret.
//!
//! A token exchange's subject and actor tokens are part of the credential when they are
//! fixed. Read from an environment variable or a file, they are named by that variable or
//! path, and the records need configured keys: the same name can hold another subject in
//! another process, and only whoever hands out the keys knows which processes present the
//! same one. From another provider, nothing stable names them, and no store is allowed.

use auth_core::store::StoreKey;
use auth_core::{Error, Result, SecretString};
use ring::hkdf;
use zeroize::Zeroizing;

use crate::checked::{CheckedConfig, GrantRequest};
use crate::endpoint::{Credential, Endpoint};
use crate::exchange::{Exchange, SubjectToken};

/// A provider's place in a store.
pub(crate) struct StoreIdentity {
    pub(crate) key: StoreKey,
    /// The credential material, extracted for HKDF; `None` when the config holds no secret
    /// this process can read (a public client whose assertions a hardware module signs).
    pub(crate) credential: Option<hkdf::Prk>,
    /// Why records must be sealed with configured keys rather than keys derived from the
    /// credential, when they must.
    pub(crate) needs_keys: Option<&'static str>,
}

/// The salt of every derivation here: changes only with the scheme itself.
const SALT: &[u8] = b"auth-oauth2 token store v1";

impl StoreIdentity {
    pub(crate) fn of(config: &CheckedConfig) -> Result<Self> {
        let mut needs_keys = None;
        if let GrantRequest::TokenExchange(exchange) = &config.grant {
            for (which, source) in exchange.sources() {
                match source {
                    SubjectToken::Fixed(_) => {}
                    SubjectToken::Env(_) | SubjectToken::File(_) => {
                        needs_keys = Some(
                            "its token exchange reads a subject or actor token from an \
                             environment variable or a file, and the same name can hold another \
                             subject in another process; the processes given the keys are taken \
                             to present the same subject",
                        );
                    }
                    SubjectToken::Provider(_) => {
                        return Err(Error::invalid_config(format!(
                            "a token store cannot share the tokens of a token exchange whose \
                             {which} token comes from another provider: nothing stable tells two \
                             such providers apart, so one could be handed the other's tokens; \
                             use a fixed, environment variable or file source, or no store"
                        )));
                    }
                }
            }
        }
        let description = describe(config);
        let material = credential_material(config);
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT);
        let credential = (!material.is_empty()).then(|| salt.extract(&material));
        // Keyed by the credential when there is one; a plain hash of the description otherwise.
        let naming = credential
            .as_ref()
            .unwrap_or(&salt.extract(b"no credential"))
            .expand(
                &[b"auth-oauth2 token store: record name"],
                ring::hmac::HMAC_SHA256,
            )
            .map(ring::hmac::Key::from)
            .expect("one HMAC key is well within HKDF-SHA256's output limit");
        let tag = ring::hmac::sign(&naming, description.as_bytes());
        let hex: String = tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self {
            key: StoreKey::new(format!("oauth2:{hex}"))?,
            credential,
            needs_keys,
        })
    }
}

/// Everything that identifies a token but is not secret, one item per line, in a fixed order.
fn describe(config: &CheckedConfig) -> String {
    let mut text = format!("grant={}\n", config.grant_name);
    describe_endpoint(&mut text, "token", &config.endpoint);
    if let Some(refresh) = &config.refresh {
        describe_endpoint(&mut text, "refresh", refresh);
    }
    match &config.grant {
        GrantRequest::Password { username, .. } => {
            text.push_str(&format!("username={username}\n"));
        }
        GrantRequest::TokenExchange(exchange) => describe_exchange(&mut text, exchange),
        _ => {}
    }
    // A DPoP-bound token is of use only with its key: processes share it only if they share
    // the key (a key generated at start is never shared).
    #[cfg(feature = "dpop")]
    if let Some(key) = &config.dpop {
        text.push_str(&format!("dpop.jkt={}\n", key.thumbprint()));
    }
    text
}

/// The token types, audiences and resources, and where the tokens come from (a fixed
/// token's value is in the credential material).
fn describe_exchange(text: &mut String, exchange: &Exchange) {
    for (which, source) in exchange.sources() {
        let from = match source {
            SubjectToken::Fixed(_) => "fixed".to_owned(),
            SubjectToken::Env(var) => format!("env:{var}"),
            // Quoted and escaped: a path may hold any character.
            SubjectToken::File(path) => format!("file:{path:?}"),
            SubjectToken::Provider(_) => "provider".to_owned(),
        };
        text.push_str(&format!("exchange.{which}={from}\n"));
    }
    text.push_str(&format!(
        "exchange.subject_token_type={}\n",
        exchange.subject_token_type
    ));
    if let Some((_, actor_token_type)) = &exchange.actor {
        text.push_str(&format!("exchange.actor_token_type={actor_token_type}\n"));
    }
    if let Some(requested) = &exchange.requested_token_type {
        text.push_str(&format!("exchange.requested_token_type={requested}\n"));
    }
    // Their order carries no meaning (RFC 8693 §2.1).
    for (name, values) in [
        ("audience", &exchange.audiences),
        ("resource", &exchange.resources),
    ] {
        let mut values: Vec<&String> = values.iter().collect();
        values.sort_unstable();
        values.dedup();
        for value in values {
            text.push_str(&format!("exchange.{name}={value}\n"));
        }
    }
}

fn describe_endpoint(text: &mut String, which: &str, endpoint: &Endpoint) {
    text.push_str(&format!("{which}.url={}\n", endpoint.url));
    if let Some(scope) = &endpoint.scope {
        // Scope order carries no meaning (RFC 6749 §3.3).
        let mut scopes: Vec<&str> = scope.split(' ').collect();
        scopes.sort_unstable();
        text.push_str(&format!("{which}.scope={}\n", scopes.join(" ")));
    }
    let mut params: Vec<String> = endpoint
        .optional_params
        .iter()
        .map(|(name, value)| format!("{which}.param.{name}={value}\n"))
        .collect();
    params.sort_unstable();
    text.extend(params);
    let (method, id) = match &endpoint.credential {
        Credential::Nothing => ("none", None),
        Credential::PublicId(id) => ("none", Some(id.as_str())),
        // The id is in the credential material with the secret.
        Credential::Basic { .. } => ("client_secret_basic", None),
        Credential::Post { id, .. } => ("client_secret_post", Some(id.as_str())),
        // The key is the transport's, out of this crate's sight: such a store needs an
        // encryption key of its own (`StoreEncryption`).
        Credential::Certificate {
            id,
            self_signed: false,
        } => ("tls_client_auth", Some(id.as_str())),
        Credential::Certificate {
            id,
            self_signed: true,
        } => ("self_signed_tls_client_auth", Some(id.as_str())),
        #[cfg(feature = "jwt")]
        Credential::Assertion { id, issuer } => {
            if let Some(kid) = issuer.signer().key_id() {
                text.push_str(&format!("{which}.assertion_kid={kid}\n"));
            }
            ("client_assertion", Some(id.as_str()))
        }
    };
    text.push_str(&format!("{which}.client_auth={method}\n"));
    if let Some(id) = id {
        text.push_str(&format!("{which}.client_id={id}\n"));
    }
}

/// Every secret of the config, each prefixed with its length: the client secret (in every
/// form the config keeps), the password, the initial refresh token, a fixed assertion, custom
/// header and payload values, and the fingerprints of the keys that sign assertions.
fn credential_material(config: &CheckedConfig) -> Zeroizing<Vec<u8>> {
    let mut secrets: Vec<SecretString> = config.secrets.clone();
    secrets.extend(fingerprint(&config.endpoint));
    if let Some(refresh) = &config.refresh {
        secrets.extend(fingerprint(refresh));
    }
    #[cfg(feature = "jwt")]
    if let GrantRequest::JwtBearer {
        assertion: crate::checked::AssertionSource::Issued(issuer),
    } = &config.grant
    {
        secrets.extend(issuer.signer().key_fingerprint());
    }
    let mut material = Zeroizing::new(Vec::new());
    for secret in &secrets {
        let bytes = secret.expose_secret().as_bytes();
        material.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
        material.extend_from_slice(bytes);
    }
    material
}

#[cfg(feature = "jwt")]
fn fingerprint(endpoint: &Endpoint) -> Option<SecretString> {
    match &endpoint.credential {
        Credential::Assertion { issuer, .. } => issuer.signer().key_fingerprint(),
        _ => None,
    }
}

#[cfg(not(feature = "jwt"))]
fn fingerprint(_: &Endpoint) -> Option<SecretString> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientAuth, OAuth2Config, PasswordGrant, SubjectToken, TokenExchangeGrant};

    fn key(config: OAuth2Config) -> StoreKey {
        StoreIdentity::of(&CheckedConfig::new(&config).unwrap())
            .unwrap()
            .key
    }

    fn client_credentials(secret: &str) -> OAuth2Config {
        OAuth2Config::client_credentials(
            "https://idp.example/token",
            ClientAuth::basic("svc", secret),
        )
        .scopes(["b", "a"])
    }

    #[test]
    fn names_are_stable_hold_no_secret_and_differ_with_what_identifies_a_token() {
        let base = key(client_credentials("s3cr3t-marker"));
        assert_eq!(base, key(client_credentials("s3cr3t-marker")), "stable");
        assert_eq!(
            base,
            key(OAuth2Config::client_credentials(
                "https://idp.example/token",
                ClientAuth::basic("svc", "s3cr3t-marker")
            )
            .scopes(["a", "b"])),
            "scope order does not matter"
        );
        assert!(base.as_str().starts_with("oauth2:") && !base.as_str().contains("marker"));
        let others = [
            key(client_credentials("another-secret")),
            key(client_credentials("s3cr3t-marker").scopes(["a"])),
            key(client_credentials("s3cr3t-marker").optional_param("audience", "api")),
            key(OAuth2Config::client_credentials(
                "https://idp.example/other",
                ClientAuth::basic("svc", "s3cr3t-marker"),
            )
            .scopes(["a", "b"])),
            key(OAuth2Config::client_credentials(
                "https://idp.example/token",
                ClientAuth::post("svc", "s3cr3t-marker"),
            )
            .scopes(["a", "b"])),
            key(OAuth2Config::new(
                "https://idp.example/token",
                PasswordGrant::new("alice", "pw"),
            )),
            key(OAuth2Config::new(
                "https://idp.example/token",
                PasswordGrant::new("bob", "pw"),
            )),
        ];
        for (i, other) in others.iter().enumerate() {
            assert_ne!(&base, other, "variant {i}");
        }
        assert_ne!(
            others[5], others[6],
            "the username identifies a password grant's token"
        );
    }

    #[test]
    fn every_grant_has_credential_material() {
        let configs = [
            client_credentials("s"),
            OAuth2Config::password("https://idp.example/token", "alice", "pw"),
            OAuth2Config::refresh_token("https://idp.example/token", "initial-refresh"),
            OAuth2Config::jwt_bearer(
                "https://idp.example/token",
                crate::Assertion::fixed("a.b.c"),
            ),
        ];
        for config in configs {
            let identity = StoreIdentity::of(&CheckedConfig::new(&config).unwrap()).unwrap();
            assert!(identity.credential.is_some(), "{config:?}");
        }
    }

    fn exchange(grant: TokenExchangeGrant) -> OAuth2Config {
        OAuth2Config::token_exchange("https://idp.example/token", grant)
            .client_auth(ClientAuth::basic("svc", "s"))
    }

    fn file_grant(path: &str) -> TokenExchangeGrant {
        TokenExchangeGrant::new(SubjectToken::file(path))
            .audience("a")
            .audience("b")
            .resource("https://api.example/x")
    }

    #[test]
    fn token_exchange_names_differ_with_what_identifies_the_token() {
        let base = key(exchange(file_grant("/run/token")));
        assert_eq!(base, key(exchange(file_grant("/run/token"))), "stable");
        assert_eq!(
            base,
            key(exchange(
                TokenExchangeGrant::new(SubjectToken::file("/run/token"))
                    .audience("b")
                    .audience("a")
                    .resource("https://api.example/x")
            )),
            "audience order does not matter"
        );
        let fixed = |token: &str| TokenExchangeGrant::new(SubjectToken::fixed(token));
        let variants = [
            base,
            key(exchange(file_grant("/run/other"))),
            key(exchange(
                TokenExchangeGrant::new(SubjectToken::env("/run/token"))
                    .audience("a")
                    .audience("b")
                    .resource("https://api.example/x"),
            )),
            key(exchange(file_grant("/run/token").audience("c"))),
            key(exchange(
                file_grant("/run/token").resource("https://api.example/y"),
            )),
            key(exchange(
                file_grant("/run/token").subject_token_type(TokenExchangeGrant::ACCESS_TOKEN_TYPE),
            )),
            key(exchange(
                file_grant("/run/token").requested_token_type(TokenExchangeGrant::JWT_TOKEN_TYPE),
            )),
            key(exchange(
                file_grant("/run/token")
                    .actor_token(SubjectToken::env("ACTOR"))
                    .actor_token_type(TokenExchangeGrant::JWT_TOKEN_TYPE),
            )),
            key(exchange(file_grant("/run/token")).scopes(["read"])),
            key(exchange(fixed("subject-one"))),
            key(exchange(fixed("subject-two"))),
        ];
        for (i, one) in variants.iter().enumerate() {
            for (j, other) in variants.iter().enumerate().skip(i + 1) {
                assert_ne!(one, other, "variants {i} and {j}");
            }
            assert!(!one.as_str().contains("subject-"), "{one:?}");
        }
    }

    #[test]
    fn token_exchange_sources_decide_how_records_are_sealed() {
        let identity = |grant| StoreIdentity::of(&CheckedConfig::new(&exchange(grant)).unwrap());
        let fixed = identity(TokenExchangeGrant::new(SubjectToken::fixed("t"))).unwrap();
        assert!(fixed.credential.is_some() && fixed.needs_keys.is_none());
        for source in [SubjectToken::env("SUBJECT"), SubjectToken::file("/run/t")] {
            let read = identity(TokenExchangeGrant::new(source)).unwrap();
            assert!(
                read.needs_keys
                    .is_some_and(|why| why.contains("environment variable or a file"))
            );
        }
        let token = auth_core::Token::bearer("t").unwrap();
        for (grant, which) in [
            (
                TokenExchangeGrant::new(SubjectToken::provider(token.clone())),
                "subject token",
            ),
            (
                TokenExchangeGrant::new(SubjectToken::fixed("t"))
                    .actor_token(SubjectToken::provider(token))
                    .actor_token_type(TokenExchangeGrant::JWT_TOKEN_TYPE),
                "actor token",
            ),
        ] {
            let err = identity(grant).err().unwrap();
            assert!(
                err.message()
                    .contains(&format!("whose {which} comes from another provider")),
                "{err}"
            );
        }
    }
}
