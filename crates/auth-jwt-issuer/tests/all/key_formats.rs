//! Every key format the project generates (tests/keys/generate.sh) loads, signs, and verifies.
#![cfg(all(
    feature = "encrypted-pkcs8",
    feature = "legacy-pem",
    feature = "pkcs12",
    feature = "ec-public-key"
))]

use auth_core::ErrorKind;
use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};
use jsonwebtoken::Algorithm as Jwa;

use crate::helpers::{key, pw, read, rsa_public, verify};

fn sign_with_file(alg: Algorithm, file: &str, password: Option<&str>) -> auth_core::Result<String> {
    let issuer = JwtIssuer::builder()
        .issuer("key-format-test")
        .signer(SigningKey::from_file(
            alg,
            key(file),
            password.and_then(pw),
        )?)
        .build()?;
    Ok(issuer.issue()?.expose_secret().to_owned())
}

#[test]
fn every_rsa_format_loads_and_signs_verifiably() {
    let rsa_pub = rsa_public("rsa.pub.pem");
    let cases: &[(&str, Option<&str>)] = &[
        ("rsa.pem", None),
        ("rsa-pkcs1.pem", None),
        ("rsa.der", None),
        ("rsa-pkcs1.der", None),
        ("rsa-bag-attributes.pem", None),
        ("rsa-pbes2-aes256.pem", Some("keypass")),
        ("rsa-pbes2-aes256.der", Some("keypass")),
        ("rsa-pbes2-aes128-sha1.pem", Some("keypass")),
        ("rsa-pbes2-des3.pem", Some("keypass")),
        ("rsa-scrypt.pem", Some("keypass")),
        ("rsa-pbe-sha1-3des.pem", Some("keypass")),
        ("rsa-pbe-sha1-2des.pem", Some("keypass")),
        ("rsa-traditional-aes128.pem", Some("keypass")),
        ("rsa-traditional-aes192.pem", Some("keypass")),
        ("rsa-traditional-aes256.pem", Some("keypass")),
        ("rsa-traditional-des3.pem", Some("keypass")),
        // A password given for an unencrypted key is ignored, as in Ballerina.
        ("rsa.pem", Some("unused")),
    ];
    for (file, password) in cases {
        let jwt = sign_with_file(Algorithm::Rs256, file, *password)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let claims = verify(&jwt, Jwa::RS256, &rsa_pub);
        assert_eq!(claims["iss"], "key-format-test", "{file}");
    }
}

#[test]
fn in_memory_pem_and_der_load() {
    for bytes in [
        read("rsa.pem"),
        read("rsa.der"),
        read("rsa-pbes2-aes256.pem"),
    ] {
        let issuer = JwtIssuer::builder()
            .signer(SigningKey::from_pem_or_der(Algorithm::Rs256, &bytes, pw("keypass")).unwrap())
            .build()
            .unwrap();
        verify(
            issuer.issue().unwrap().expose_secret(),
            Jwa::RS256,
            &rsa_public("rsa.pub.pem"),
        );
    }
}

#[test]
fn pkcs12_keystores_from_openssl_and_keytool_load_by_alias_ignoring_case() {
    let cases = [
        ("rsa-openssl3.p12", "Signer", "rsa.pub.pem"),
        ("rsa-openssl3.p12", "signer", "rsa.pub.pem"),
        ("rsa-openssl-legacy.p12", "SIGNER", "rsa.pub.pem"),
        ("rsa-keytool.p12", "JavaSigner", "rsa-keytool.pub.pem"),
        ("rsa-keytool.p12", "javasigner", "rsa-keytool.pub.pem"),
    ];
    for (store, alias, public) in cases {
        let issuer = JwtIssuer::builder()
            .signer(
                SigningKey::from_pkcs12_file(
                    Algorithm::Rs512,
                    key(store),
                    "storepass",
                    alias,
                    None,
                )
                .unwrap(),
            )
            .build()
            .unwrap_or_else(|e| panic!("{store} / {alias}: {e}"));
        verify(
            issuer.issue().unwrap().expose_secret(),
            Jwa::RS512,
            &rsa_public(public),
        );
    }
}

