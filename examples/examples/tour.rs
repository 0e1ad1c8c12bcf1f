//! The tour: every auth kind end to end against an embedded token server and a protected
//! resource, both on random 127.0.0.1 ports. No setup, no network beyond loopback.
//!
//! `cargo run -p auth-examples --example tour`
//!
//! Exits 0 when every step behaved as expected, 1 otherwise.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use auth_core::{AuthProvider, SharedAuthProvider};
use auth_http::{AuthClient, ClientSettings, ReqwestTransport};
use auth_jwt_issuer::{Algorithm, JwtIssuer, JwtProvider, SigningKey};
use auth_oauth2::{ClientAuth, OAuth2Config, OAuth2Provider};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};

/// What the embedded token server knows.
#[derive(Default)]
struct Idp {
    next: usize,
    /// Access token → when it expires.
    issued: HashMap<String, Instant>,
    revoked: HashSet<String>,
    /// Refresh tokens still usable (each is used once: rotation).
    refresh_tokens: HashSet<String>,
    /// Grant types received, in order.
    grants: Vec<String>,
}

type Shared = Arc<Mutex<Idp>>;

fn keys() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../crates/auth-jwt-issuer/tests/keys")
}

fn respond(status: u16, body: String) -> http::Response<Full<Bytes>> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("www-authenticate", r#"Bearer error="invalid_token""#)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// `POST /token`: client credentials (`tour-client` / `tour-secret`, in the header or the
/// body), password (`alice` / `wonderland`, 1-second tokens) and refresh-token grants.
fn token_endpoint(
    idp: &Shared,
    headers: &http::HeaderMap,
    body: &[u8],
) -> http::Response<Full<Bytes>> {
    let params = form(body);
    let mut idp = idp.lock().unwrap_or_else(|e| e.into_inner());
    let grant = params.get("grant_type").cloned().unwrap_or_default();
    idp.grants.push(grant.clone());
    let basic_ok = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some("Basic dG91ci1jbGllbnQ6dG91ci1zZWNyZXQ=");
    let body_ok = params.get("client_id").map(String::as_str) == Some("tour-client")
        && params.get("client_secret").map(String::as_str) == Some("tour-secret");
    let (prefix, lifetime) = match grant.as_str() {
        "client_credentials" if basic_ok || body_ok => ("cc", 3600),
        "client_credentials" => {
            return respond(
                401,
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
                    .into(),
            );
        }
        "password"
            if params.get("username").map(String::as_str) == Some("alice")
                && params.get("password").map(String::as_str) == Some("wonderland") =>
        {
            ("pw", 1)
        }
        "refresh_token" => {
            let presented = params.get("refresh_token").cloned().unwrap_or_default();
            if !idp.refresh_tokens.remove(&presented) {
                return respond(400, r#"{"error":"invalid_grant","error_description":"unknown or used refresh token"}"#.into());
            }
            ("rf", 1)
        }
        _ => return respond(400, r#"{"error":"invalid_grant"}"#.into()),
    };
    idp.next += 1;
    let n = idp.next;
    let access = format!("{prefix}-{n:04}-{}", "x".repeat(24));
    idp.issued.insert(
        access.clone(),
        Instant::now() + Duration::from_secs(lifetime),
    );
    let refresh = format!("rt-{n:04}");
    idp.refresh_tokens.insert(refresh.clone());
    respond(
        200,
        format!(
            r#"{{"access_token":"{access}","token_type":"Bearer","expires_in":{lifetime},"refresh_token":"{refresh}"}}"#
        ),
    )
}

/// `GET /hello`: Basic admin/123, the static token, a JWT signed by the tour's key, or an
/// access token the token server issued, unexpired and not revoked.
fn resource(idp: &Shared, headers: &http::HeaderMap) -> http::Response<Full<Bytes>> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let who = if auth == "Basic YWRtaW46MTIz" {
        Some("admin (Basic)".to_owned())
    } else if auth == "Bearer tour-static-token" {
        Some("static bearer token".to_owned())
    } else if let Some(token) = auth.strip_prefix("Bearer ") {
        if token.starts_with("eyJ") {
            verify_jwt(token)
        } else {
            let idp = idp.lock().unwrap_or_else(|e| e.into_inner());
            match idp.issued.get(token) {
                Some(expiry) if Instant::now() < *expiry && !idp.revoked.contains(token) => {
                    Some("OAuth2 access token".to_owned())
                }
                _ => None,
            }
        }
    } else {
        None
    };
    match who {
        Some(who) => respond(200, format!("hello, {who}")),
        None => respond(401, "rejected".into()),
    }
}

fn verify_jwt(token: &str) -> Option<String> {
    let public = std::fs::read(keys().join("rsa.pub.pem")).ok()?;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(&public).ok()?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["tour-resource"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).ok()?;
    Some(format!(
        "JWT for {} (signature verified)",
        data.claims["sub"].as_str().unwrap_or("?")
    ))
}

/// A tonic server on 127.0.0.1 with the gRPC health service behind an interceptor that accepts
/// what the HTTP resource accepts; its URL.
async fn start_grpc(idp: Shared) -> std::io::Result<String> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let check = move |request: tonic::Request<()>| {
        let headers = request.metadata().clone().into_headers();
        if resource(&idp, &headers).status() == 200 {
            Ok(request)
        } else {
            Err(tonic::Status::unauthenticated("token rejected"))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _reporter = reporter;
        tonic::transport::Server::builder()
            .add_service(tonic::service::interceptor::InterceptedService::new(
                health, check,
            ))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener))
            .await
    });
    Ok(url)
}

