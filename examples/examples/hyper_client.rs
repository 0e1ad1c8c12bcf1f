//! A hyper-util client wrapped in `auth_tower::AuthLayer`: an OAuth2 token on every request,
//! and one replay when the resource rejects it. Everything on 127.0.0.1.
//!
//! `cargo run -p auth-examples --example hyper_client`

use auth_examples::DemoServers;
use auth_tower::AuthLayer;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{Service, ServiceBuilder, ServiceExt};

#[tokio::main]
async fn main() -> Result<(), auth_tower::BoxError> {
    let idp = DemoServers::start().await?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut client = ServiceBuilder::new()
        .layer(AuthLayer::new(idp.provider()?))
        .service(client);

    let post = |text: &'static str| {
        http::Request::post(format!("{}/items", idp.base)).body(Full::new(Bytes::from(text)))
    };
    for text in ["first", "second"] {
        let response = client.ready().await?.call(post(text)?).await?;
        let body = response.into_body().collect().await?.to_bytes();
        println!("{text}: {}", String::from_utf8_lossy(&body));
    }
    println!("token requests so far: {}", idp.token_requests());

    // The resource revokes the token. The body (`Full`) can be copied, so the layer drops the
    // token, gets a fresh one and sends the request again: the caller sees only the 200.
    idp.revoke_all();
    let response = client.ready().await?.call(post("third")?).await?;
    let status = response.status();
    println!(
        "after revocation: {status}, with {} token requests in all",
        idp.token_requests()
    );
    if status != 200 || idp.token_requests() != 2 {
        return Err("the example did not behave as described".into());
    }
    Ok(())
}
