//! Runnable examples for the `auth-*` workspace; see `examples/` and `README.md` beside this
//! file. This library holds what several examples share: a small identity provider and a
//! protected resource on 127.0.0.1.
#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use auth_http::{ClientSettings, ReqwestTransport};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What the embedded identity provider has issued and revoked, and how many tokens it was asked
/// for.
#[derive(Debug, Default)]
struct Ledger {
    issued: HashSet<String>,
    revoked: HashSet<String>,
    requests: usize,
}

/// An identity provider (`POST /token`, client credentials `demo` / `demo-secret`) and a resource
/// (any other path) that accepts the tokens it issued and has not revoked; both on one random
/// 127.0.0.1 port, served on the current Tokio runtime.
#[derive(Clone, Debug)]
pub struct DemoServers {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    ledger: Arc<Mutex<Ledger>>,
}

impl DemoServers {
    /// Starts both on the current runtime.
    ///
    /// # Errors
    ///
    /// When no port on 127.0.0.1 can be bound.
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let servers = Self {
            base: format!("http://{}", listener.local_addr()?),
            ledger: Arc::default(),
        };
        let ledger = Arc::clone(&servers.ledger);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let ledger = Arc::clone(&ledger);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let ledger = Arc::clone(&ledger);
                        async move { Ok::<_, Infallible>(answer(&ledger, request).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(servers)
    }

    /// The token endpoint's URL.
    pub fn token_url(&self) -> String {
        format!("{}/token", self.base)
    }

    /// An OAuth2 client-credentials provider for this identity provider.
    ///
    /// # Errors
    ///
    /// As [`OAuth2Provider::new`].
    pub fn provider(&self) -> auth_core::Result<OAuth2Provider> {
        let config = OAuth2Config::client_credentials(
            self.token_url(),
            ClientAuth::basic("demo", "demo-secret"),
        );
        let transport = ReqwestTransport::new(&ClientSettings::default())?;
        OAuth2Provider::new(config, Arc::new(transport))
    }

    /// How many tokens were requested so far.
    pub fn token_requests(&self) -> usize {
        self.lock().requests
    }

    /// Whether `authorization` (a whole header value) carries a token this provider issued and
    /// has not revoked.
    pub fn accepts(&self, authorization: &str) -> bool {
        accepts(&self.lock(), authorization)
    }

    /// Revokes every token issued so far, as a server does after a key rotation.
    pub fn revoke_all(&self) {
        let mut ledger = self.lock();
        let issued: Vec<_> = ledger.issued.iter().cloned().collect();
        ledger.revoked.extend(issued);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn accepts(ledger: &Ledger, authorization: &str) -> bool {
    authorization
        .strip_prefix("Bearer ")
        .is_some_and(|token| ledger.issued.contains(token) && !ledger.revoked.contains(token))
}

async fn answer(
    ledger: &Mutex<Ledger>,
    request: http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
    let (status, text) = if parts.uri.path() == "/token" {
        // `demo:demo-secret` in Basic.
        if parts
            .headers
            .get("authorization")
            .is_some_and(|v| v == "Basic ZGVtbzpkZW1vLXNlY3JldA==")
        {
            ledger.requests += 1;
            let token = format!("demo-token-{}", ledger.requests);
            ledger.issued.insert(token.clone());
            let json =
                format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":3600}}"#);
            (200, json)
        } else {
            (401, r#"{"error":"invalid_client"}"#.to_owned())
        }
    } else {
        let authorization = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if accepts(&ledger, authorization) {
            (200, format!("hello; you sent {} bytes", body.len()))
        } else {
            (401, "token rejected".to_owned())
        }
    };
    http::Response::builder()
        .status(status)
        .body(Full::new(Bytes::from(text)))
        .unwrap_or_default()
}
