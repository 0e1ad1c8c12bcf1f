//! `AuthInterceptor`: a sync hook for tonic's own interceptors.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use auth_core::{AuthProvider, SharedAuthProvider, Token};
use http::header::AUTHORIZATION;
use tonic::metadata::MetadataMap;
use tonic::service::Interceptor;
use tonic::{Request, Status};

/// A tonic [`Interceptor`] that puts a provider's cached credential on every call.
///
/// tonic's interceptors are synchronous, so this one answers only from the provider's cache
/// (`token_now`). When nothing is cached yet (the first call, or after the cached credential
/// expired without a refresh ahead of time) the call fails at once with `UNAUTHENTICATED`
/// and a fetch starts in the background on the current Tokio runtime; a retry moments later
/// carries the fresh credential. It cannot see responses, so a credential the server rejects is
/// used until it expires.
///
/// Prefer [`AuthLayer`](crate::AuthLayer) around the `Channel`: it waits for the credential
/// instead of failing, and drops a rejected one. Keep the interceptor where a tonic interceptor
/// is the only hook you have, with a provider that caches and renews ahead of expiry (the
/// OAuth2 and JWT providers do), and warm it at start with `provider.token().await`.
///
/// ```
/// use auth_core::Token;
/// use auth_tower::AuthInterceptor;
/// use tonic::service::Interceptor;
///
/// let mut interceptor = AuthInterceptor::new(Token::bearer("abc").expect("a valid token"));
/// let request = interceptor.call(tonic::Request::new(())).expect("a cached token");
/// assert_eq!(request.metadata().get("authorization").unwrap(), "Bearer abc");
/// ```
#[derive(Clone)]
pub struct AuthInterceptor {
    provider: Arc<dyn AuthProvider>,
    /// Set while a background fetch runs, so a burst of calls starts one.
    fetching: Arc<AtomicBool>,
}

impl AuthInterceptor {
    /// Puts `provider`'s cached credential on every call.
    pub fn new(provider: impl AuthProvider + 'static) -> Self {
        Self::from_shared(SharedAuthProvider::new(provider))
    }

    /// As [`new`](Self::new), with a provider already shared.
    pub fn from_shared(provider: SharedAuthProvider) -> Self {
        Self {
            provider: Arc::clone(provider.as_arc()),
            fetching: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Starts one background fetch, unless one is running or there is no runtime to run it.
    fn start_fetch(&self) -> Result<(), Status> {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return Err(Status::unauthenticated(
                "no credential is cached and there is no Tokio runtime here to fetch one; call \
                 the provider's token() once at start, or use auth_tower::AuthLayer",
            ));
        };
        if self.fetching.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let provider = Arc::clone(&self.provider);
        // Clears the flag however the task ends: done, failed, panicked, or dropped with its
        // runtime. Made before the task, so a task that never runs clears it too.
        let done = FetchDone(Arc::clone(&self.fetching));
        runtime.spawn(async move {
            let _done = done;
            if let Err(error) = provider.token().await {
                tracing::warn!(
                    target: "auth_tower",
                    %error,
                    "the background fetch for the gRPC interceptor failed; the next call starts \
                     another"
                );
            }
        });
        Ok(())
    }
}

/// Marks the background fetch finished when dropped.
struct FetchDone(Arc<AtomicBool>);

impl Drop for FetchDone {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl Interceptor for AuthInterceptor {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        match self.provider.token_now() {
            Some(token) if token.proof().is_some() => Err(Status::unauthenticated(
                "the token is DPoP-bound: each request needs a proof naming its URL, which an \
                 interceptor does not see; use auth_tower::AuthLayer on a client whose requests \
                 carry absolute URIs, or ask the server for Bearer tokens",
            )),
            Some(token) => Ok(with_credential(request, &token)),
            None => {
                self.start_fetch()?;
                Err(Status::unauthenticated(
                    "no credential is cached yet; a fetch has started in the background, so a \
                     retry shortly carries one (auth_tower::AuthLayer waits for it instead)",
                ))
            }
        }
    }
}

/// `request` with `Authorization` set to the token's sensitive header value; the metadata
/// passes through its header map, so the secret is shared, never copied.
fn with_credential(request: Request<()>, token: &Token) -> Request<()> {
    let (metadata, extensions, message) = request.into_parts();
    let mut headers = metadata.into_headers();
    headers.insert(AUTHORIZATION, token.header_value().clone());
    Request::from_parts(MetadataMap::from_headers(headers), extensions, message)
}

impl fmt::Debug for AuthInterceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthInterceptor")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use auth_core::{Error, async_trait};

