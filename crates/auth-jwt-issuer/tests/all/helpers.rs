//! Shared test helpers: fixture paths, decoding, independent verification.
// A build without all the key-format features skips the tests of encrypted keys and keystores.
#![cfg_attr(
    not(all(
        feature = "encrypted-pkcs8",
        feature = "legacy-pem",
        feature = "pkcs12",
        feature = "ec-public-key"
    )),
    allow(dead_code)
)]

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use auth_core::SecretString;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The project's own generated keys (see `tests/keys/generate.sh`).
pub(crate) fn key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

pub(crate) fn read(name: &str) -> Vec<u8> {
    std::fs::read(key(name)).expect("fixture exists")
}

pub(crate) fn pw(password: &str) -> Option<SecretString> {
    Some(SecretString::from(password))
}

/// A fixed instant for claims tests.
pub(crate) fn at(secs: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

/// The decoded header and claims of a compact JWT.
pub(crate) fn decode(jwt: &str) -> (Value, Value, String) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "compact JWS has three parts");
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    (header, claims, parts[2].to_owned())
}

/// Verifies `jwt` with jsonwebtoken (an implementation independent of ours).
pub(crate) fn verify(
    jwt: &str,
    alg: jsonwebtoken::Algorithm,
    key: &jsonwebtoken::DecodingKey,
) -> Value {
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(jwt, key, &validation)
        .unwrap_or_else(|e| panic!("jsonwebtoken rejected the {alg:?} token: {e}"))
        .claims
}

pub(crate) fn rsa_public(name: &str) -> jsonwebtoken::DecodingKey {
    jsonwebtoken::DecodingKey::from_rsa_pem(&read(name)).unwrap()
}

/// The RSA public key inside an X.509 certificate (PEM).
pub(crate) fn rsa_public_from_cert(pem_path: &std::path::Path) -> jsonwebtoken::DecodingKey {
    let pem = std::fs::read(pem_path).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    let cert = pem.parse_x509().unwrap();
    jsonwebtoken::DecodingKey::from_rsa_der(&cert.public_key().subject_public_key.data)
}

/// The Ballerina test data folder, or `None` with a note saying why the test is skipped.
pub(crate) fn ballerina_testdata(test: &str) -> Option<PathBuf> {
    match std::env::var_os("AUTH_BALLERINA_TESTDATA") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!(
                "SKIPPED {test}: AUTH_BALLERINA_TESTDATA is not set; it names the folder of the \
                 reference's keys (../shared/testdata/ballerina), which .ci/run sets"
            );
            None
        }
    }
}
