//! DPoP (RFC 9449) through auth-http: the client, the middleware and the request extension put
//! a fresh proof beside a DPoP-bound token, and a resource server's nonce challenge is answered
//! with one retry; `[auth.dpop]` in the declarative config turns it on.

use std::collections::HashSet;
use std::sync::Arc;

use auth_core::{AuthProvider, SharedAuthProvider};
use auth_http::{
    AuthClient, AuthMiddleware, ClientSettings, RequestBuilderExt as _, ReqwestTransport,
};
use auth_jwt_issuer::{Algorithm, DpopKey};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use base64::Engine as _;
use serde_json::Value;

use crate::support::{Reply, Seen, Server, json, serve};

const RESOURCE_NONCE: &str = "rs-nonce-1";

/// The proof's claims, verified by jsonwebtoken with the `jwk` the proof carries.
fn claims(proof: &str) -> Value {
    let header = jsonwebtoken::decode_header(proof).unwrap();
    assert_eq!(header.typ.as_deref(), Some("dpop+jwt"));
    let key = jsonwebtoken::DecodingKey::from_jwk(header.jwk.as_ref().unwrap()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .unwrap()
        .claims
}

fn header(seen: &Seen, name: &str) -> Option<String> {
    seen.headers
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// `/token` issues DPoP-bound tokens to requests with a proof; `/resource` wants its nonce in
/// the proof (401 `use_dpop_nonce` until it is there) and checks `ath`, `htm` and `htu`.
async fn server() -> Server {
    serve(None, |seen: Seen| async move {
        let proof = header(&seen, "dpop");
        if seen.path == "/old" {
            let mut reply = json(307, "{}");
            reply
                .headers_mut()
                .insert("location", "/resource".parse().unwrap());
            return reply;
        }
        if seen.path == "/token" {
            return match proof {
                Some(proof) if claims(&proof)["htm"] == "POST" => json(
                    200,
                    r#"{"access_token":"bound-at","token_type":"DPoP","expires_in":3600}"#,
                ),
                _ => json(400, r#"{"error":"invalid_dpop_proof"}"#),
            };
        }
        let Some(proof) = proof else {
            return challenge(r#"DPoP error="invalid_dpop_proof""#);
        };
        let claims = claims(&proof);
        let ath = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(ring_sha256(b"bound-at"));
        let right = seen.authorization().as_deref() == Some("DPoP bound-at")
            && claims["ath"] == ath.as_str()
            && claims["htm"] == seen.method.as_str()
            && claims["htu"]
                .as_str()
                .is_some_and(|htu| htu.ends_with("/resource"));
        if !right {
            return challenge(r#"DPoP error="invalid_dpop_proof""#);
        }
        if claims["nonce"] != RESOURCE_NONCE {
            return challenge(r#"DPoP error="use_dpop_nonce", error_description="nonce""#);
        }
        let mut reply = json(200, r#"{"ok":true}"#);
        reply
            .headers_mut()
            .insert("dpop-nonce", RESOURCE_NONCE.parse().unwrap());
        reply
    })
    .await
}

fn challenge(www_authenticate: &str) -> Reply {
    let mut reply = json(401, r#"{"error":"dpop"}"#);
    reply
        .headers_mut()
        .insert("www-authenticate", www_authenticate.parse().unwrap());
    reply
        .headers_mut()
        .insert("dpop-nonce", RESOURCE_NONCE.parse().unwrap());
    reply
}

fn ring_sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

async fn provider(server: &Server) -> (SharedAuthProvider, Arc<DpopKey>) {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let config =
        OAuth2Config::client_credentials(server.url("/token"), ClientAuth::basic("id", "secret"))
            .allow_insecure_http(true)
            .dpop(key.clone());
    let transport = ReqwestTransport::new(&ClientSettings::default()).unwrap();
    let provider = OAuth2Provider::new(config, Arc::new(transport)).unwrap();
    (SharedAuthProvider::new(provider), key)
}

fn resource_calls(server: &Server) -> usize {
    server
        .seen()
        .iter()
        .filter(|seen| seen.path.starts_with("/resource"))
        .count()
}

#[tokio::test]
async fn the_client_sends_proofs_and_answers_a_nonce_challenge_once() {
    let server = server().await;
    let (provider, key) = provider(&server).await;
    let client = AuthClient::from_shared(reqwest::Client::new(), provider);
    let response = client
        .get(server.url("/resource?page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        resource_calls(&server),
        2,
        "the challenge, then one retry with the nonce"
    );
    assert_eq!(
        key.nonce_for(&server.url("/")).as_deref(),
        Some(RESOURCE_NONCE)
    );
    // The nonce is kept: the next request needs no challenge.
    let response = client
        .post(server.url("/resource"))
        .body("b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(resource_calls(&server), 3);
    let token_requests: Vec<Seen> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/token")
        .collect();
    assert_eq!(
        token_requests.len(),
        1,
        "a nonce challenge is not a rejected token"
    );
    let proof = header(&token_requests[0], "dpop").unwrap();
    assert_eq!(claims(&proof)["htu"], server.url("/token"));
}

#[tokio::test]
async fn the_middleware_sends_proofs_and_answers_a_nonce_challenge_once() {
    let server = server().await;
    let (provider, _) = provider(&server).await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(AuthMiddleware::from_shared(provider))
        .build();
    let response = client.get(server.url("/resource")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(resource_calls(&server), 2);
}

#[tokio::test]
async fn the_request_extension_puts_a_proof_for_that_request() {
    let server = server().await;
    let (provider, key) = provider(&server).await;
    key.remember_nonce(&server.url("/"), RESOURCE_NONCE);
    let request = reqwest::Client::new()
        .put(server.url("/resource?x=1"))
        .authorize(&provider)
        .await
        .unwrap();
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        200,
        "proof for PUT with ath and the nonce"
    );
    let seen = server
        .seen()
        .into_iter()
        .rfind(|s| s.path.starts_with("/resource"))
        .unwrap();
    let claims = claims(&header(&seen, "dpop").unwrap());
    assert_eq!(claims["htm"], "PUT");
    assert_eq!(claims["htu"], server.url("/resource"));
    // A token handed in directly goes the same way.
    let token = provider.token().await.unwrap();
    let built = reqwest::Client::new()
        .get(server.url("/resource"))
        .authorize_with(&token)
        .unwrap()
        .build()
        .unwrap();
    assert!(built.headers().contains_key("dpop"));
    assert_eq!(built.headers()["authorization"], "DPoP bound-at");
}

#[cfg(feature = "config")]
#[tokio::test]
async fn auth_dpop_in_the_config_asks_for_bound_tokens() {
    let server = server().await;
    let toml = format!(
        r#"
        [auth]
        token_url = "{}"
        client_id = "id"
        client_secret = "secret"
        allow_insecure_http = true
        [auth.dpop]
        algorithm = "EdDSA"
        "#,
        server.url("/token")
    );
    let config = auth_http::ClientFileConfig::from_toml_str(&toml).unwrap();
    let client = config.build_client().unwrap();
    let response = client.get(server.url("/resource")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let seen = server.seen();
    let proof = header(&seen[0], "dpop").unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&proof).unwrap().alg,
        jsonwebtoken::Algorithm::EdDSA
    );

    for (table, expected) in [
        ("algorithm = \"HS256\"", "asymmetric"),
        ("algorithm = \"RS256\"", "key_file"),
        ("key_password = \"pw\"", "key_file"),
        ("kee_file = \"x\"", "kee_file"),
        ("algorithm = \"ES999\"", "dpop.algorithm"),
    ] {
        let toml = format!(
            "[auth]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"i\"\nclient_secret = \"s\"\n[auth.dpop]\n{table}\n"
        );
        let error = auth_http::ClientFileConfig::from_toml_str(&toml)
            .and_then(|config| config.build_provider().map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{table}: {error}");
    }
}

fn token_requests(server: &Server) -> usize {
    server
        .seen()
        .iter()
        .filter(|seen| seen.path == "/token")
        .count()
}

#[tokio::test]
async fn concurrent_first_requests_each_answer_the_nonce_challenge_and_keep_the_token() {
    let server = server().await;
    let (provider, _) = provider(&server).await;
    provider.token().await.unwrap();
    let client = AuthClient::from_shared(reqwest::Client::new(), provider);
    let url = server.url("/resource");
    let (a, b, c) = tokio::join!(
        client.get(&url).send(),
        client.get(&url).send(),
        client.get(&url).send()
    );
    for response in [a, b, c] {
        assert_eq!(response.unwrap().status(), 200);
    }
    assert_eq!(
        token_requests(&server),
        1,
        "a nonce challenge never costs a token"
    );
}

#[tokio::test]
async fn a_redirected_bound_request_is_refused_without_costing_the_token() {
    let server = server().await;
    let (provider, key) = provider(&server).await;
    key.remember_nonce(&server.url("/"), RESOURCE_NONCE);
    let client = AuthClient::from_shared(reqwest::Client::new(), provider);
    let response = client.get(server.url("/old")).send().await.unwrap();
    // The proof named /old; the server refuses it at /resource, and the token stays.
    assert_eq!(response.status(), 401);
    assert_eq!(token_requests(&server), 1);
}

#[cfg(feature = "config")]
#[test]
fn contradictory_certificate_settings_are_refused() {
    let base = "[auth]\ntoken_url = \"https://idp.example/t\"\nclient_id = \"c\"\nclient_auth = \"tls_client_auth\"\n";
    let key = "[auth.client_config.secure_socket]\nkey = { cert_file = \"a.pem\", key_file = \"a-key.pem\" }\n";
    let build = |toml: &str| {
        auth_http::ClientFileConfig::from_toml_str(toml)
            .and_then(|config| config.build_provider().map(|_| ()))
    };
    let error = build(&format!(
        "{base}credential_bearer = \"POST_BODY_BEARER\"\n{key}"
    ))
    .unwrap_err()
    .to_string();
    assert!(error.contains("credential_bearer"), "{error}");
    let error = build(&format!("{base}client_secret = \"s\"\n{key}"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("no secret"), "{error}");
    let error = build(base).unwrap_err().to_string();
    assert!(error.contains("client_config.secure_socket.key"), "{error}");
    let other = "secure_socket = { key = { cert_file = \"b.pem\", key_file = \"b-key.pem\" } }\n";
    let error = auth_http::ClientFileConfig::from_toml_str(&format!(
        "{other}{base}certificate_bound = true\n{key}"
    ))
    .unwrap_err()
    .to_string();
    assert!(error.contains("other files"), "{error}");
}

#[cfg(feature = "config")]
#[tokio::test]
async fn a_dpop_key_from_a_pkcs12_keystore() {
    let server = server().await;
    let store = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../auth-jwt-issuer/tests/keys/rsa-openssl3.p12");
    let toml = format!(
        r#"
        [auth]
        token_url = "{}"
        client_id = "id"
        client_secret = "secret"
        [auth.dpop]
        algorithm = "PS256"
        key_store = {{ path = {:?}, password = "storepass" }}
        key_alias = "signer"
        "#,
        server.url("/token"),
        store.display().to_string()
    );
    let provider = auth_http::ClientFileConfig::from_toml_str(&toml)
        .unwrap()
        .build_provider()
        .unwrap();
    provider.token().await.unwrap();
    let proof = header(&server.seen()[0], "dpop").unwrap();
    let header = jsonwebtoken::decode_header(&proof).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::PS256);
    claims(&proof); // verified with the RSA public key the proof carries
    let error =
        auth_http::ClientFileConfig::from_toml_str(&toml.replace("key_alias = \"signer\"", ""))
            .and_then(|config| config.build_provider().map(|_| ()))
            .unwrap_err()
            .to_string();
    assert!(error.contains("key_alias"), "{error}");
}
