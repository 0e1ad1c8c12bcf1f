//! Against a certified authorization server nobody here wrote: panva's oidc-provider (npm),
//! started by .ci/run over HTTPS on 127.0.0.1 (tests/oidc-provider) with a test CA made by
//! openssl, and found through AUTH_OIDC_ISSUER, AUTH_OIDC_RESOURCE and AUTH_OIDC_PKI. Its
//! resource server (in the same script) verifies DPoP proofs with an independent JOSE library
//! and checks certificate-bound tokens against the TLS client certificate.
//!
//! DPoP-bound client credentials with and without server nonces, proofs checked by the
//! resource (`ath`, `htm`, `htu`, nonce) and a replayed proof refused; `tls_client_auth` and
//! `self_signed_tls_client_auth`; a certificate-bound token with and without the client
//! certificate; discovery of the token endpoint, and a mismatched issuer refused.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::path::PathBuf;
use std::sync::Arc;

use auth::http::{
    AuthClient, ClientFileConfig, ClientKey, ClientSettings, RequestBuilderExt as _,
    ReqwestTransport, SecureSocket,
};
use auth::jwt::{Algorithm, DpopKey, SigningKey};
use auth::oauth2::{ClientAuth, Grant, OAuth2Config, OAuth2Provider};
use auth_core::{AuthProvider, SharedAuthProvider};
use serde_json::Value;

/// The servers' counters are shared: one test at a time reads them.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Servers {
    issuer: String,
    resource: String,
    pki: PathBuf,
}

fn servers(test: &str) -> Option<Servers> {
    let var = |name: &str| std::env::var(name).ok();
    match (
        var("AUTH_OIDC_ISSUER"),
        var("AUTH_OIDC_RESOURCE"),
        var("AUTH_OIDC_PKI"),
    ) {
        (Some(issuer), Some(resource), Some(pki)) => Some(Servers {
            issuer,
            resource,
            pki: PathBuf::from(pki),
        }),
        _ => {
            eprintln!(
                "SKIPPED {test}: AUTH_OIDC_ISSUER, AUTH_OIDC_RESOURCE and AUTH_OIDC_PKI are not \
                 set; .ci/run starts oidc-provider (tests/oidc-provider) on 127.0.0.1 and sets them"
            );
            None
        }
    }
}

impl Servers {
    fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.pki.join(name)
    }

    /// Trusts the test CA; presents `client` (e.g. `client`, `other`) when given.
    fn tls(&self, client: Option<&str>) -> SecureSocket {
        let mut tls = SecureSocket::trust_pem_file(self.file("ca.pem"));
        tls.key = client.map(|name| ClientKey::CertKey {
            cert_file: self.file(&format!("{name}.pem")),
            key_file: self.file(&format!("{name}-key.pem")),
            key_password: None,
        });
        tls
    }

    fn settings(&self, client: Option<&str>) -> ClientSettings {
        ClientSettings::default().secure_socket(self.tls(client))
    }

    fn provider(&self, config: OAuth2Config, client: Option<&str>) -> SharedAuthProvider {
        let transport = ReqwestTransport::new(&self.settings(client)).unwrap();
        SharedAuthProvider::new(OAuth2Provider::new(config, Arc::new(transport)).unwrap())
    }

    fn resource_client(&self, provider: SharedAuthProvider, client: Option<&str>) -> AuthClient {
        AuthClient::from_shared(self.settings(client).build_reqwest().unwrap(), provider)
    }

    async fn stats(&self) -> Value {
        let client = self.settings(None).build_reqwest().unwrap();
        let body = client
            .get(format!("{}/stats", self.resource))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        serde_json::from_slice(&body).unwrap()
    }
}

fn count(stats: &Value, path: &[&str]) -> u64 {
    path.iter()
        .fold(stats, |value, key| &value[*key])
        .as_u64()
        .unwrap_or(0)
}

fn dpop_config(servers: &Servers, client: &str, secret: &str, key: Arc<DpopKey>) -> OAuth2Config {
    OAuth2Config::client_credentials(servers.token_url(), ClientAuth::basic(client, secret))
        .scopes(["api"])
        .dpop(key)
}

