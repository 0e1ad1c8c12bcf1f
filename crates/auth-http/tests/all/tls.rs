//! TLS settings against a rustls server with generated certificates.

use auth_core::Token;
use auth_http::{AuthClient, ClientKey, SecureSocket, TrustConfig};

use crate::support::{chain, pki, reply, serve};

fn client(socket: &SecureSocket) -> AuthClient {
    let builder = socket.apply(reqwest::Client::builder()).unwrap();
    AuthClient::new(
        builder.build().unwrap(),
        Token::bearer("tls-token").unwrap(),
    )
}

fn socket(cert: Option<TrustConfig>, key: Option<ClientKey>, disable: bool) -> SecureSocket {
    let mut socket = SecureSocket::default();
    socket.cert = cert;
    socket.key = key;
    socket.disable = disable;
    socket
}

#[tokio::test]
async fn trust_by_pem_file_and_by_pkcs12_truststore_and_refuse_a_wrong_ca() {
    let pki = pki();
    let server = serve(Some(pki.server_config.clone()), |_| async {
        reply(200, "secure")
    })
    .await;
    let url = server.https_url("/");

    let by_pem = socket(Some(TrustConfig::PemFile(pki.path("ca.pem"))), None, false);
    assert_eq!(
        client(&by_pem)
            .get(&url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "secure"
    );
    let by_store = socket(
        Some(TrustConfig::TrustStore {
            path: pki.path("truststore.p12"),
            password: "trustpass".into(),
        }),
        None,
        false,
    );
    assert_eq!(
        client(&by_store).get(&url).send().await.unwrap().status(),
        200
    );
    let disabled = socket(None, None, true);
    assert_eq!(
        client(&disabled).get(&url).send().await.unwrap().status(),
        200
    );

    let wrong = socket(
        Some(TrustConfig::PemFile(pki.path("other-ca.pem"))),
        None,
        false,
    );
    let err = client(&wrong).get(&url).send().await.unwrap_err();
    let text = chain(&err).to_lowercase();
    assert!(
        text.contains("certificate") && text.contains("unknownissuer"),
        "{text}"
    );
    assert_eq!(
        server
            .seen()
            .iter()
            .filter(|s| s.authorization().is_some())
            .count(),
        3
    );
}

#[tokio::test]
async fn mutual_tls_with_a_keystore_and_with_cert_and_key_files() {
    let pki = pki();
    let server = serve(Some(pki.mtls_server_config.clone()), |_| async {
        reply(200, "mutual")
    })
    .await;
    let url = server.https_url("/");
    let trust = || Some(TrustConfig::PemFile(pki.path("ca.pem")));

    let mut keys = vec![
        ClientKey::KeyStore {
            path: pki.path("client.p12"),
            password: "storepass".into(),
        },
        ClientKey::CertKey {
            cert_file: pki.path("client.crt"),
            key_file: pki.path("client.key"),
            key_password: None,
        },
    ];
    // Decrypting a key file uses auth-jwt-issuer's loader (feature `jwt`).
    if cfg!(feature = "jwt") {
        keys.push(ClientKey::CertKey {
            cert_file: pki.path("client.crt"),
            key_file: pki.path("client-encrypted.key"),
            key_password: Some("keypass".into()),
        });
    }
    for key in keys {
        let with_key = socket(trust(), Some(key.clone()), false);
        let response = client(&with_key)
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key:?}: {}", chain(&e)));
        assert_eq!(response.text().await.unwrap(), "mutual");
    }
    let without = socket(trust(), None, false);
    let err = client(&without).get(&url).send().await.unwrap_err();
    assert!(
        chain(&err).to_lowercase().contains("certificate"),
        "{}",
        chain(&err)
    );
}

#[test]
fn bad_tls_files_are_clear_errors() {
    let pki = pki();
    let cases = [
        (
            socket(
                Some(TrustConfig::PemFile(pki.path("missing.pem"))),
                None,
                false,
            ),
            "does not exist",
        ),
        (
            socket(Some(TrustConfig::PemFile("/dev/zero".into())), None, false),
            "not a regular file",
        ),
        (
            socket(
                Some(TrustConfig::PemFile(pki.path("client.key"))),
                None,
                false,
            ),
            "holds no certificates",
        ),
        (
            socket(
                Some(TrustConfig::TrustStore {
                    path: pki.path("truststore.p12"),
                    password: "nope".into(),
                }),
                None,
                false,
            ),
            "password is wrong",
        ),
        (
            socket(
                None,
                Some(ClientKey::KeyStore {
                    path: pki.path("client.p12"),
                    password: "nope".into(),
                }),
                false,
            ),
            "password is wrong",
        ),
        (
            socket(
                None,
                Some(ClientKey::CertKey {
                    cert_file: pki.path("client.crt"),
                    key_file: pki.path("client-encrypted.key"),
                    key_password: None,
                }),
                false,
            ),
            // Encrypted keys need no provider feature: key decoding is auth-keys'.
            "no password was given",
        ),
    ];
    for (socket, expected) in cases {
        let err = socket
            .apply(reqwest::Client::builder())
            .map(|_| ())
            .unwrap_err();
        assert!(
            err.message().contains(expected),
            "`{err}` should say `{expected}`"
        );
        assert!(!err.to_string().contains("nope"));
    }
}

#[test]
fn the_reference_truststores_load() {
    let Some(dir) = std::env::var_os("AUTH_BALLERINA_TESTDATA").map(std::path::PathBuf::from)
    else {
        eprintln!(
            "SKIPPED the_reference_truststores_load: AUTH_BALLERINA_TESTDATA is not set; it names \
             the folder of the reference's keystores (../shared/testdata/ballerina), which .ci/run sets"
        );
        return;
    };
    for path in [
        dir.join("ballerinaTruststore.p12"),
        dir.join("http/ballerinaTruststore.p12"),
    ] {
        let trust = socket(
            Some(TrustConfig::TrustStore {
                path: path.clone(),
                password: "ballerina".into(),
            }),
            None,
            false,
        );
        trust
            .apply(reqwest::Client::builder())
            .unwrap()
            .build()
            .unwrap();
    }
    let key = socket(
        None,
        Some(ClientKey::KeyStore {
            path: dir.join("ballerinaKeystore.p12"),
            password: "ballerina".into(),
        }),
        false,
    );
    key.apply(reqwest::Client::builder())
        .unwrap()
        .build()
        .unwrap();
    let pem = socket(
        Some(TrustConfig::PemFile(dir.join("public.crt"))),
        None,
        false,
    );
    pem.apply(reqwest::Client::builder())
        .unwrap()
        .build()
        .unwrap();
}
