//! A tonic channel through the layer, calling the standard gRPC health service of a tonic server
//! whose interceptor checks the bearer token.
#![cfg(feature = "tonic")]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use auth_core::clock::ManualClock;
use auth_tower::{AuthLayer, AuthService};
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;

use crate::support::{TokenServer, assert_no_secret, provider_at};

/// One hour and a second: past the expiry of every token the server issued.
const PAST_EXPIRY: std::time::Duration = std::time::Duration::from_secs(3601);

/// A gRPC server whose interceptor refuses revoked or missing tokens with `UNAUTHENTICATED`
/// and records each call's `authorization`.
#[derive(Clone, Default)]
struct GrpcServer {
    revoked: Arc<Mutex<HashSet<String>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl GrpcServer {
    async fn start(&self) -> SocketAddr {
        let (reporter, health) = tonic_health::server::health_reporter();
        reporter
            .set_service_status("", tonic_health::ServingStatus::Serving)
            .await;
        let state = self.clone();
        let check = move |request: tonic::Request<()>| {
            let authorization = request
                .metadata()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            state.seen.lock().unwrap().push(authorization.clone());
            match authorization.strip_prefix("Bearer ") {
                Some(token) if !state.revoked.lock().unwrap().contains(token) => Ok(request),
                _ => Err(Status::unauthenticated("revoked")),
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            // The reporter lives as long as the server, so `watch` streams stay open.
            let _reporter = reporter;
            Server::builder()
                .add_service(tonic::service::interceptor::InterceptedService::new(
                    health, check,
                ))
                .serve_with_incoming(TcpIncoming::from(listener))
                .await
                .unwrap();
        });
        addr
    }

    fn revoke(&self, token: &str) {
        self.revoked.lock().unwrap().insert(token.to_owned());
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn client(addr: SocketAddr, layer: AuthLayer) -> HealthClient<AuthService<Channel>> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    HealthClient::new(ServiceBuilder::new().layer(layer).service(channel))
}

async fn check(client: &mut HealthClient<AuthService<Channel>>) -> Result<i32, Status> {
    let request = HealthCheckRequest {
        service: String::new(),
    };
    Ok(client.check(request).await?.into_inner().status)
}

#[tokio::test]
async fn one_token_serves_100_calls_and_expiry_costs_one_refresh() {
    let tokens = TokenServer::start().await;
    let server = GrpcServer::default();
    let addr = server.start().await;
    let clock = Arc::new(ManualClock::starting_now());
    let layer = AuthLayer::new(tokens.provider(Arc::clone(&clock))).grpc_status_errors();
    let mut client = client(addr, layer).await;
    for _ in 0..100 {
        assert_eq!(
            check(&mut client).await.unwrap(),
            ServingStatus::Serving as i32
        );
    }
    assert_eq!(tokens.requests(), 1);
    clock.advance(PAST_EXPIRY);
    assert_eq!(
        check(&mut client).await.unwrap(),
        ServingStatus::Serving as i32
    );
    assert_eq!(tokens.requests(), 2);
    let seen = server.seen();
    assert_eq!(seen.len(), 101);
    assert!(seen[..100].iter().all(|a| a == "Bearer t1"));
    assert_eq!(seen[100], "Bearer t2");
}

#[tokio::test]
async fn a_revoked_token_fails_one_call_and_the_next_call_gets_a_fresh_one() {
    let tokens = TokenServer::start().await;
    let server = GrpcServer::default();
    let addr = server.start().await;
    let layer = AuthLayer::new(tokens.provider(Arc::new(ManualClock::starting_now())));
    let mut client = client(addr, layer).await;
    check(&mut client).await.unwrap();
    server.revoke("t1");
    // A gRPC body is a stream of encoded messages: the call is not replayed, its status is
    // the server's, and the rejected token is dropped.
    let status = check(&mut client).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "revoked");
    assert_eq!(tokens.requests(), 1);
    check(&mut client).await.unwrap();
    assert_eq!(tokens.requests(), 2, "one new token request");
    assert_eq!(server.seen(), ["Bearer t1", "Bearer t1", "Bearer t2"]);
}

#[tokio::test]
async fn a_streaming_call_carries_the_header() {
    let tokens = TokenServer::start().await;
    let server = GrpcServer::default();
    let addr = server.start().await;
    let layer = AuthLayer::new(tokens.provider(Arc::new(ManualClock::starting_now())));
    let mut client = client(addr, layer).await;
    let request = HealthCheckRequest {
        service: String::new(),
    };
    let mut updates = client.watch(request).await.unwrap().into_inner();
    let first = updates.message().await.unwrap().unwrap();
    assert_eq!(first.status, ServingStatus::Serving as i32);
    assert_eq!(server.seen(), ["Bearer t1"]);
}

#[tokio::test]
async fn a_provider_failure_is_unauthenticated_with_grpc_status_errors_and_unknown_without() {
    let server = GrpcServer::default();
    let addr = server.start().await;
    // Nothing listens on port 1 of 127.0.0.1.
    let provider = || {
        provider_at(
            "http://127.0.0.1:1/token",
            Arc::new(ManualClock::starting_now()),
        )
    };

    let mut client_with = client(addr, AuthLayer::new(provider()).grpc_status_errors()).await;
    let status = check(&mut client_with).await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status
            .message()
            .starts_with("could not authenticate the request: "),
        "{status:?}"
    );
    let source = std::error::Error::source(&status).expect("the provider's error");
    assert!(
        source.downcast_ref::<auth_core::Error>().is_some(),
        "{source:?}"
    );
    assert_no_secret(&format!("{status:?} {status}"));

    let mut client_without = client(addr, AuthLayer::new(provider())).await;
    let status = check(&mut client_without).await.unwrap_err();
    assert_eq!(status.code(), Code::Unknown, "{status:?}");
    assert!(server.seen().is_empty(), "no call reached the server");
}
