//! The reference implementation's own keys and keystores (read in place, never copied).
#![cfg(all(
    feature = "encrypted-pkcs8",
    feature = "legacy-pem",
    feature = "pkcs12",
    feature = "ec-public-key"
))]

use auth_core::ErrorKind;
use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};
use jsonwebtoken::Algorithm as Jwa;

use crate::helpers::{ballerina_testdata, pw, rsa_public_from_cert, verify};

#[test]
fn every_ballerina_private_key_loads_and_signs() {
    let Some(dir) = ballerina_testdata("every_ballerina_private_key_loads_and_signs") else {
        return;
    };
    let public = rsa_public_from_cert(&dir.join("public.crt"));
    let same_key_as_cert = [
        JwtIssuer::builder().signer(
            SigningKey::from_pkcs12_file(
                Algorithm::Rs256,
                dir.join("ballerinaKeystore.p12"),
                "ballerina",
                "ballerina",
                pw("ballerina"),
            )
            .unwrap(),
        ),
        JwtIssuer::builder().signer(
            SigningKey::from_file(Algorithm::Rs256, dir.join("private.key"), None).unwrap(),
        ),
        JwtIssuer::builder().signer(
            SigningKey::from_file(
                Algorithm::Rs256,
                dir.join("encryptedPrivate.key"),
                pw("ballerina"),
            )
            .unwrap(),
        ),
    ];
    for builder in same_key_as_cert {
        let issuer = builder.issuer("wso2").username("admin").build().unwrap();
        let claims = verify(issuer.issue().unwrap().expose_secret(), Jwa::RS256, &public);
        assert_eq!(claims["sub"], "admin");
    }

    // encryptedKeyPair.pem holds the key of http/public.crt.
    let http_public = rsa_public_from_cert(&dir.join("http/public.crt"));
    for builder in [
        JwtIssuer::builder().signer(
            SigningKey::from_file(
                Algorithm::Rs384,
                dir.join("encryptedKeyPair.pem"),
                pw("ballerina"),
            )
            .unwrap(),
        ),
        JwtIssuer::builder().signer(
            SigningKey::from_file(Algorithm::Rs384, dir.join("http/private.key"), None).unwrap(),
        ),
    ] {
        let issuer = builder.build().unwrap();
        verify(
            issuer.issue().unwrap().expose_secret(),
            Jwa::RS384,
            &http_public,
        );
    }

    // keyPair.pem: PKCS#1, RSA 4096, no certificate; it must load and sign.
    let issuer = JwtIssuer::builder()
        .signer(SigningKey::from_file(Algorithm::Rs512, dir.join("keyPair.pem"), None).unwrap())
        .build()
        .unwrap();
    assert_eq!(
        issuer.issue().unwrap().expose_secret().split('.').count(),
        3
    );
}

#[test]
fn ballerina_ec_keys_are_refused_for_rs256_and_work_for_es256() {
    let Some(dir) =
        ballerina_testdata("ballerina_ec_keys_are_refused_for_rs256_and_work_for_es256")
    else {
        return;
    };
    let file = |alg| {
        SigningKey::from_file(alg, dir.join("ec-key.pem"), None)
            .and_then(|key| JwtIssuer::builder().signer(key).build())
    };
    let store = |alg| {
        SigningKey::from_pkcs12_file(
            alg,
            dir.join("ec-keystore.pkcs12"),
            "ballerina",
            "ec-keypair",
            pw("ballerina"),
        )
        .and_then(|key| JwtIssuer::builder().signer(key).build())
    };
    for refused in [file(Algorithm::Rs256), store(Algorithm::Rs256)] {
        let err = refused.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeyMaterial);
        assert!(err.message().contains("RS256 needs an RSA key"), "{err}");
        assert!(err.message().contains("EC P-256"), "{err}");
    }
    // Both hold the key of the keystore's certificate; verify with its public point.
    let store_bytes = std::fs::read(dir.join("ec-keystore.pkcs12")).unwrap();
    let keystore = p12_keystore::KeyStore::from_pkcs12(
        &store_bytes,
        "ballerina",
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .unwrap();
    let (_, chain) = keystore.private_key_chain().unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(chain.certs()[0].as_der()).unwrap();
    let public = jsonwebtoken::DecodingKey::from_ec_der(&cert.public_key().subject_public_key.data);
    for issuer in [
        file(Algorithm::Es256).unwrap(),
        store(Algorithm::Es256).unwrap(),
    ] {
        verify(issuer.issue().unwrap().expose_secret(), Jwa::ES256, &public);
    }
}

#[test]
fn ballerina_error_cases() {
    let Some(dir) = ballerina_testdata("ballerina_error_cases") else {
        return;
    };
    let keystore = |password: &str, alias: &str| {
        SigningKey::from_pkcs12_file(
            Algorithm::Rs256,
            dir.join("ballerinaKeystore.p12"),
            password,
            alias,
            None,
        )
        .unwrap_err()
    };
    assert!(
        keystore("wrong", "ballerina")
            .message()
            .contains("keystore password is wrong")
    );
    let err = keystore("ballerina", "nobody");
    assert!(err.message().contains("alias `nobody` not found"), "{err}");
    assert!(err.message().contains("`ballerina`"), "{err}");

    let err = SigningKey::from_pkcs12_file(
        Algorithm::Rs256,
        dir.join("ballerinaTruststore.p12"),
        "ballerina",
        "ballerina",
        None,
    )
    .unwrap_err();
    assert!(
        err.message()
            .contains("is a trusted certificate, not a private key"),
        "{err}"
    );

    for (file, password, expected) in [
        ("encryptedPrivate.key", None, "no password was given"),
        (
            "encryptedPrivate.key",
            Some("wrong"),
            "the key password is wrong",
        ),
        ("encryptedKeyPair.pem", None, "no password was given"),
        (
            "encryptedKeyPair.pem",
            Some("wrong"),
            "the key password is wrong",
        ),
        ("public.crt", None, "not a private key"),
    ] {
        let err = SigningKey::from_file(Algorithm::Rs256, dir.join(file), password.and_then(pw))
            .unwrap_err();
        assert!(err.message().contains(expected), "{file}: {err}");
    }
}
