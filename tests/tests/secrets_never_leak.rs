//! No secret escapes: every public type that holds a secret is built with a unique marker, the
//! success and failure paths are driven (including a token endpoint that echoes each request's
//! form-encoded body and Authorization header back), and no marker, in any form it takes on the
//! wire, may appear in any `Debug`, `Display`, error chain, or `tracing` output captured at
//! TRACE level. Real secrets hold spaces, `&`, `+`, `%`, `!`, `@`, `:` and non-ASCII text, and
//! some are one to three characters long; so do these.
#![allow(clippy::unwrap_used, reason = "test helpers fail loudly on purpose")]

use std::path::PathBuf;
use std::sync::Arc;

use auth::basic::BasicProvider;
use auth::bearer::BearerProvider;
use auth::http::{
    AuthClient, ClientFileConfig, ClientKey, ClientSettings, ReqwestTransport, SecureSocket,
    TrustConfig,
};
use auth::jwt::{Algorithm, JwtIssuer, JwtProvider, SigningKey};
use auth::oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, RetryPolicy};
use auth_core::testing::{CapturedOutput, wire_forms};
use auth_core::{AuthProvider, SecretString, Token};
use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MARKERS: [&str; 9] = [
    "MARKER pa ss&w0rd+1%ü!",
    "MARKER-bear.er_2~+/",
    "MARKERhmacsecret3-padded-to-thirty-two-bytes",
    "MARKER cl!ent secret@:é4",
    "MARKERrt+/=5",
    "MARKER-acc.ess_6~+/=",
    "MARKER store&pass+7",
    "MARKER key%pass:8",
    "MARKER tls@pass!9",
];

/// Secrets too short to search for in free text: their echoed form-parameter forms are checked.
const SHORT_PASSWORD: &str = "p&";
const SHORT_SECRET: &str = "q!";
const SHORT_BASIC_SECRET: &str = "x";

fn key(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/auth-jwt-issuer/tests/keys")
        .join(name)
}

/// Reads one HTTP/1.1 request: its head and its body.
async fn read_request(stream: &mut tokio::net::TcpStream) -> (String, String) {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = stream.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        data.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return (
                    text[..end].to_owned(),
                    text[end + 4..end + 4 + length].to_owned(),
                );
            }
        }
    }
    (String::new(), String::new())
}

