//! OAuth2 end to end through the reqwest transport against an in-process token server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use auth_core::AuthProvider;
use auth_http::{ClientSettings, HttpVersion, ReqwestTransport};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider, TransportErrorKind};
use base64::Engine as _;

use crate::support::{Server, json, serve};

/// A token endpoint: client credentials (Basic `id:secret`), password (`alice`/`pw`) and
/// refresh-token (rotating) grants; every token is `at-N`. A refused request is echoed back,
/// Authorization header and form body as sent, as careless servers do.
pub(crate) async fn token_server() -> Server {
    let counter = Arc::new(AtomicUsize::new(0));
    serve(None, move |seen| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            let form = seen.form();
            let param = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let grant = param("grant_type").unwrap_or_default();
            let ok = match grant.as_str() {
                "client_credentials" => seen.authorization().as_deref() == Some("Basic aWQ6c2VjcmV0"),
                "password" => param("username").as_deref() == Some("alice") && param("password").as_deref() == Some("pw"),
                "refresh_token" => param("refresh_token").is_some_and(|t| t.starts_with("rt-")),
                _ => false,
            };
            if ok {
                json(200, &format!(r#"{{"access_token":"at-{n}","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-{n}"}}"#))
            } else {
                let echo = format!(
                    "refused {} {}",
                    seen.authorization().unwrap_or_default(),
                    String::from_utf8_lossy(&seen.body)
                );
                let body = serde_json::json!({"error": "invalid_grant", "error_description": echo});
                json(400, &body.to_string())
            }
        }
    })
    .await
}

fn provider(config: OAuth2Config) -> OAuth2Provider {
    provider_with(config, &ClientSettings::default())
}

fn provider_with(config: OAuth2Config, settings: &ClientSettings) -> OAuth2Provider {
    let transport = ReqwestTransport::new(settings).unwrap();
    OAuth2Provider::new(config, Arc::new(transport)).unwrap()
}

fn cc(url: impl Into<String>, id: &str, secret: &str) -> OAuth2Config {
    OAuth2Config::client_credentials(url, ClientAuth::basic(id, secret))
}

#[tokio::test]
async fn three_grants_and_connection_reuse() {
    let server = token_server().await;
    let token_url = server.url("/token");
    let cc = provider(cc(&token_url, "id", "secret"));
    let password = provider(OAuth2Config::password(&token_url, "alice", "pw"));
    let refresh = provider(OAuth2Config::refresh_token(&token_url, "rt-0"));
    for provider in [&cc, &password, &refresh] {
        let token = provider.token().await.unwrap();
        assert!(token.expose_credential().starts_with("at-"), "{provider:?}");
    }
    // One pooled client per provider: repeated token requests share its connection.
    for _ in 0..5 {
        let token = cc.token().await.unwrap();
        cc.invalidate(&token);
    }
    cc.token().await.unwrap();
    assert_eq!(
        server.requests(),
        2 + 6,
        "two other providers, six client-credentials requests"
    );
    assert!(server.seen().iter().all(|s| s.method == http::Method::POST));
    assert_eq!(
        server.connections(),
        3,
        "one connection per provider, reused"
    );
}

#[tokio::test]
async fn http2_is_used_when_asked() {
    let server = token_server().await;
    let settings = ClientSettings::default().http_version(HttpVersion::Http2);
    provider_with(cc(server.url("/token"), "id", "secret"), &settings)
        .token()
        .await
        .unwrap();
    assert_eq!(server.seen()[0].version, http::Version::HTTP_2);
}

#[tokio::test]
async fn redirects_refused_connections_and_wrong_credentials_are_typed() {
    let redirecting = serve(None, |_| async {
        http::Response::builder()
            .status(307)
            .header("location", "https://elsewhere.example/token")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    })
    .await;
    let err = provider(cc(redirecting.url("/token"), "id", "secret"))
        .token()
        .await
        .unwrap_err();
    assert!(err.message().contains("never follow redirects"), "{err}");
    assert_eq!(redirecting.requests(), 1);

    // A port nothing listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let transport = Arc::new(ReqwestTransport::new(&ClientSettings::default()).unwrap());
    let direct = auth_oauth2::TokenTransport::send(
        transport.as_ref(),
        http::Request::post(format!("http://127.0.0.1:{port}/token"))
            .body(Vec::new())
            .unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(direct.kind(), TransportErrorKind::Connect, "{direct}");

    let server = token_server().await;
    // The refusal echoes the Basic header (base64 of `id:secret`, form-encoded first).
    let secret = "wr0ng s&cret+ü:%";
    let err = provider(cc(server.url("/token"), "id", secret))
        .token()
        .await
        .unwrap_err();
    assert!(err.message().contains("HTTP 400, invalid_grant"), "{err}");
    assert!(err.message().contains("refused Basic [redacted]"), "{err}");
    let form: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let sent = base64::engine::general_purpose::STANDARD.encode(format!("id:{form}"));
    for shown in [secret, form.as_str(), sent.as_str(), "wr0ng"] {
        assert!(!err.to_string().contains(shown), "{shown}: {err}");
    }
}

#[test]
fn zero_timeouts_are_refused() {
    let settings = ClientSettings::default().request_timeout(std::time::Duration::ZERO);
    let err = ReqwestTransport::new(&settings).unwrap_err();
    assert!(err.message().contains("greater than zero"), "{err}");
}
