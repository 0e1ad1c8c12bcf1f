//! A scripted token endpoint: replies from a queue, records every request, can hold replies
//! until the test releases them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use auth_core::async_trait;
use auth_core::clock::ManualClock;
use auth_oauth2::{
    ClientAuth, OAuth2Config, OAuth2Provider, RetryPolicy, TokenTransport, TransportError,
    TransportErrorKind,
};
use tokio::sync::Semaphore;

/// One scripted answer.
#[derive(Clone, Debug)]
pub(crate) enum Reply {
    Json(u16, String),
    WithHeaders(u16, Vec<(&'static str, String)>, Vec<u8>),
    Fail(TransportErrorKind),
}

pub(crate) fn ok(token: &str, expires_in: u64) -> Reply {
    Reply::Json(
        200,
        format!(r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{expires_in}}}"#),
    )
}

pub(crate) fn ok_with_refresh(token: &str, expires_in: u64, refresh: &str) -> Reply {
    Reply::Json(
        200,
        format!(
            r#"{{"access_token":"{token}","expires_in":{expires_in},"refresh_token":"{refresh}"}}"#
        ),
    )
}

pub(crate) fn oauth_error(status: u16, error: &str) -> Reply {
    Reply::Json(
        status,
        format!(r#"{{"error":"{error}","error_description":"scripted {error}"}}"#),
    )
}

/// A request as the endpoint saw it.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) uri: String,
    pub(crate) headers: http::HeaderMap,
    pub(crate) form: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Seen {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug)]
pub(crate) struct Script {
    replies: Mutex<VecDeque<Reply>>,
    /// Used when the queue is empty.
    fallback: Mutex<Option<Reply>>,
    seen: Mutex<Vec<Seen>>,
    sends: AtomicUsize,
    /// When set, each reply waits for a permit.
    hold: Option<Arc<Semaphore>>,
}

impl Script {
    pub(crate) fn new(replies: impl IntoIterator<Item = Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into_iter().collect()),
            fallback: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
            sends: AtomicUsize::new(0),
            hold: None,
        })
    }

    /// Replies wait until [`release`](Self::release).
    pub(crate) fn held(replies: impl IntoIterator<Item = Reply>) -> (Arc<Self>, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        let script = Arc::new(Self {
            replies: Mutex::new(replies.into_iter().collect()),
            fallback: Mutex::new(None),
            seen: Mutex::new(Vec::new()),
            sends: AtomicUsize::new(0),
            hold: Some(Arc::clone(&gate)),
        });
        (script, gate)
    }

    pub(crate) fn always(&self, reply: Reply) {
        *self.fallback.lock().unwrap() = Some(reply);
    }

    pub(crate) fn count(&self) -> usize {
        self.sends.load(Ordering::SeqCst)
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub(crate) fn last(&self) -> Seen {
        self.seen().last().cloned().expect("a request was sent")
    }
}

#[async_trait]
impl TokenTransport for Script {
    async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, TransportError> {
        self.sends.fetch_add(1, Ordering::SeqCst);
        let body = String::from_utf8(request.body().clone()).unwrap();
        self.seen.lock().unwrap().push(Seen {
            method: request.method().to_string(),
            uri: request.uri().to_string(),
            headers: request.headers().clone(),
            form: form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect(),
            body,
        });
        if let Some(gate) = &self.hold {
            gate.acquire().await.unwrap().forget();
        }
        let reply = self.replies.lock().unwrap().pop_front();
        let reply = reply
            .or_else(|| self.fallback.lock().unwrap().clone())
            .expect("the script ran out of replies");
        match reply {
            Reply::Json(status, body) => Ok(http::Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(body.into_bytes())
                .unwrap()),
            Reply::WithHeaders(status, headers, body) => {
                let mut response = http::Response::builder().status(status);
                for (name, value) in headers {
                    response = response.header(name, value);
                }
                Ok(response.body(body).unwrap())
            }
            Reply::Fail(kind) => Err(TransportError::new(kind, format!("scripted {kind:?}"))),
        }
    }
}

pub(crate) fn clock() -> ManualClock {
    ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
}

pub(crate) const TOKEN_URL: &str = "https://idp.example/oauth2/token";

pub(crate) fn provider(
    config: OAuth2Config,
    script: &Arc<Script>,
    clock: &ManualClock,
) -> OAuth2Provider {
    OAuth2Provider::builder(config, script.clone())
        .clock(Arc::new(clock.clone()))
        .refresh_ahead(None)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

pub(crate) fn cc() -> OAuth2Config {
    OAuth2Config::client_credentials(TOKEN_URL, ClientAuth::basic("client-1", "secret-1"))
}
