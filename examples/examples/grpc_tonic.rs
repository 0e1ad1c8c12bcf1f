//! A tonic (gRPC) client whose channel is wrapped in `auth_tower::AuthLayer`, calling the
//! standard gRPC health service of a tonic server that checks the bearer token. Everything on
//! 127.0.0.1: an embedded identity provider issues the OAuth2 tokens.
//!
//! `cargo run -p auth-examples --example grpc_tonic`

use auth_examples::DemoServers;
use auth_tower::AuthLayer;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tower::ServiceBuilder;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let idp = DemoServers::start().await?;

    // The gRPC server: the health service behind an interceptor that checks the token.
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let checker = idp.clone();
    let check = move |request: tonic::Request<()>| {
        let authorization = request.metadata().get("authorization");
        match authorization.and_then(|v| v.to_str().ok()) {
            Some(value) if checker.accepts(value) => Ok(request),
            _ => Err(Status::unauthenticated("token rejected")),
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let grpc_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(
        Server::builder()
            .add_service(tonic::service::interceptor::InterceptedService::new(
                health, check,
            ))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );

    // The client: a channel wrapped in the layer. `grpc_status_errors` reports a failure to get
    // a token as `UNAUTHENTICATED`, as gRPC callers expect.
    let channel = Endpoint::from_shared(grpc_url)?.connect().await?;
    let layer = AuthLayer::new(idp.provider()?).grpc_status_errors();
    let mut client = HealthClient::new(ServiceBuilder::new().layer(layer).service(channel));
    let ask = || HealthCheckRequest {
        service: String::new(),
    };

    for _ in 0..100 {
        client.check(ask()).await?;
    }
    println!(
        "100 health checks: SERVING each time, {} token request",
        idp.token_requests()
    );

    // The server revokes the token: the call that carried it fails (a gRPC body is a stream,
    // which cannot be sent twice), the layer drops the token, and the next call gets a new one.
    idp.revoke_all();
    let status = client.check(ask()).await.err().map(|s| s.code());
    println!("after revocation: {status:?} (the rejected token is dropped)");
    client.check(ask()).await?;
    println!(
        "the next call: SERVING with a fresh token ({} token requests in all)",
        idp.token_requests()
    );

    let ok = status == Some(Code::Unauthenticated) && idp.token_requests() == 2;
    if !ok {
        return Err("the example did not behave as described".into());
    }
    Ok(())
}
