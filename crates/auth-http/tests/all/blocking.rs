//! The blocking client: the replay rules of the async one, and calls from inside a runtime's
//! blocking section, where the provider is driven on the crate's own runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_core::{AuthProvider, SharedAuthProvider, Token, provider_fn};
use auth_http::blocking::{AuthClient, RequestBuilderExt};

use crate::replay::{Counting, resource};

/// A runtime for the test servers, running on its own threads while the test thread blocks.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn counting_client(provider: &Arc<Counting>) -> AuthClient {
    AuthClient::from_shared(
        reqwest::blocking::Client::new(),
        SharedAuthProvider::from(Arc::clone(provider) as Arc<dyn AuthProvider>),
    )
}

#[test]
fn a_rejected_token_is_invalidated_and_the_request_replayed_once() {
    let runtime = server_runtime();
    let server = runtime.block_on(resource("Bearer t2"));
    let provider = Arc::new(Counting::default());
    let client = counting_client(&provider);
    let response = client
        .post(server.url("/items"))
        .body("payload")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.text().unwrap(),
        "ok payload",
        "the body was replayed"
    );
    assert_eq!(*provider.invalidated.lock().unwrap(), ["t1"]);
    let auths: Vec<_> = server.seen().iter().map(|s| s.authorization()).collect();
    assert_eq!(auths, [Some("Bearer t1".into()), Some("Bearer t2".into())]);

    // A second rejection goes back to the caller: one replay at most.
    let strict = runtime.block_on(resource("Bearer never"));
    let response = client.get(strict.url("/x")).send().unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(strict.requests(), 2);
}

#[test]
fn a_reader_body_is_not_replayed_but_its_rejected_token_is_dropped() {
    let runtime = server_runtime();
    let server = runtime.block_on(resource("Bearer t2"));
    let provider = Arc::new(Counting::default());
    let client = counting_client(&provider);
    let reader = std::io::Cursor::new(b"streamed".to_vec());
    let response = client
        .post(server.url("/items"))
        .body(reqwest::blocking::Body::new(reader))
        .send()
        .unwrap();
    assert_eq!(response.status(), 401, "returned as it came");
    assert_eq!(server.requests(), 1, "no replay");
    assert_eq!(*provider.invalidated.lock().unwrap(), ["t1"]);
    let response = client
        .post(server.url("/items"))
        .body("then")
        .send()
        .unwrap();
    assert_eq!(response.text().unwrap(), "ok then");
}

#[test]
fn a_call_from_spawn_blocking_on_a_current_thread_runtime_does_not_deadlock() {
    // The resource server runs on a one-thread runtime, which stays free while it awaits the
    // blocking task. The provider needs a Tokio timer: it is driven on the crate's own runtime,
    // not on this one (whose handle cannot drive timers from another thread).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(resource("Bearer slow"));
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&fetches);
    let provider = provider_fn(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Token::bearer("slow")
        }
    });
    let url = server.url("/items");
    let (report, outcome) = std::sync::mpsc::channel();
    let outcome = runtime.block_on(async move {
        tokio::task::spawn_blocking(move || {
            let client = AuthClient::new(reqwest::blocking::Client::new(), provider);
            let through_client = client.get(&url).send().map(|r| r.status());
            let through_extension = reqwest::blocking::Client::new()
                .get(&url)
                .authorize(client.provider().as_ref())
                .and_then(|builder| Ok(builder.send()?.status()));
            let _ = report.send((through_client, through_extension));
        });
        // Waits on a blocking thread too, so this runtime keeps serving the resource.
        tokio::task::spawn_blocking(move || outcome.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
    });
    // A deadlocked blocking task would keep a normal shutdown waiting for ever: leave it behind,
    // so a deadlock fails the test below instead of hanging it.
    runtime.shutdown_background();
    let (through_client, through_extension) =
        outcome.expect("no deadlock: the blocking calls finished within 30 s");
    assert_eq!(through_client.unwrap(), 200);
    assert_eq!(through_extension.unwrap(), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

#[test]
fn a_static_credential_that_is_rejected_is_not_sent_twice() {
    let runtime = server_runtime();
    let server = runtime.block_on(resource("Bearer accepted"));
    let client = AuthClient::new(
        reqwest::blocking::Client::new(),
        Token::bearer("fixed").unwrap(),
    );
    let response = client.get(server.url("/x")).send().unwrap();
    assert_eq!(response.status(), 401, "the rejection, as it came");
    assert_eq!(server.requests(), 1, "nothing newer to replay with");
}

#[test]
fn a_provider_failure_is_an_auth_error() {
    let provider = provider_fn(|| async { Err(auth_core::Error::other("the vault is sealed")) });
    let client = AuthClient::new(reqwest::blocking::Client::new(), provider);
    // Nothing is sent: the provider fails first.
    let error = client.get("http://127.0.0.1:1/x").send().unwrap_err();
    assert!(matches!(error, auth_http::Error::Auth(_)), "{error:?}");
    assert!(error.to_string().contains("the vault is sealed"), "{error}");
}
