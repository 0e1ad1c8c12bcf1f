//! No secret escapes: every public type that holds a secret is built with a unique marker, the
//! success and failure paths are driven (including a token endpoint that echoes the secrets
//! back), and no marker may appear in any `Debug`, `Display`, error chain, or `tracing` output
//! captured at TRACE level.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use auth::basic::BasicProvider;
use auth::bearer::BearerProvider;
use auth::http::{
    AuthClient, ClientFileConfig, ClientKey, ReqwestTransport, SecureSocket, TrustConfig,
};
use auth::jwt::{Algorithm, JwtIssuer, JwtProvider};
use auth::oauth2::{OAuth2Config, OAuth2Provider, RetryPolicy};
use auth_core::{AuthProvider, SecretString, Token};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MARKERS: [&str; 9] = [
    "MARKERpassword1",
    "MARKERbearer2",
    "MARKERhmacsecret3-padded-to-thirty-two-bytes",
    "MARKERclientsecret4",
    "MARKERrefresh5",
    "MARKERaccess6",
    "MARKERstorepass7",
    "MARKERkeypass8",
    "MARKERtlspass9",
];

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/auth-jwt-issuer/tests/keys")
        .join(name)
}

/// A token endpoint on 127.0.0.1: the first request gets a token made of markers, every later
/// one an error whose body echoes every marker.
async fn echoing_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 65536];
            let _ = stream.read(&mut buffer).await;
            let (status, body) = if std::mem::take(&mut first) {
                (
                    "200 OK",
                    format!(
                        r#"{{"access_token":"{}","refresh_token":"{}","expires_in":1}}"#,
                        MARKERS[5], MARKERS[4]
                    ),
                )
            } else {
                // Everything this provider holds: password, client secret, refresh and access token.
                let all = [MARKERS[0], MARKERS[3], MARKERS[4], MARKERS[5]].join(" ");
                (
                    "400 Bad Request",
                    format!(
                        r#"{{"error":"invalid_grant {all}","error_description":"echo {all}","error_uri":"{all}","extra":"{all}"}}"#
                    ),
                )
            };
            let text = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(text.as_bytes()).await;
        }
    });
    url
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" | {cause} {cause:?}"));
        source = cause.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_marker_reaches_debug_display_errors_or_tracing() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    )
    .unwrap();
    let mut seen = Vec::<String>::new();
    let mut record = |text: String| seen.push(text);

    // Core types.
    let secret = SecretString::from(MARKERS[0]);
    record(format!("{secret:?}"));
    let token = Token::bearer(MARKERS[1]).unwrap();
    record(format!("{token:?} {:?}", token.header_value()));

    // Providers.
    let basic = BasicProvider::new("user", MARKERS[0]).unwrap();
    record(format!("{basic:?}"));
    record(format!("{:?}", basic.token().await.unwrap()));
    let bearer = BearerProvider::new(MARKERS[1]).unwrap();
    record(format!("{bearer:?}"));
    let hmac = JwtIssuer::builder()
        .hmac_secret(Algorithm::Hs256, MARKERS[2])
        .build()
        .unwrap();
    record(format!("{hmac:?}"));
    let jwt = JwtProvider::new(hmac);
    record(format!("{jwt:?} {:?}", jwt.token().await.unwrap()));
    for error in [
        JwtIssuer::builder()
            .key_store(
                Algorithm::Rs256,
                key("rsa-openssl3.p12"),
                MARKERS[6],
                "signer",
                None,
            )
            .build()
            .unwrap_err(),
        JwtIssuer::builder()
            .key_file(
                Algorithm::Rs256,
                key("rsa-pbes2-aes256.pem"),
                Some(MARKERS[7].into()),
            )
            .build()
            .unwrap_err(),
        JwtIssuer::builder()
            .key_file(
                Algorithm::Rs256,
                key("rsa-traditional-des3.pem"),
                Some(MARKERS[7].into()),
            )
            .build()
            .unwrap_err(),
        JwtIssuer::builder()
            .hmac_secret(Algorithm::Hs512, MARKERS[2])
            .build()
            .unwrap_err(),
        BearerProvider::new(format!("{} x", MARKERS[1])).unwrap_err(),
        BasicProvider::new("user", format!("{}\n", MARKERS[0])).unwrap_err(),
    ] {
        record(chain(&error));
    }

    // OAuth2 against a server that hands out marker tokens, then echoes every secret back.
    let url = echoing_server().await;
    let config = OAuth2Config::password(&url, "user", MARKERS[0]).client("client", MARKERS[3]);
    record(format!("{config:?}"));
    let transport = ReqwestTransport::new(&config.client_config, None).unwrap();
    let oauth2 = OAuth2Provider::builder(config, Arc::new(transport))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let issued = oauth2.token().await.unwrap();
    assert_eq!(
        issued.expose_credential(),
        MARKERS[5],
        "the success path ran"
    );
    record(format!("{oauth2:?} {issued:?}"));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let error = oauth2.token().await.unwrap_err(); // refresh with the marker refresh token: echoed
    record(chain(&error));
    let refresh_config = OAuth2Config::refresh_token(&url, MARKERS[4]).client("client", MARKERS[3]);
    record(format!("{refresh_config:?}"));
    let client = AuthClient::new(reqwest::Client::new(), oauth2);
    record(format!("{client:?}"));
    record(chain(
        &client.get("http://127.0.0.1:9/").send().await.unwrap_err(),
    ));

    // TLS settings and the declarative config.
    let mut socket = SecureSocket::default();
    socket.cert = Some(TrustConfig::TrustStore {
        path: key("missing.p12"),
        password: MARKERS[8].into(),
    });
    socket.key = Some(ClientKey::CertKey {
        cert_file: key("rsa.pem"),
        key_file: key("rsa-pbes2-aes256.pem"),
        key_password: Some(MARKERS[7].into()),
    });
    record(format!("{socket:?}"));
    record(chain(
        &socket
            .apply(reqwest::Client::builder())
            .map(|_| ())
            .unwrap_err(),
    ));
    let file = ClientFileConfig::from_toml_str(&format!(
        "[secure_socket.cert]\npath = \"x.p12\"\npassword = \"{}\"\n[auth]\ntoken_url = \"https://idp.invalid/t\"\nclient_id = \"c\"\nclient_secret = \"{}\"",
        MARKERS[8], MARKERS[3]
    ))
    .unwrap();
    record(format!("{file:?}"));
    for bad in [
        format!(
            "[auth]\nusername = \"u\"\npassword = \"{}\"\nnope = 1",
            MARKERS[0]
        ),
        format!("[auth]\ntoken = \"{}\"\n[[[", MARKERS[1]),
        format!(
            "[auth]\ntoken_url = \"http://idp.invalid/t\"\nclient_id = \"c\"\nclient_secret = \"{}\"",
            MARKERS[3]
        ),
    ] {
        match ClientFileConfig::from_toml_str(&bad) {
            Err(error) => record(chain(&error)),
            Ok(config) => record(chain(&config.build_client().unwrap_err())),
        }
    }

    let tracing_output = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        tracing_output.contains("oauth2.token_request"),
        "tracing was captured"
    );
    seen.push(tracing_output);
    for text in &seen {
        for marker in MARKERS {
            assert!(!text.contains(marker), "{marker} leaked into:\n{text}");
        }
    }
}
