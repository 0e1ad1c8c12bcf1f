//! What the lean build (`default-features = false`) signs with: unencrypted PKCS#8, PKCS#1 and
//! SEC1 keys, PEM or DER; and what it says about the formats it leaves to features.

use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};
use jsonwebtoken::{Algorithm as Jwa, DecodingKey};

use crate::helpers::{key, read, verify};

#[test]
fn unencrypted_pkcs8_pkcs1_and_sec1_sign_in_every_build() {
    let rsa = DecodingKey::from_rsa_pem(&read("rsa.pub.pem")).unwrap();
    let p256 = DecodingKey::from_ec_pem(&read("ec-p256.pub.pem")).unwrap();
    let p384 = DecodingKey::from_ec_pem(&read("ec-p384.pub.pem")).unwrap();
    let cases = [
        (Algorithm::Rs256, Jwa::RS256, "rsa.pem", &rsa),
        (Algorithm::Ps256, Jwa::PS256, "rsa-pkcs1.pem", &rsa),
        (Algorithm::Rs384, Jwa::RS384, "rsa.der", &rsa),
        (Algorithm::Rs512, Jwa::RS512, "rsa-pkcs1.der", &rsa),
        (Algorithm::Es256, Jwa::ES256, "ec-p256-sec1.pem", &p256),
        (Algorithm::Es384, Jwa::ES384, "ec-p384-sec1.pem", &p384),
    ];
    for (alg, jwa, file, public) in cases {
        let issuer = JwtIssuer::builder()
            .issuer("lean")
            .signer(SigningKey::from_file(alg, key(file), None).unwrap())
            .build()
            .unwrap();
        let claims = verify(issuer.issue().unwrap().expose_secret(), jwa, public);
        assert_eq!(claims["iss"], "lean", "{file}");
    }
}

#[cfg(not(feature = "encrypted-pkcs8"))]
#[test]
fn an_encrypted_key_names_the_feature_that_reads_it() {
    let password = Some(auth_core::SecretString::from("keypass"));
    let err =
        SigningKey::from_file(Algorithm::Rs256, key("rsa-pbes2-aes256.pem"), password).unwrap_err();
    assert!(err.message().contains("`encrypted-pkcs8` feature"), "{err}");
}

#[cfg(not(feature = "legacy-pem"))]
#[test]
fn a_traditional_encrypted_key_names_the_feature_that_reads_it() {
    let password = Some(auth_core::SecretString::from("keypass"));
    let err = SigningKey::from_file(
        Algorithm::Rs256,
        key("rsa-traditional-aes256.pem"),
        password,
    )
    .unwrap_err();
    assert!(err.message().contains("`legacy-pem` feature"), "{err}");
}