async fn body(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.bytes().await.unwrap();
    (
        status,
        challenge,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn rsa_key_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/auth-jwt-issuer/tests/keys/rsa.pem")
}

#[tokio::test]
async fn dpop_bound_tokens_of_every_algorithm_are_accepted_by_the_resource() {
    let Some(servers) =
        servers("dpop_bound_tokens_of_every_algorithm_are_accepted_by_the_resource")
    else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let keys = [
        DpopKey::generate(Algorithm::Es256).unwrap(),
        DpopKey::generate(Algorithm::EdDsa).unwrap(),
        DpopKey::new(SigningKey::from_file(Algorithm::Rs256, rsa_key_file(), None).unwrap())
            .unwrap(),
        DpopKey::new(SigningKey::from_file(Algorithm::Ps256, rsa_key_file(), None).unwrap())
            .unwrap(),
    ];
    for key in keys {
        let algorithm = key.algorithm();
        let key = Arc::new(key);
        let provider = servers.provider(
            dpop_config(&servers, "dpop-client", "dpop-secret", key),
            None,
        );
        let token = provider.token().await.unwrap();
        assert_eq!(token.scheme().as_str(), "DPoP", "{algorithm}");
        let client = servers.resource_client(provider, None);
        for method in [reqwest::Method::GET, reqwest::Method::POST] {
            let url = format!("{}/resource?item=7#frag", servers.resource);
            let response = client
                .request(method.clone(), &url)
                .body("x")
                .send()
                .await
                .unwrap();
            let (status, challenge, json) = body(response).await;
            assert_eq!(status, 200, "{algorithm} {method}: {challenge} {json}");
            assert_eq!(json["binding"], "dpop", "{algorithm}");
            assert_eq!(json["method"], method.as_str());
            assert_eq!(json["query"], "item=7");
        }
    }
}

#[tokio::test]
async fn a_replayed_proof_and_a_bearer_presentation_are_refused() {
    let Some(servers) = servers("a_replayed_proof_and_a_bearer_presentation_are_refused") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let provider = servers.provider(
        dpop_config(&servers, "dpop-client", "dpop-secret", key),
        None,
    );
    let token = provider.token().await.unwrap();
    let plain = servers.settings(None).build_reqwest().unwrap();
    let url = format!("{}/resource", servers.resource);
    let request = plain
        .get(&url)
        .authorize_with(&token)
        .unwrap()
        .build()
        .unwrap();
    let replay = request.try_clone().unwrap();
    let before = servers.stats().await;
    let (status, _, _) = body(plain.execute(request).await.unwrap()).await;
    assert_eq!(status, 200);
    let (status, challenge, _) = body(plain.execute(replay).await.unwrap()).await;
    assert_eq!(status, 401, "the same proof twice");
    assert!(challenge.contains("invalid_dpop_proof"), "{challenge}");
    assert!(challenge.contains("replayed"), "{challenge}");
    let after = servers.stats().await;
    assert_eq!(
        count(&after, &["replays_rejected"]),
        count(&before, &["replays_rejected"]) + 1
    );
    // A proof for another method is refused: `htm` is checked.
    let post = plain
        .get(&url)
        .authorize_with(&token)
        .unwrap()
        .build()
        .unwrap();
    let mut post = post;
    *post.method_mut() = reqwest::Method::POST;
    let (status, challenge, _) = body(plain.execute(post).await.unwrap()).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("htm"), "{challenge}");
    // The bound token as a Bearer token is refused.
    let bearer = plain
        .get(&url)
        .bearer_auth(token.expose_credential())
        .send()
        .await
        .unwrap();
    let (status, challenge, _) = body(bearer).await;
    assert_eq!(status, 401, "{challenge}");
}

#[tokio::test]
async fn server_nonces_at_the_token_endpoint_and_the_resource_cost_one_retry_each() {
    let Some(servers) =
        servers("server_nonces_at_the_token_endpoint_and_the_resource_cost_one_retry_each")
    else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let before = servers.stats().await;
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let config = dpop_config(&servers, "dpop-nonce-client", "dpop-nonce-secret", key);
    let provider = servers.provider(config, None);
    let token = provider.token().await.unwrap();
    assert_eq!(token.scheme().as_str(), "DPoP");
    let after = servers.stats().await;
    let sent = |stats: &Value| count(stats, &["token_requests", "dpop-nonce-client"]);
    assert_eq!(
        sent(&after) - sent(&before),
        2,
        "the challenge, then one retry"
    );
    assert_eq!(
        count(&after, &["token_nonce_challenges"]) - count(&before, &["token_nonce_challenges"]),
        1
    );

    let client = servers.resource_client(provider, None);
    let url = format!("{}/nonce-resource", servers.resource);
    for round in 0..3 {
        let before = servers.stats().await;
        let (status, challenge, json) = body(client.get(&url).send().await.unwrap()).await;
        assert_eq!(status, 200, "round {round}: {challenge} {json}");
        let after = servers.stats().await;
        let challenges =
            count(&after, &["nonce_challenges"]) - count(&before, &["nonce_challenges"]);
        // The first call learns the resource's nonce; later ones send it at once.
        assert_eq!(challenges, u64::from(round == 0), "round {round}");
    }
}