    use super::*;

    /// Caches what `token()` fetched; counts fetches.
    #[derive(Debug, Default)]
    struct Caching {
        cached: std::sync::Mutex<Option<Token>>,
        fetches: AtomicUsize,
        fail: bool,
    }

    #[async_trait]
    impl AuthProvider for Caching {
        async fn token(&self) -> auth_core::Result<Token> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self.fail {
                return Err(Error::other("the vault is sealed"));
            }
            let token = Token::bearer("fetched")?;
            *self.cached.lock().unwrap() = Some(token.clone());
            Ok(token)
        }

        fn token_now(&self) -> Option<Token> {
            self.cached.lock().unwrap().clone()
        }
    }

    #[tokio::test]
    async fn without_a_cached_token_one_background_fetch_starts_and_a_retry_succeeds() {
        let provider = Arc::new(Caching::default());
        let mut interceptor = AuthInterceptor::new(Arc::clone(&provider));
        for _ in 0..10 {
            let status = interceptor.call(Request::new(())).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
            assert!(status.message().contains("background"), "{status:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 1);
        let request = interceptor.call(Request::new(())).unwrap();
        let value = request.metadata().get("authorization").unwrap();
        assert_eq!(value, "Bearer fetched");
        assert!(value.is_sensitive());
    }

    #[tokio::test]
    async fn a_failed_background_fetch_lets_the_next_call_start_another() {
        let provider = Arc::new(Caching {
            fail: true,
            ..Caching::default()
        });
        let mut interceptor = AuthInterceptor::new(Arc::clone(&provider));
        interceptor.call(Request::new(())).unwrap_err();
        tokio::time::sleep(Duration::from_millis(200)).await;
        interceptor.call(Request::new(())).unwrap_err();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_fetch_dropped_with_its_runtime_lets_the_next_call_start_another() {
        let provider = Arc::new(Caching::default());
        let mut interceptor = AuthInterceptor::new(Arc::clone(&provider));
        // The first runtime goes away while its fetch sleeps: the task is dropped unfinished.
        let first = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        first.block_on(async {
            interceptor.call(Request::new(())).unwrap_err();
            // Long enough for the fetch to start, not to finish (it takes 50 ms).
            tokio::time::sleep(Duration::from_millis(10)).await;
        });
        assert_eq!(
            provider.fetches.load(Ordering::SeqCst),
            1,
            "the fetch had started"
        );
        drop(first);
        let second = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        second.block_on(async {
            interceptor.call(Request::new(())).unwrap_err();
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(
                interceptor.call(Request::new(())).is_ok(),
                "a new fetch ran"
            );
        });
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn outside_a_runtime_the_error_says_what_to_do() {
        let provider = Arc::new(Caching::default());
        let mut interceptor = AuthInterceptor::new(Arc::clone(&provider));
        let status = interceptor.call(Request::new(())).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert!(status.message().contains("no Tokio runtime"), "{status:?}");
        assert_eq!(provider.fetches.load(Ordering::SeqCst), 0);
    }

    /// A proof maker that must never be asked: the interceptor has no URL to give it.
    #[derive(Debug)]
    struct NeverAsked;

    impl auth_core::RequestProof for NeverAsked {
        fn header_name(&self) -> &http::HeaderName {
            static NAME: http::HeaderName = http::HeaderName::from_static("dpop");
            &NAME
        }

        fn prove(&self, _: &str, _: &str, _: &str) -> auth_core::Result<http::HeaderValue> {
            panic!("the interceptor sees no URL to prove");
        }

        fn observe(&self, _: &str, _: u16, _: &http::HeaderMap) -> bool {
            false
        }
    }

    #[test]
    fn a_dpop_bound_token_is_refused_with_a_status_that_says_why() {
        let bound = Token::new(auth_core::Scheme::parse("DPoP").unwrap(), "bound-token")
            .unwrap()
            .with_proof(Arc::new(NeverAsked));
        let mut interceptor = AuthInterceptor::new(bound);
        let status = interceptor.call(Request::new(())).unwrap_err();
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
        assert!(status.message().contains("DPoP-bound"), "{status:?}");
        assert!(!status.message().contains("bound-token"), "{status:?}");
    }
}
