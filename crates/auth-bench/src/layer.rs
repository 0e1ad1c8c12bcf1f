//! The tower layer: its cost per request against the bare inner service, and loopback
//! throughput through a hyper-util client with and without it.

use std::convert::Infallible;
use std::future::poll_fn;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use auth_core::rejection::ReplayPolicy;
use auth_oauth2::{OAuth2Config, OAuth2Provider};
use auth_tower::{AuthLayer, ReplayBody};
use bytes::Bytes;
use http::header::ACCEPT;
use http::{HeaderValue, Request, Response, Uri};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tower::{Layer, Service, ServiceExt};

use crate::Effort;
use crate::hot::Fixed;
use crate::measure::{now_or_never, paired, paired_rates, report};

/// A request as a client makes it: a URI parsed from text (cloned by reference count) and one
/// header.
fn request<B>(uri: &Uri, body: B) -> Request<B> {
    let mut request = Request::new(body);
    *request.uri_mut() = uri.clone();
    request
        .headers_mut()
        .insert(ACCEPT, HeaderValue::from_static("application/json"));
    request
}

/// One call through `service`, which answers at once.
fn call<S, B>(service: &mut S, request: Request<B>)
where
    S: Service<Request<B>>,
    S::Error: std::fmt::Debug,
{
    now_or_never(poll_fn(|cx| service.poll_ready(cx))).expect("ready");
    let response = now_or_never(service.call(request));
    drop(black_box(response));
}

/// The layer's cost per call over a service that answers at once, for one kind of body.
fn overhead_for<B: ReplayBody>(
    effort: Effort,
    name: &str,
    layer: &AuthLayer,
    body: impl Fn() -> B,
) {
    let bare = tower::service_fn(|_: Request<B>| async { Ok::<_, Infallible>(Response::new(())) });
    let mut layered = layer.layer(bare);
    let mut bare = bare;
    let uri: Uri = "http://127.0.0.1:8080/items".parse().expect("a valid URI");
    let result = paired(
        effort.repeats,
        Duration::from_secs(1),
        || call(&mut layered, request(&uri, body())),
        || call(&mut bare, request(&uri, body())),
    );
    report(
        &format!("tower layer, cached OAuth2, {name}: added per call"),
        result.ours - result.baseline,
        "ns",
        "<= 100 ns",
    );
    println!(
        "  (layered {:.0} ns, bare inner service {:.0} ns per call; ratio {:.2}, {})",
        result.ours,
        result.baseline,
        result.ratio,
        result.spread()
    );
}

pub(crate) async fn overhead(effort: Effort) -> Result<(), String> {
    let provider = OAuth2Provider::new(
        OAuth2Config::client_credentials(
            "https://idp.example/token",
            auth_oauth2::ClientAuth::basic("id", "secret"),
        ),
        Arc::new(Fixed),
    )
    .map_err(|e| e.to_string())?;
    provider.prefetch().await.map_err(|e| e.to_string())?;
    let layer = AuthLayer::new(provider);
    // The layer's own part: a static token, whose `token_now` is a reference-count bump.
    let fixed = AuthLayer::new(auth_core::Token::bearer("static").map_err(|e| e.to_string())?);
    overhead_for(effort, "static token, streaming body", &fixed, || {
        UnsyncBoxBody::new(Empty::<Bytes>::new())
    });
    overhead_for(effort, "streaming body (as gRPC's)", &layer, || {
        UnsyncBoxBody::new(Empty::<Bytes>::new())
    });
    overhead_for(
        effort,
        "copyable body, replay copy kept",
        &layer,
        Empty::<Bytes>::new,
    );
    let never = layer.clone().with_replay_policy(ReplayPolicy::never());
    overhead_for(
        effort,
        "copyable body, replay off",
        &never,
        Empty::<Bytes>::new,
    );
    Ok(())
}

/// Loopback GETs through a hyper-util client, with the layer against without.
pub(crate) async fn throughput(
    effort: Effort,
    url: &str,
    provider: OAuth2Provider,
    round: Duration,
    workers: usize,
) -> Result<(), String> {
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| e.to_string())?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let bare_send = {
        let (client, uri) = (client.clone(), uri.clone());
        move || {
            let (client, uri) = (client.clone(), uri.clone());
            async move {
                match client.oneshot(request(&uri, Empty::new())).await {
                    Ok(response) => {
                        response.status().is_success()
                            && response.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                }
            }
        }
    };
    let sender = |layer: AuthLayer| {
        let layered = layer.layer(client.clone());
        let uri = uri.clone();
        move || {
            let (service, uri) = (layered.clone(), uri.clone());
            async move {
                match service.oneshot(request(&uri, Empty::new())).await {
                    Ok(response) => {
                        response.status().is_success()
                            && response.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                }
            }
        }
    };
    let layer = AuthLayer::new(provider);
    let layered_send = sender(layer.clone());
    let result = paired_rates(
        effort.repeats,
        round,
        workers,
        layered_send,
        bare_send.clone(),
    )
    .await;
    report(
        "GET throughput, hyper-util client with AuthLayer (cached OAuth2) vs without",
        result.ratio,
        "x",
        ">= 0.97 x",
    );
    println!(
        "  ({:.0} against {:.0} requests/s, {workers} concurrent, rounds of {} s, {}; 127.0.0.1)",
        result.ours,
        result.baseline,
        round.as_secs(),
        result.spread()
    );
    // Without the copy of each request (and of the client) kept for a possible replay.
    let no_replay = sender(layer.with_replay_policy(ReplayPolicy::never()));
    let result = paired_rates(effort.repeats, round, workers, no_replay, bare_send).await;
    report(
        "GET throughput, hyper-util client with AuthLayer, replay off, vs without",
        result.ratio,
        "x",
        "report",
    );
    println!("  ({})", result.spread());
    Ok(())
}

/// How a hyper-util client's requests are authenticated in [`sequential`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hyper {
    /// Not at all.
    Bare,
    /// By a header set by hand from a token at hand.
    Header,
    /// By the layer.
    Layer,
}

/// Sends `count` GETs one after another through a hyper-util client.
pub(crate) async fn sequential(
    how: Hyper,
    url: &str,
    provider: OAuth2Provider,
    count: usize,
) -> Result<(), String> {
    let uri: Uri = url
        .parse()
        .map_err(|e: http::uri::InvalidUri| e.to_string())?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let token = auth_core::AuthProvider::token(&provider)
        .await
        .map_err(|e| e.to_string())?;
    let with_layer = AuthLayer::new(provider).layer(client.clone());
    for _ in 0..count {
        let mut request = request(&uri, Empty::new());
        let response = match how {
            Hyper::Layer => with_layer.clone().oneshot(request).await,
            Hyper::Header | Hyper::Bare => {
                if how == Hyper::Header {
                    request
                        .headers_mut()
                        .insert(http::header::AUTHORIZATION, token.header_value().clone());
                }
                client.clone().oneshot(request).await.map_err(Into::into)
            }
        }
        .map_err(|e| e.to_string())?;
        let _ = response.into_body().collect().await;
    }
    Ok(())
}