#[tokio::test]
async fn certificate_client_auth_issues_tokens_bound_to_that_certificate() {
    let Some(servers) = servers("certificate_client_auth_issues_tokens_bound_to_that_certificate")
    else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let config = OAuth2Config::client_credentials(
        servers.token_url(),
        ClientAuth::tls_client_auth("mtls-client"),
    )
    .scopes(["api"]);
    let provider = servers.provider(config, Some("client"));
    let token = provider.token().await.unwrap();
    assert_eq!(token.scheme().as_str(), "Bearer");
    let url = format!("{}/resource", servers.resource);
    // With the same certificate: accepted, as certificate-bound.
    let with_cert = servers.resource_client(provider.clone(), Some("client"));
    let (status, challenge, json) = body(with_cert.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(json["binding"], "mtls");
    // Without a certificate, or with another one: refused.
    for client in [None, Some("other")] {
        let resource = servers.resource_client(provider.clone(), client);
        let (status, challenge, _) = body(resource.get(&url).send().await.unwrap()).await;
        assert_eq!(status, 401, "{client:?}");
        assert!(challenge.contains("certificate mismatch"), "{challenge}");
    }
    // Another certificate cannot get this client's tokens at all.
    let config = OAuth2Config::client_credentials(
        servers.token_url(),
        ClientAuth::tls_client_auth("mtls-client"),
    );
    let error = servers
        .provider(config, Some("other"))
        .token()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("invalid_client"), "{error}");
}

#[tokio::test]
async fn self_signed_certificate_client_auth() {
    let Some(servers) = servers("self_signed_certificate_client_auth") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let config = OAuth2Config::client_credentials(
        servers.token_url(),
        ClientAuth::self_signed_tls_client_auth("self-signed-client"),
    )
    .scopes(["api"]);
    let provider = servers.provider(config, Some("self-signed"));
    provider.token().await.unwrap();
    let resource = servers.resource_client(provider, Some("self-signed"));
    let url = format!("{}/resource", servers.resource);
    let (status, challenge, json) = body(resource.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(json["binding"], "mtls");
}

#[tokio::test]
async fn discovery_finds_the_token_endpoint_and_refuses_a_mismatched_issuer() {
    let Some(servers) =
        servers("discovery_finds_the_token_endpoint_and_refuses_a_mismatched_issuer")
    else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let config = OAuth2Config::discovered(&servers.issuer, Grant::ClientCredentials)
        .client_auth(ClientAuth::basic("dpop-client", "dpop-secret"))
        .scopes(["api"])
        .dpop(key);
    let provider = servers.provider(config, None);
    assert_eq!(provider.token().await.unwrap().scheme().as_str(), "DPoP");

    // The resource server republishes the provider's document: its `issuer` is not the URL
    // the document was fetched from.
    let config = OAuth2Config::discovered(&servers.resource, Grant::ClientCredentials)
        .client_auth(ClientAuth::basic("bearer-client", "bearer-secret"));
    let error = servers
        .provider(config, None)
        .token()
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("must match exactly"), "{error}");
    assert!(error.contains(&servers.issuer), "{error}");
}

#[tokio::test]
async fn the_declarative_config_says_all_of_it() {
    let Some(servers) = servers("the_declarative_config_says_all_of_it") else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let ca = servers.file("ca.pem").display().to_string();
    let cert = servers.file("client.pem").display().to_string();
    let key = servers.file("client-key.pem").display().to_string();
    let url = format!("{}/resource", servers.resource);

    // Discovery, certificate client auth and certificate-bound tokens: the resource client
    // presents the token endpoint's certificate without being told twice.
    let toml = format!(
        r#"
        secure_socket = {{ cert = "{ca}" }}
        [auth]
        issuer_url = "{issuer}"
        client_id = "mtls-client"
        client_auth = "tls_client_auth"
        certificate_bound = true
        scopes = ["api"]
        [auth.client_config]
        secure_socket = {{ cert = "{ca}", key = {{ cert_file = "{cert}", key_file = "{key}" }} }}
        "#,
        issuer = servers.issuer
    );
    let client = ClientFileConfig::from_toml_str(&toml)
        .unwrap()
        .build_client()
        .unwrap();
    let (status, challenge, json) = body(client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(json["binding"], "mtls");

    // Without `certificate_bound`, the resource client has no certificate: refused.
    let unbound = toml.replace("certificate_bound = true", "");
    let client = ClientFileConfig::from_toml_str(&unbound)
        .unwrap()
        .build_client()
        .unwrap();
    let (status, _, _) = body(client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 401);

    // DPoP from the config, with the server's nonce.
    let toml = format!(
        r#"
        secure_socket = {{ cert = "{ca}" }}
        [auth]
        issuerUrl = "{issuer}"
        clientId = "dpop-nonce-client"
        clientSecret = "dpop-nonce-secret"
        scopes = ["api"]
        [auth.clientConfig]
        secureSocket = {{ cert = "{ca}" }}
        [auth.dpop]
        algorithm = "ES256"
        "#,
        issuer = servers.issuer
    );
    let client = ClientFileConfig::from_toml_str(&toml)
        .unwrap()
        .build_client()
        .unwrap();
    let (status, challenge, json) = body(client.get(&url).send().await.unwrap()).await;
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(json["binding"], "dpop");
}