/// Step 7: health checks through a tonic channel wrapped in `AuthLayer`, with the OAuth2
/// provider of step 3.
async fn grpc(tour: &mut Tour, provider: &SharedAuthProvider) -> auth_core::Result<()> {
    use tonic_health::pb::HealthCheckRequest;
    use tonic_health::pb::health_client::HealthClient;

    let failed = |e: &dyn std::fmt::Display| auth_core::Error::other(e.to_string());
    let url = start_grpc(Arc::clone(&tour.idp))
        .await
        .map_err(|e| failed(&e))?;
    let channel = tonic::transport::Endpoint::from_shared(url)
        .map_err(|e| failed(&e))?
        .connect()
        .await
        .map_err(|e| failed(&e))?;
    let layer = auth_tower::AuthLayer::from_shared(provider.clone()).grpc_status_errors();
    let mut client = HealthClient::new(tower::ServiceBuilder::new().layer(layer).service(channel));
    let ask = || HealthCheckRequest {
        service: String::new(),
    };
    let before = tour.grants().len();
    let mut serving = 0;
    for _ in 0..20 {
        if client.check(ask()).await.is_ok() {
            serving += 1;
        }
    }
    tour.check(
        "20 health checks on the cached token",
        serving == 20 && tour.grants().len() == before,
        format!(
            "{serving} SERVING, {} token requests",
            tour.grants().len() - before
        ),
    );
    let current = provider.token().await?;
    tour.idp
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .revoked
        .insert(current.expose_credential().to_owned());
    let refused = client.check(ask()).await.err().map(|s| s.code());
    let next = client.check(ask()).await.is_ok();
    tour.check(
        "revoked: UNAUTHENTICATED once, then a new token",
        refused == Some(tonic::Code::Unauthenticated) && next && tour.grants().len() == before + 1,
        format!("{refused:?}, then SERVING"),
    );
    Ok(())
}

async fn start(idp: Shared) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let idp = Arc::clone(&idp);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: http::Request<hyper::body::Incoming>| {
                        let idp = Arc::clone(&idp);
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let response = match parts.uri.path() {
                                "/token" => token_endpoint(&idp, &parts.headers, &body),
                                _ => resource(&idp, &parts.headers),
                            };
                            Ok::<_, Infallible>(response)
                        }
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// `cc-0001-xxxx…` → `cc-0001-xx…` (enough to tell tokens apart, not enough to use one).
fn short(credential: &str) -> String {
    let head: String = credential.chars().take(10).collect();
    format!("{head}…")
}

struct Tour {
    base: String,
    token_url: String,
    idp: Shared,
    passed: usize,
    failed: usize,
}

impl Tour {
    fn check(&mut self, step: &str, ok: bool, detail: String) {
        if ok {
            self.passed += 1;
            println!("  ok    {step:<44} {detail}");
        } else {
            self.failed += 1;
            println!("  FAIL  {step:<44} {detail}");
        }
    }

    fn oauth2(&self, config: OAuth2Config) -> auth_core::Result<OAuth2Provider> {
        let transport = ReqwestTransport::new(&ClientSettings::default())?;
        OAuth2Provider::new(config, Arc::new(transport))
    }

    fn grants(&self) -> Vec<String> {
        self.idp
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .grants
            .clone()
    }

