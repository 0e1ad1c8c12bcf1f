//! DPoP proofs (RFC 9449) checked by an independent implementation, jsonwebtoken: the header
//! (`typ`, `alg`, a public-only `jwk`), the signature by that `jwk`, and every claim.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_core::RequestProof as _;
use auth_core::clock::ManualClock;
use auth_jwt_issuer::{Algorithm, Backend, DpopKey, SigningKey};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue};
use jsonwebtoken::jwk::ThumbprintHash;
use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

fn key_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

/// Every algorithm the issue names, on every backend: generated EC/Ed25519 keys, RSA from a file.
fn keys() -> Vec<(String, DpopKey, jsonwebtoken::Algorithm)> {
    use jsonwebtoken::Algorithm as J;
    let mut keys = Vec::new();
    for (alg, theirs) in [
        (Algorithm::Es256, J::ES256),
        (Algorithm::Es384, J::ES384),
        (Algorithm::EdDsa, J::EdDSA),
    ] {
        keys.push((
            format!("{alg} generated"),
            DpopKey::generate(alg).unwrap(),
            theirs,
        ));
    }
    let rsa = auth_keys::PrivateKey::from_file(key_file("rsa.pem"), None).unwrap();
    let ec = auth_keys::PrivateKey::from_file(key_file("ec-p256.pem"), None).unwrap();
    for backend in Backend::all() {
        for (alg, key, theirs) in [
            (Algorithm::Rs256, &rsa, J::RS256),
            (Algorithm::Ps256, &rsa, J::PS256),
            (Algorithm::Es256, &ec, J::ES256),
        ] {
            let signer = SigningKey::with_backend(alg, key, *backend).unwrap();
            keys.push((
                format!("{alg} {}", backend.name()),
                DpopKey::new(signer).unwrap(),
                theirs,
            ));
        }
    }
    keys
}

fn verify(proof: &str, alg: jsonwebtoken::Algorithm) -> (jsonwebtoken::Header, Value) {
    let header = decode_header(proof).unwrap();
    let jwk = header
        .jwk
        .clone()
        .expect("the header carries the public jwk");
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    let mut validation = Validation::new(alg);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    let claims = decode::<Value>(proof, &key, &validation).unwrap().claims;
    (header, claims)
}

#[test]
fn proofs_of_every_algorithm_verify_with_their_own_jwk_and_carry_every_claim() {
    let token = "an-access-token.with.dots";
    let expected_ath = URL_SAFE_NO_PAD.encode(ring::digest::digest(
        &ring::digest::SHA256,
        token.as_bytes(),
    ));
    for (name, key, alg) in keys() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let proof = key
            .proof_with_nonce(
                "GET",
                "https://rs.example:8443/api/items?page=2#top",
                Some(token),
                Some("n-1"),
            )
            .unwrap();
        let (header, claims) = verify(&proof, alg);
        assert_eq!(header.typ.as_deref(), Some("dpop+jwt"), "{name}");
        assert_eq!(header.alg, alg, "{name}");
        let jwk_json = serde_json::to_value(header.jwk.as_ref().unwrap()).unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                jwk_json.get(private).is_none(),
                "{name}: jwk has `{private}`"
            );
        }
        assert_eq!(
            header
                .jwk
                .as_ref()
                .unwrap()
                .thumbprint(ThumbprintHash::SHA256)
                .unwrap(),
            key.thumbprint(),
            "{name}: thumbprint computed independently"
        );
        assert_eq!(claims["htm"], "GET", "{name}");
        assert_eq!(
            claims["htu"], "https://rs.example:8443/api/items",
            "{name}: no query or fragment"
        );
        assert_eq!(claims["ath"], expected_ath.as_str(), "{name}");
        assert_eq!(claims["nonce"], "n-1", "{name}");
        let iat = claims["iat"].as_u64().unwrap();
        assert!(iat >= before && iat <= before + 5, "{name}: iat {iat}");
        assert_eq!(
            claims["jti"].as_str().unwrap().len(),
            22,
            "{name}: 16 random bytes"
        );

        // A token request's proof: no `ath`, no nonce until a server sends one.
        let (_, claims) = verify(
            &key.proof("POST", "https://idp.example/token", None)
                .unwrap(),
            alg,
        );
        assert!(
            claims.get("ath").is_none() && claims.get("nonce").is_none(),
            "{name}"
        );
        assert_eq!(claims["htm"], "POST");
    }
}

#[test]
fn every_proof_has_a_fresh_jti_and_a_tampered_one_fails() {
    let key = DpopKey::generate(Algorithm::Es256).unwrap();
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let proof = key.proof("GET", "https://rs/x", Some("t")).unwrap();
        let (_, claims) = verify(&proof, jsonwebtoken::Algorithm::ES256);
        assert!(seen.insert(claims["jti"].as_str().unwrap().to_owned()));
    }
    let proof = key.proof("GET", "https://rs/x", Some("t")).unwrap();
    let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
    let claims = String::from_utf8(URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    parts[1] = URL_SAFE_NO_PAD.encode(claims.replace("\"GET\"", "\"PUT\""));
    let tampered = parts.join(".");
    let jwk = decode_header(&tampered).unwrap().jwk.unwrap();
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    assert!(
        decode::<Value>(
            &tampered,
            &DecodingKey::from_jwk(&jwk).unwrap(),
            &validation
        )
        .is_err()
    );
}

#[test]
fn iat_comes_from_the_clock_and_nonces_from_responses() {
    let at = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let key = DpopKey::generate(Algorithm::EdDsa)
        .unwrap()
        .with_clock(Arc::new(ManualClock::new(at)));
    let claims = |proof: &str| verify(proof, jsonwebtoken::Algorithm::EdDSA).1;
    assert_eq!(
        claims(&key.proof("GET", "https://rs/", None).unwrap())["iat"],
        1_800_000_000u64
    );

    // A 200 with a nonce: kept, no retry. A 401 use_dpop_nonce with a new nonce: retry once.
    let mut headers = HeaderMap::new();
    headers.insert("dpop-nonce", HeaderValue::from_static("first"));
    assert!(!key.observe("https://rs/a", 200, &headers));
    assert_eq!(
        claims(&key.proof("GET", "https://rs/b", None).unwrap())["nonce"],
        "first"
    );
    headers.insert("dpop-nonce", HeaderValue::from_static("second"));
    headers.insert(
        "www-authenticate",
        HeaderValue::from_static(r#"DPoP error="use_dpop_nonce", error_description="need one""#),
    );
    assert!(key.observe("https://rs/a", 401, &headers));
    // The same nonce again (another request stored it first) still asks for a new proof; the
    // callers bound the retries to one.
    assert!(key.observe("https://rs/a", 401, &headers));
    assert_eq!(
        claims(&key.proof("GET", "https://rs/c", None).unwrap())["nonce"],
        "second"
    );
    let mut no_nonce = headers.clone();
    no_nonce.remove("dpop-nonce");
    assert!(
        !key.observe("https://rs/a", 401, &no_nonce),
        "no nonce given: nothing to retry with"
    );
    // Another origin has none.
    assert!(
        claims(&key.proof("GET", "https://other/", None).unwrap())
            .get("nonce")
            .is_none()
    );
}

#[test]
fn debug_shows_the_thumbprint_and_no_key() {
    let key = DpopKey::generate(Algorithm::Es256).unwrap();
    let debug = format!("{key:?}");
    assert!(debug.contains(key.thumbprint()), "{debug}");
    assert!(
        debug.contains("Es256") || debug.contains("ES256"),
        "{debug}"
    );
}
