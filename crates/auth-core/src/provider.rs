//! The provider trait, its blanket impls, the shared handle and the closure adapter.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::token::Token;

/// A source of credentials for outgoing HTTP requests.
///
/// Object-safe: `Arc<dyn AuthProvider>` (or [`SharedAuthProvider`]) works, so an HTTP client
/// can hold any provider. `Debug` is a supertrait so that every implementor decides, on
/// purpose, how to print itself without its secrets.
#[async_trait]
pub trait AuthProvider: Send + Sync + fmt::Debug {
    /// Returns the credential to put on the next request.
    ///
    /// Caching providers answer from their cache in the common case and go to the network
    /// only when the cached token has expired or was [invalidated](Self::invalidate).
    ///
    /// # Errors
    ///
    /// An [`Error`](crate::Error) whose [`kind`](crate::Error::kind) says what failed and
    /// whose [`is_retryable`](crate::Error::is_retryable) says whether trying later can help.
    async fn token(&self) -> Result<Token>;

    /// The credential, if the provider can hand it out at once: a static credential, or a
    /// cached one that is still valid. `None` means "call [`token`](Self::token)".
    ///
    /// Hot paths (an HTTP client on every request) try this first: it skips the boxed future
    /// that [`token`](Self::token) costs. The default returns `None`, which is always correct.
    fn token_now(&self) -> Option<Token> {
        None
    }

    /// Tells the provider that a server rejected `rejected` (an HTTP 401, say).
    ///
    /// A caching provider drops exactly that token, so the next [`token`](Self::token) fetches
    /// a fresh one, and keeps a newer token that another caller has already fetched. The
    /// default does nothing, which is right for static credentials.
    fn invalidate(&self, rejected: &Token) {
        let _ = rejected;
    }
}

#[async_trait]
impl<T: AuthProvider + ?Sized> AuthProvider for &T {
    async fn token(&self) -> Result<Token> {
        (**self).token().await
    }

    fn token_now(&self) -> Option<Token> {
        (**self).token_now()
    }

    fn invalidate(&self, rejected: &Token) {
        (**self).invalidate(rejected);
    }
}

#[async_trait]
impl<T: AuthProvider + ?Sized> AuthProvider for Box<T> {
    async fn token(&self) -> Result<Token> {
        (**self).token().await
    }

    fn token_now(&self) -> Option<Token> {
        (**self).token_now()
    }

    fn invalidate(&self, rejected: &Token) {
        (**self).invalidate(rejected);
    }
}

#[async_trait]
impl<T: AuthProvider + ?Sized> AuthProvider for Arc<T> {
    async fn token(&self) -> Result<Token> {
        (**self).token().await
    }

    fn token_now(&self) -> Option<Token> {
        (**self).token_now()
    }

    fn invalidate(&self, rejected: &Token) {
        (**self).invalidate(rejected);
    }
}

/// A static credential is a provider of itself.
#[async_trait]
impl AuthProvider for Token {
    async fn token(&self) -> Result<Token> {
        Ok(self.clone())
    }

    fn token_now(&self) -> Option<Token> {
        Some(self.clone())
    }
}

/// A cloneable, type-erased provider: `Arc<dyn AuthProvider>` with a name.
///
/// ```
/// use auth_core::{SharedAuthProvider, Token};
///
/// let shared = SharedAuthProvider::new(Token::bearer("t")?);
/// let another_handle = shared.clone();
/// # drop(another_handle);
/// # Ok::<(), auth_core::Error>(())
/// ```
#[derive(Clone)]
pub struct SharedAuthProvider(Arc<dyn AuthProvider>);

impl SharedAuthProvider {
    /// Wraps `provider`.
    pub fn new(provider: impl AuthProvider + 'static) -> Self {
        Self(Arc::new(provider))
    }

    /// The provider as `Arc<dyn AuthProvider>`.
    pub fn as_arc(&self) -> &Arc<dyn AuthProvider> {
        &self.0
    }
}

impl From<Arc<dyn AuthProvider>> for SharedAuthProvider {
    fn from(provider: Arc<dyn AuthProvider>) -> Self {
        Self(provider)
    }
}

impl fmt::Debug for SharedAuthProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedAuthProvider").field(&self.0).finish()
    }
}

#[async_trait]
impl AuthProvider for SharedAuthProvider {
    async fn token(&self) -> Result<Token> {
        self.0.token().await
    }

    fn token_now(&self) -> Option<Token> {
        self.0.token_now()
    }

    fn invalidate(&self, rejected: &Token) {
        self.0.invalidate(rejected);
    }
}

/// A provider made of one async function; see [`provider_fn`].
#[derive(Clone, Copy)]
pub struct ProviderFn<F> {
    f: F,
}

/// Makes a provider out of an async function or closure.
///
/// ```
/// use auth_core::{provider_fn, AuthProvider, Token};
///
/// let provider = provider_fn(|| async { Token::bearer(std::env::var("HOME").unwrap_or_default() + "x") });
/// # let _ = &provider as &dyn AuthProvider;
/// ```
pub fn provider_fn<F, Fut>(f: F) -> ProviderFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token>> + Send,
{
    ProviderFn { f }
}

impl<F> fmt::Debug for ProviderFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderFn").finish_non_exhaustive()
    }
}

#[async_trait]
impl<F, Fut> AuthProvider for ProviderFn<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Token>> + Send,
{
    async fn token(&self) -> Result<Token> {
        (self.f)().await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::Error;

    #[derive(Debug, Default)]
    struct Counting {
        invalidated: AtomicUsize,
    }

    #[async_trait]
    impl AuthProvider for Counting {
        async fn token(&self) -> Result<Token> {
            Token::bearer("counted")
        }

        fn invalidate(&self, _rejected: &Token) {
            self.invalidated.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn blanket_impls_forward_token_and_invalidate() {
        let inner = Arc::new(Counting::default());
        let token = inner.token().await.unwrap();
        let by_ref: &dyn AuthProvider = &*inner;
        let boxed: Box<dyn AuthProvider> = Box::new(Arc::clone(&inner));
        let shared = SharedAuthProvider::from(Arc::clone(&inner) as Arc<dyn AuthProvider>);
        for provider in [by_ref, &boxed, &shared, &&shared] {
            assert_eq!(
                provider.token().await.unwrap().expose_credential(),
                "counted"
            );
            provider.invalidate(&token);
        }
        assert_eq!(inner.invalidated.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn token_is_its_own_provider_and_default_invalidate_is_a_no_op() {
        let token = Token::bearer("static").unwrap();
        token.invalidate(&token);
        let provided = token.token().await.unwrap();
        assert!(provided.same_credential(&token));
    }

    #[tokio::test]
    async fn provider_fn_calls_the_function_each_time() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let provider = provider_fn(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Token::bearer("first")
                } else {
                    Err(Error::other("vault is sealed"))
                }
            }
        });
        assert_eq!(provider.token().await.unwrap().expose_credential(), "first");
        assert_eq!(
            provider.token().await.unwrap_err().message(),
            "vault is sealed"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(format!("{provider:?}"), "ProviderFn { .. }");
    }
}
