//! A counting OAuth2 token server and an OAuth2 provider on a manual clock.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::clock::ManualClock;
use auth_http::{ClientSettings, ReqwestTransport};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// Serves `handler` over HTTP/1.1 and HTTP/2 on 127.0.0.1; returns the address.
pub(crate) async fn serve<H, F>(handler: H) -> SocketAddr
where
    H: Fn(http::Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = http::Response<Full<Bytes>>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let reply = handler(request);
                    async move { Ok::<_, Infallible>(reply.await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// A token server that issues `t1`, `t2`, ... valid for an hour, and counts its requests.
#[derive(Clone)]
pub(crate) struct TokenServer {
    pub(crate) addr: SocketAddr,
    issued: Arc<AtomicUsize>,
}

impl TokenServer {
    pub(crate) async fn start() -> Self {
        let issued = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&issued);
        let addr = serve(move |_request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                let body =
                    format!(r#"{{"access_token":"t{n}","token_type":"Bearer","expires_in":3600}}"#);
                http::Response::builder()
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(body)))
                    .unwrap()
            }
        })
        .await;
        Self { addr, issued }
    }

    /// How many tokens were requested.
    pub(crate) fn requests(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    /// An OAuth2 client-credentials provider against this server, reading `clock`, with no
    /// refresh ahead of time (so expiry is the clock's alone).
    pub(crate) fn provider(&self, clock: Arc<ManualClock>) -> OAuth2Provider {
        provider_at(&format!("http://{}/token", self.addr), clock)
    }
}

/// The client secret: spaces, `& + % :` and non-ASCII, as real ones hold.
pub(crate) const CLIENT_SECRET: &str = "pä$s wörd:1&+%";

/// Every form the client secret could take in text: its wire forms, and the Basic
/// credentials made of each (base64 of `svc:<secret>`, raw or form-encoded).
pub(crate) fn secret_forms() -> Vec<String> {
    use base64::Engine as _;
    let forms = auth_core::testing::wire_forms(CLIENT_SECRET);
    let basic: Vec<String> = forms[..3]
        .iter()
        .map(|form| base64::engine::general_purpose::STANDARD.encode(format!("svc:{form}")))
        .collect();
    forms.into_iter().chain(basic).collect()
}

/// Fails when `text` holds any form of the client secret.
pub(crate) fn assert_no_secret(text: &str) {
    for form in secret_forms() {
        assert!(!text.contains(&form), "{form} leaked into: {text}");
    }
}

/// An OAuth2 client-credentials provider against `token_url`.
pub(crate) fn provider_at(token_url: &str, clock: Arc<ManualClock>) -> OAuth2Provider {
    let config =
        OAuth2Config::client_credentials(token_url, ClientAuth::basic("svc", CLIENT_SECRET))
            .clock_skew(Duration::ZERO);
    let transport = ReqwestTransport::new(&ClientSettings::default()).unwrap();
    OAuth2Provider::builder(config, Arc::new(transport))
        .clock(clock)
        .refresh_ahead(None)
        .retry_policy(auth_oauth2::RetryPolicy::none())
        .build()
        .unwrap()
}