/// A token endpoint on 127.0.0.1: the first request gets a token made of markers (a refresh
/// token with `+`, `/` and `=`), every later one an error whose description echoes the request
/// body as sent (form-encoded), its Authorization header and (to the client that holds it)
/// the current access token, as careless servers do.
async fn echoing_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut stream, _)) = listener.accept().await {
            let (head, body) = read_request(&mut stream).await;
            let (status, body) = if std::mem::take(&mut first) {
                (
                    "200 OK",
                    format!(
                        r#"{{"access_token":"{}","refresh_token":"{}","expires_in":1}}"#,
                        MARKERS[5], MARKERS[4]
                    ),
                )
            } else {
                let authorization = head
                    .lines()
                    .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                    .unwrap_or_default();
                // To the client refreshing the session it issued, the access token being
                // replaced is echoed too (servers name the token they refuse); other clients
                // never had it, so it is no secret of theirs.
                let issued_refresh: String =
                    form_urlencoded::byte_serialize(MARKERS[4].as_bytes()).collect();
                let current = if body.contains(&format!("refresh_token={issued_refresh}")) {
                    MARKERS[5]
                } else {
                    ""
                };
                let echo = serde_json::to_string(&format!(
                    "bad request {body} ({authorization}) for token {current} MARKER-free text"
                ))
                .unwrap();
                (
                    "400 Bad Request",
                    format!(
                        r#"{{"error":"invalid_request","error_description":{echo},"error_uri":{echo}}}"#
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
    let captured = CapturedOutput::default();
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
        .signer(SigningKey::hmac(Algorithm::Hs256, MARKERS[2]).unwrap())
        .build()
        .unwrap();
    record(format!("{hmac:?}"));
    let jwt = JwtProvider::new(hmac);
    record(format!("{jwt:?} {:?}", jwt.token().await.unwrap()));
    for error in [
        SigningKey::from_pkcs12_file(
            Algorithm::Rs256,
            key("rsa-openssl3.p12"),
            MARKERS[6],
            "signer",
            None,
        )
        .unwrap_err(),
        SigningKey::from_file(
            Algorithm::Rs256,
            key("rsa-pbes2-aes256.pem"),
            Some(MARKERS[7].into()),
        )
        .unwrap_err(),
        SigningKey::from_file(
            Algorithm::Rs256,
            key("rsa-traditional-des3.pem"),
            Some(MARKERS[7].into()),
        )
        .unwrap_err(),
        SigningKey::hmac(Algorithm::Hs512, MARKERS[2]).unwrap_err(),
        BearerProvider::new(format!("{} x", MARKERS[1])).unwrap_err(),
        BasicProvider::new("user", format!("{}\n", MARKERS[0])).unwrap_err(),
    ] {
        record(chain(&error));
    }

    // OAuth2 against a server that hands out marker tokens, then echoes every request back.
    let url = echoing_server().await;
    let config = OAuth2Config::password(&url, "user", MARKERS[0])
        .client_auth(ClientAuth::basic("client", MARKERS[3]));
    record(format!("{config:?}"));
    let transport = Arc::new(ReqwestTransport::new(&ClientSettings::default()).unwrap());
    let oauth2 = OAuth2Provider::builder(config, transport.clone())
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
    // The refresh (refresh token, Basic credential) is echoed back.
    let error = oauth2.token().await.unwrap_err();
    assert!(
        error.to_string().contains("bad request")
            && error.to_string().contains("for token [redacted]"),
        "the echo, with the current access token, reached the error: {error}"
    );
    record(chain(&error));
    let refresh_config = OAuth2Config::refresh_token(&url, MARKERS[4])
        .client_auth(ClientAuth::post("client", MARKERS[3]));
    record(format!("{refresh_config:?}"));

    // Secrets of one to three characters, in the body (password grant, client_secret_post) and
    // in the Basic credential, echoed back.
    let short = |auth: ClientAuth| {
        let config = OAuth2Config::password(&url, "user", SHORT_PASSWORD).client_auth(auth);
        OAuth2Provider::builder(config, transport.clone())
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap()
    };
    let mut short_errors = Vec::new();
    for provider in [
        short(ClientAuth::post("client", SHORT_SECRET)),
        short(ClientAuth::basic("c", SHORT_BASIC_SECRET)),
    ] {
        let error = provider.token().await.unwrap_err();
        assert!(error.to_string().contains("bad request"), "{error}");
        short_errors.push(chain(&error));
    }
    let client = AuthClient::new(reqwest::Client::new(), oauth2);
    record(format!("{client:?}"));
    record(chain(
        &client.get("http://127.0.0.1:9/").send().await.unwrap_err(),
    ));

    // TLS settings and the declarative config.
    let mut socket = SecureSocket::default();
    // A real store opened with the wrong password: the password-checking path runs.
    socket.cert = Some(TrustConfig::TrustStore {
        path: key("rsa-openssl3.p12"),
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
        // The syntax error is on the secret's own line, the one a parser quotes.
        format!("[auth]\ntoken = \"{}\" nope", MARKERS[1]),
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

    let tracing_output = captured.text();
    assert!(
        tracing_output.contains("oauth2.token_request"),
        "tracing was captured"
    );
    seen.push(tracing_output.clone());
    // The Basic client credentials as sent: base64 of `client:secret`, with the secret raw or
    // form-encoded first (RFC 6749 §2.3.1).
    let basic_forms: Vec<String> = wire_forms(MARKERS[3])[..3]
        .iter()
        .map(|secret| base64::engine::general_purpose::STANDARD.encode(format!("client:{secret}")))
        .collect();
    for text in &seen {
        for marker in MARKERS {
            for form in wire_forms(marker) {
                assert!(!text.contains(&form), "{form} leaked into:\n{text}");
            }
        }
        for form in &basic_forms {
            assert!(!text.contains(form), "{form} leaked into:\n{text}");
        }
    }
    // The echoed form parameters and Basic credentials of the short secrets are blanked.
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("c:{SHORT_BASIC_SECRET}"));
    for text in short_errors.iter().chain([&tracing_output]) {
        for leaked in [
            format!("password={}", wire_forms(SHORT_PASSWORD)[2]),
            format!("password={SHORT_PASSWORD}"),
            format!("client_secret={}", wire_forms(SHORT_SECRET)[2]),
            format!("client_secret={SHORT_SECRET}"),
            basic.clone(),
        ] {
            assert!(!text.contains(&leaked), "{leaked} leaked into:\n{text}");
        }
    }
}
