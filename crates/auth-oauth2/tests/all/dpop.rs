//! DPoP (RFC 9449) at the token endpoint: every token request carries a proof, a server nonce
//! is answered with one retry, and the token type decides whether tokens go with proofs.

use std::collections::HashSet;
use std::sync::Arc;

use auth_core::AuthProvider;
use auth_jwt_issuer::{Algorithm, DpopKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::script::{Reply, Script, TOKEN_URL, cc, clock, oauth_error, ok, provider};

fn dpop_ok(token: &str) -> Reply {
    Reply::Json(
        200,
        format!(r#"{{"access_token":"{token}","token_type":"DPoP","expires_in":60}}"#),
    )
}

fn nonce_challenge(nonce: &str) -> Reply {
    Reply::WithHeaders(
        400,
        vec![
            ("content-type", "application/json".to_owned()),
            ("dpop-nonce", nonce.to_owned()),
        ],
        br#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#.to_vec(),
    )
}

/// The proof's claims, after jsonwebtoken checked its signature with the `jwk` it carries.
fn verified_claims(proof: &str) -> Value {
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

#[tokio::test]
async fn token_requests_carry_a_proof_and_dpop_tokens_go_with_one_per_request() {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let script = Script::new([dpop_ok("bound-token")]);
    let token = provider(cc().dpop(key.clone()), &script, &clock())
        .token()
        .await
        .unwrap();

    let seen = script.last();
    let claims = verified_claims(seen.header("dpop").expect("a DPoP header"));
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], TOKEN_URL);
    assert!(
        claims.get("ath").is_none(),
        "a token request proves no token"
    );
    assert!(claims.get("nonce").is_none());

    assert_eq!(token.header_value(), "DPoP bound-token");
    let (name, proof) = token
        .proof_header("GET", "https://api.example/items?page=1")
        .unwrap()
        .expect("a bound token makes a proof");
    assert_eq!(name, "dpop");
    let claims = verified_claims(proof.to_str().unwrap());
    assert_eq!(claims["htm"], "GET");
    assert_eq!(claims["htu"], "https://api.example/items");
    let ath = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, b"bound-token"));
    assert_eq!(claims["ath"], ath.as_str());
    let header = jsonwebtoken::decode_header(proof.to_str().unwrap()).unwrap();
    assert_eq!(
        header
            .jwk
            .unwrap()
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap(),
        key.thumbprint()
    );
}

#[tokio::test]
async fn a_nonce_challenge_is_answered_once_with_the_servers_nonce() {
    let key = Arc::new(DpopKey::generate(Algorithm::EdDsa).unwrap());
    let script = Script::new([nonce_challenge("nonce-1"), dpop_ok("t1")]);
    let provider = provider(cc().dpop(key.clone()), &script, &clock());
    let token = provider.token().await.unwrap();
    assert_eq!(token.header_value(), "DPoP t1");
    let seen = script.seen();
    assert_eq!(seen.len(), 2, "one retry");
    let first = verified_claims(seen[0].header("dpop").unwrap());
    let second = verified_claims(seen[1].header("dpop").unwrap());
    assert!(first.get("nonce").is_none());
    assert_eq!(second["nonce"], "nonce-1");
    assert_ne!(
        first["jti"], second["jti"],
        "a fresh proof, not the refused one"
    );
    // The resource server is another origin: the token endpoint's nonce is not sent there.
    let (_, proof) = token
        .proof_header("GET", "https://api.example/")
        .unwrap()
        .unwrap();
    assert!(
        verified_claims(proof.to_str().unwrap())
            .get("nonce")
            .is_none()
    );
}

#[tokio::test]
async fn a_second_challenge_in_a_row_is_an_error_not_a_loop() {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let script = Script::new([nonce_challenge("n1"), nonce_challenge("n2")]);
    let error = provider(cc().dpop(key), &script, &clock())
        .token()
        .await
        .unwrap_err();
    assert_eq!(script.count(), 2);
    assert!(error.to_string().contains("use_dpop_nonce"), "{error}");
}

#[tokio::test]
async fn a_nonce_from_a_successful_response_goes_in_the_next_token_request() {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let with_nonce = Reply::WithHeaders(
        200,
        vec![
            ("content-type", "application/json".to_owned()),
            ("dpop-nonce", "from-success".to_owned()),
        ],
        br#"{"access_token":"t1","token_type":"DPoP","expires_in":60}"#.to_vec(),
    );
    let script = Script::new([with_nonce, dpop_ok("t2")]);
    let clock = clock();
    let provider = provider(cc().dpop(key), &script, &clock);
    let first = provider.token().await.unwrap();
    provider.invalidate(&first);
    provider.token().await.unwrap();
    let seen = script.seen();
    assert_eq!(
        verified_claims(seen[1].header("dpop").unwrap())["nonce"],
        "from-success"
    );
}

#[tokio::test]
async fn a_bearer_token_from_a_server_that_ignores_dpop_is_used_as_bearer() {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let script = Script::new([ok("plain", 60)]);
    let token = provider(cc().dpop(key), &script, &clock())
        .token()
        .await
        .unwrap();
    assert!(
        script.last().header("dpop").is_some(),
        "the proof was offered"
    );
    assert_eq!(token.header_value(), "Bearer plain");
    assert!(token.proof().is_none());
    assert!(
        token
            .proof_header("GET", "https://api.example/")
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_dpop_token_without_a_configured_key_is_refused_clearly() {
    let script = Script::new([dpop_ok("unbound")]);
    let error = provider(cc(), &script, &clock()).token().await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("no DPoP key"), "{text}");
    assert!(!text.contains("unbound"), "{text}");
    assert!(script.last().header("dpop").is_none());
    // Without DPoP, a nonce challenge is an ordinary error: no retry.
    let script = Script::new([oauth_error(400, "use_dpop_nonce")]);
    provider(cc(), &script, &clock()).token().await.unwrap_err();
    assert_eq!(script.count(), 1);
}

#[test]
fn the_config_debug_names_the_key_by_thumbprint_only() {
    let key = Arc::new(DpopKey::generate(Algorithm::Es256).unwrap());
    let debug = format!("{:?}", cc().dpop(key.clone()));
    assert!(debug.contains(key.thumbprint()), "{debug}");
}