#[test]
fn keystore_with_a_separate_key_password() {
    let issuer = JwtIssuer::builder()
        .signer(
            SigningKey::from_pkcs12_file(
                Algorithm::Rs256,
                key("rsa-separate-key-password.p12"),
                "storepass",
                "SEPARATE",
                pw("keypass"),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    verify(
        issuer.issue().unwrap().expose_secret(),
        Jwa::RS256,
        &rsa_public("rsa-keytool.pub.pem"),
    );

    let err = SigningKey::from_pkcs12_file(
        Algorithm::Rs256,
        key("rsa-separate-key-password.p12"),
        "storepass",
        "separate",
        None,
    )
    .unwrap_err();
    assert!(err.message().contains("set `key_password`"), "{err}");
    let err = SigningKey::from_pkcs12_file(
        Algorithm::Rs256,
        key("rsa-separate-key-password.p12"),
        "storepass",
        "separate",
        pw("wrong"),
    )
    .unwrap_err();
    assert!(err.message().contains("check `key_password`"), "{err}");
}

#[test]
fn ec_and_ed25519_keys_sign_for_their_algorithms() {
    let p256 = jsonwebtoken::DecodingKey::from_ec_pem(&read("ec-p256.pub.pem")).unwrap();
    let p384 = jsonwebtoken::DecodingKey::from_ec_pem(&read("ec-p384.pub.pem")).unwrap();
    let ed = jsonwebtoken::DecodingKey::from_ed_pem(&read("ed25519.pub.pem")).unwrap();
    for (file, password) in [
        ("ec-p256.pem", None),
        ("ec-p256-sec1.pem", None),
        ("ec-p256-sec1-aes256.pem", Some("keypass")),
    ] {
        let jwt = sign_with_file(Algorithm::Es256, file, password)
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        verify(&jwt, Jwa::ES256, &p256);
    }
    for file in ["ec-p384.pem", "ec-p384-sec1.pem"] {
        let jwt = sign_with_file(Algorithm::Es384, file, None).unwrap();
        verify(&jwt, Jwa::ES384, &p384);
    }
    let jwt = sign_with_file(Algorithm::EdDsa, "ed25519.pem", None).unwrap();
    verify(&jwt, Jwa::EdDSA, &ed);

    let keytool_ec = jsonwebtoken::DecodingKey::from_ec_pem(&read("ec-keytool.pub.pem")).unwrap();
    let issuer = JwtIssuer::builder()
        .signer(
            SigningKey::from_pkcs12_file(
                Algorithm::Es256,
                key("ec-keytool.p12"),
                "storepass",
                "javasigner",
                None,
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    verify(
        issuer.issue().unwrap().expose_secret(),
        Jwa::ES256,
        &keytool_ec,
    );
}

fn build_error(alg: Algorithm, file: &str, password: Option<&str>) -> auth_core::Error {
    sign_with_file(alg, file, password).unwrap_err()
}

#[test]
fn a_key_that_does_not_fit_the_algorithm_is_refused_naming_both() {
    let cases = [
        (
            Algorithm::Rs256,
            "ec-p256.pem",
            "RS256 needs an RSA key",
            "holds an EC P-256 key",
        ),
        (
            Algorithm::Es256,
            "rsa.pem",
            "ES256 needs an EC P-256 key",
            "holds an RSA key of 2048 bits",
        ),
        (
            Algorithm::Es256,
            "ec-p384.pem",
            "ES256 needs an EC P-256 key",
            "holds an EC P-384 key",
        ),
        (
            Algorithm::EdDsa,
            "ec-p256.pem",
            "EdDSA needs an Ed25519 key",
            "EC P-256",
        ),
        (
            Algorithm::Rs256,
            "rsa-1024.pem",
            "at least 2048 bits",
            "RSA key of 1024 bits",
        ),
        (
            Algorithm::Hs256,
            "rsa.pem",
            "HS256 needs a shared secret",
            "RSA key",
        ),
        (
            Algorithm::Rs256,
            "ed448.pem",
            "Ed448",
            "use an RSA, EC P-256/P-384 or Ed25519 key",
        ),
    ];
    for (alg, file, first, second) in cases {
        let err = build_error(alg, file, None);
        assert_eq!(err.kind(), ErrorKind::KeyMaterial, "{err}");
        assert!(
            err.message().contains(first),
            "{file}: `{err}` should say `{first}`"
        );
        assert!(
            err.message().contains(second),
            "{file}: `{err}` should say `{second}`"
        );
    }
}

#[test]
fn load_errors_are_distinct_and_actionable() {
    let err = build_error(Algorithm::Rs256, "no-such-file.pem", None);
    assert_eq!(err.kind(), ErrorKind::KeyMaterial);
    assert!(
        err.message().contains("no-such-file.pem` does not exist"),
        "{err}"
    );

    for file in [
        "rsa-pbes2-aes256.pem",
        "rsa-traditional-des3.pem",
        "rsa-pbe-sha1-2des.pem",
        "rsa-pbes2-aes256.der",
    ] {
        let err = build_error(Algorithm::Rs256, file, None);
        assert!(
            err.message()
                .contains("no password was given; set `key_password`"),
            "{file}: {err}"
        );
        let err = build_error(Algorithm::Rs256, file, Some("wrong-password"));
        assert!(
            err.message().contains("the key password is wrong"),
            "{file}: {err}"
        );
        assert!(!err.to_string().contains("wrong-password"), "{err}");
    }

    let err = build_error(Algorithm::Rs256, "rsa-pbes2-camellia.pem", Some("keypass"));
    assert!(
        err.message()
            .contains("PBES2 with the cipher 1.2.392.200011.61.1.1.1.4"),
        "{err}"
    );
    assert!(err.message().contains("AES-128/192/256-CBC"), "{err}");

    let err = build_error(Algorithm::Rs256, "rsa.pub.pem", None);
    assert!(
        err.message()
            .contains("public key (a public part), not a private key"),
        "{err}"
    );
    let err = build_error(Algorithm::Rs256, "generate.sh", None);
    assert!(err.message().contains("neither PEM"), "{err}");

    let store = |password: &str, alias: &str| {
        SigningKey::from_pkcs12_file(
            Algorithm::Rs256,
            key("rsa-openssl3.p12"),
            password,
            alias,
            None,
        )
        .unwrap_err()
    };
    let err = store("wrong-store-pass", "signer");
    assert!(
        err.message().contains("the keystore password is wrong"),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong-store-pass"));
    let err = store("storepass", "nobody");
    assert!(
        err.message().contains("alias `nobody` not found") && err.message().contains("`Signer`"),
        "{err}"
    );
    let err = SigningKey::from_pkcs12_file(Algorithm::Rs256, key("missing.p12"), "x", "y", None)
        .unwrap_err();
    assert!(
        err.message().contains("missing.p12` does not exist"),
        "{err}"
    );
    let err =
        SigningKey::from_pkcs12_file(Algorithm::Rs256, key("rsa.pem"), "x", "y", None).unwrap_err();
    assert!(
        err.message().contains("is not a readable PKCS#12 keystore"),
        "{err}"
    );
}

/// Files OpenSSL writes with 2 000 000 iterations (twice the limit), with the right passwords:
/// had the derivation run, they would load. Each is refused naming the count and the limit.
#[test]
fn openssl_files_asking_too_many_iterations_are_refused_before_any_work() {
    for (file, what) in [
        ("rsa-pbes2-2m-iter.pem", "PBKDF2"),
        ("rsa-pbe-sha1-3des-2m-iter.pem", "PKCS#12 key-derivation"),
    ] {
        let err = build_error(Algorithm::Rs256, file, Some("keypass"));
        assert_eq!(err.kind(), ErrorKind::KeyMaterial);
        assert!(
            err.message().contains(&format!(
                "asks for 2000000 {what} iterations, over the limit of 1000000"
            )),
            "{file}: {err}"
        );
    }
    // One whose MAC asks for 2 000 000 iterations too, and one whose MAC asks for a single
    // iteration while its key and certificate bags ask for 2 000 000.
    for file in ["rsa-openssl3-2m-iter.p12", "rsa-openssl3-2m-iter-mac-1.p12"] {
        let err =
            SigningKey::from_pkcs12_file(Algorithm::Rs256, key(file), "storepass", "signer", None)
                .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KeyMaterial);
        assert!(
            err.message().contains("asks for 2000000")
                && err.message().contains("over the limit of 1000000"),
            "{file}: {err}"
        );
    }
}

/// Real passwords hold spaces, punctuation and non-ASCII text. Each scheme encodes them its own
/// way (UTF-8 for PBKDF2 and the traditional PEM, big-endian UTF-16 for the PKCS#12 KDF); files
/// OpenSSL wrote with such a password load with it, and not with a near miss.
#[test]
fn passwords_with_spaces_punctuation_and_non_ascii_text_work_in_every_scheme() {
    const PASSWORD: &str = "pä$s wörd:1&+%";
    let rsa_pub = rsa_public("rsa.pub.pem");
    for file in [
        "rsa-pbes2-aes256-utf8-password.pem",
        "rsa-pbe-sha1-3des-utf8-password.pem",
        "rsa-traditional-aes128-utf8-password.pem",
    ] {
        let jwt = sign_with_file(Algorithm::Rs256, file, Some(PASSWORD))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        verify(&jwt, Jwa::RS256, &rsa_pub);
        // The same letters without their accents are another password.
        let err = build_error(Algorithm::Rs256, file, Some("pa$s word:1&+%"));
        assert!(err.message().contains("password is wrong"), "{file}: {err}");
    }
    for store in [
        "rsa-openssl3-utf8-password.p12",
        "rsa-openssl-legacy-utf8-password.p12",
    ] {
        let signer =
            SigningKey::from_pkcs12_file(Algorithm::Rs256, key(store), PASSWORD, "signer", None)
                .unwrap_or_else(|e| panic!("{store}: {e}"));
        let issuer = JwtIssuer::builder().signer(signer).build().unwrap();
        verify(
            issuer.issue().unwrap().expose_secret(),
            Jwa::RS256,
            &rsa_pub,
        );
        let err = SigningKey::from_pkcs12_file(
            Algorithm::Rs256,
            key(store),
            "pa$s word:1&+%",
            "signer",
            None,
        )
        .unwrap_err();
        assert!(
            err.message().contains("password is wrong"),
            "{store}: {err}"
        );
        assert!(!err.to_string().contains("pa$s"), "{store}: {err}");
    }
}