    /// GET /hello with `provider`; the body and the credential that was used.
    async fn hello(&mut self, step: &str, provider: SharedAuthProvider) -> Option<String> {
        let client = AuthClient::from_shared(reqwest::Client::new(), provider.clone());
        match client.get(format!("{}/hello", self.base)).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                let credential = provider
                    .token()
                    .await
                    .map(|t| short(t.expose_credential()))
                    .unwrap_or_default();
                self.check(
                    step,
                    status == 200,
                    format!("{status} \"{body}\"  [{credential}]"),
                );
                Some(body)
            }
            Err(e) => {
                self.check(step, false, e.to_string());
                None
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let idp: Shared = Arc::default();
    idp.lock()
        .unwrap_or_else(|e| e.into_inner())
        .refresh_tokens
        .insert("rt-seed".into());
    let addr = match start(Arc::clone(&idp)).await {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("tour: cannot start the embedded servers on 127.0.0.1 ({e})");
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut tour = Tour {
        base: format!("http://{addr}"),
        token_url: format!("http://{addr}/token"),
        idp,
        passed: 0,
        failed: 0,
    };
    println!(
        "auth-rs tour: token endpoint {}, resource {}/hello",
        tour.token_url, tour.base
    );
    println!("(credentials are shown shortened: enough to tell them apart, not enough to use)\n");
    let started = Instant::now();
    if let Err(e) = steps(&mut tour).await {
        tour.check("setting up a step", false, e.to_string());
    }
    println!(
        "\ntour finished in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    println!("{} passed, {} failed", tour.passed, tour.failed);
    if tour.failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

async fn steps(tour: &mut Tour) -> auth_core::Result<()> {
    println!("1. Static credentials");
    tour.hello(
        "Basic admin/123",
        SharedAuthProvider::new(auth_basic::BasicProvider::new("admin", "123")?),
    )
    .await;
    tour.hello(
        "Bearer (static token)",
        SharedAuthProvider::new(auth_bearer::BearerProvider::new("tour-static-token")?),
    )
    .await;

    println!("\n2. Self-signed JWT (RS256, key from a PEM file; the resource verifies it)");
    let issuer = JwtIssuer::builder()
        .username("tour-service")
        .issuer("auth-rs tour")
        .audience("tour-resource")
        .signer(SigningKey::from_file(
            Algorithm::Rs256,
            keys().join("rsa.pem"),
            None,
        )?)
        .build()?;
    let jwt = SharedAuthProvider::new(JwtProvider::new(issuer));
    tour.hello("JWT signed once, cached until near exp", jwt.clone())
        .await;
    let again = jwt.token().await?;
    let first = jwt.token().await?;
    tour.check(
        "the next request reuses the same JWT",
        again.same_credential(&first),
        String::new(),
    );

    println!("\n3. OAuth2 client credentials");
    let header = tour.oauth2(OAuth2Config::client_credentials(
        &tour.token_url,
        ClientAuth::basic("tour-client", "tour-secret"),
    ))?;
    let header = SharedAuthProvider::new(header);
    tour.hello("credentials in the Authorization header", header.clone())
        .await;
    let body = tour.oauth2(OAuth2Config::client_credentials(
        &tour.token_url,
        ClientAuth::post("tour-client", "tour-secret"),
    ))?;
    tour.hello(
        "credentials in the form body",
        SharedAuthProvider::new(body),
    )
    .await;
    let before = tour.grants().len();
    for _ in 0..20 {
        header.token().await?;
    }
    tour.check(
        "20 more calls: served from the cache",
        tour.grants().len() == before,
        format!("{} token requests", tour.grants().len() - before),
    );

    println!("\n4. OAuth2 password grant, 1-second tokens: refresh after expiry");
    let password = SharedAuthProvider::new(tour.oauth2(OAuth2Config::password(
        &tour.token_url,
        "alice",
        "wonderland",
    ))?);
    tour.hello("password grant", password.clone()).await;
    let old = password.token().await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    tour.hello(
        "after expiry: renewed with the refresh token",
        password.clone(),
    )
    .await;
    let new = password.token().await?;
    let last_grant = tour.grants().last().cloned().unwrap_or_default();
    tour.check(
        "the renewal used the refresh_token grant",
        last_grant == "refresh_token" && !old.same_credential(&new),
        format!(
            "{} -> {}",
            short(old.expose_credential()),
            short(new.expose_credential())
        ),
    );

    println!("\n5. OAuth2 refresh-token grant with rotation (each refresh token works once)");
    let refresh = SharedAuthProvider::new(
        tour.oauth2(OAuth2Config::refresh_token(&tour.token_url, "rt-seed"))?,
    );
    tour.hello("first token from rt-seed", refresh.clone())
        .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    tour.hello(
        "after expiry: the rotated refresh token works",
        refresh.clone(),
    )
    .await;

    println!("\n6. A rejected token is replaced and the request replayed once");
    let current = header.token().await?;
    tour.idp
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .revoked
        .insert(current.expose_credential().to_owned());
    let before = tour.grants().len();
    tour.hello(
        "the resource revoked the token: 401, replay",
        header.clone(),
    )
    .await;
    tour.check(
        "exactly one new token request for the replay",
        tour.grants().len() == before + 1,
        format!("{} token request(s)", tour.grants().len() - before),
    );

    println!("\n7. gRPC (tonic) through the tower layer: the standard health service");
    grpc(tour, &header).await?;

    println!("\n8. A wrong client secret is a clear error");
    let wrong = tour.oauth2(OAuth2Config::client_credentials(
        &tour.token_url,
        ClientAuth::basic("tour-client", "not-the-secret"),
    ))?;
    match wrong.token().await {
        Ok(_) => tour.check("invalid_client reported", false, "a token came back".into()),
        Err(e) => {
            let text = e.to_string();
            let clear = text.contains("invalid_client")
                && text.contains("HTTP 401")
                && !text.contains("not-the-secret");
            tour.check("invalid_client reported", clear, String::new());
            println!("        {text}");
        }
    }
    Ok(())
}
