//! `AuthMiddleware` for reqwest-middleware.

use std::fmt;
use std::sync::Arc;

use auth_core::{AuthProvider, SharedAuthProvider};
use http::Extensions;
use reqwest_middleware::{Middleware, Next};

use crate::credential::{authorize, credential};
use crate::error::redact_url;
use crate::rejection::ReplayPolicy;
use crate::replay::{self, Kept};

/// Authenticates every request of a `reqwest_middleware::ClientWithMiddleware`, with the same
/// one-replay-on-rejection rule as [`AuthClient`](crate::AuthClient) (a rejection counts only
/// from the origin the credential was sent to), and URLs in its errors without user info,
/// query or fragment.
///
/// ```no_run
/// # fn example(provider: auth_core::Token) {
/// use auth_http::AuthMiddleware;
/// let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
///     .with(AuthMiddleware::new(provider))
///     .build();
/// # let _ = client;
/// # }
/// ```
#[derive(Clone)]
pub struct AuthMiddleware {
    provider: Arc<dyn AuthProvider>,
    policy: ReplayPolicy,
}

impl AuthMiddleware {
    /// Authenticates requests with `provider`.
    pub fn new(provider: impl AuthProvider + 'static) -> Self {
        Self::from_shared(SharedAuthProvider::new(provider))
    }

    /// As [`new`](Self::new), with a provider already shared.
    pub fn from_shared(provider: SharedAuthProvider) -> Self {
        Self {
            provider: Arc::clone(provider.as_arc()),
            policy: ReplayPolicy::default(),
        }
    }

    /// Replaces the replay policy.
    #[must_use]
    pub fn with_replay_policy(mut self, policy: ReplayPolicy) -> Self {
        self.policy = policy;
        self
    }
}

impl fmt::Debug for AuthMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthMiddleware")
            .field("provider", &self.provider)
            .field("policy", &self.policy)
            .finish()
    }
}

#[async_trait::async_trait]
impl Middleware for AuthMiddleware {
    async fn handle(
        &self,
        mut request: reqwest::Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let token = credential(self.provider.as_ref())
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        let kept = Kept::of(&self.policy, &request, &token);
        authorize(&mut request, &token).map_err(reqwest_middleware::Error::middleware)?;
        let mut response = next
            .clone()
            .run(request, extensions)
            .await
            .map_err(redact)?;
        if let Some(mut again) = replay::nonce_retry(&token, &kept, &response) {
            drop(response);
            authorize(&mut again, &token).map_err(reqwest_middleware::Error::middleware)?;
            response = next.clone().run(again, extensions).await.map_err(redact)?;
            replay::asks_for_new_proof(&token, &response);
        }
        let Some(mut again) = replay::judge(
            self.provider.as_ref(),
            &self.policy,
            &token,
            kept,
            &response,
        ) else {
            return Ok(response);
        };
        let fresh = credential(self.provider.as_ref())
            .await
            .map_err(reqwest_middleware::Error::middleware)?;
        if fresh.same_credential(&token) {
            // Nothing newer (a static credential): the same would be refused the same way.
            return Ok(response);
        }
        drop(response);
        authorize(&mut again, &fresh).map_err(reqwest_middleware::Error::middleware)?;
        let response = next.run(*again, extensions).await.map_err(redact)?;
        replay::asks_for_new_proof(&fresh, &response);
        Ok(response)
    }
}

fn redact(error: reqwest_middleware::Error) -> reqwest_middleware::Error {
    match error {
        reqwest_middleware::Error::Reqwest(error) => {
            reqwest_middleware::Error::Reqwest(redact_url(error))
        }
        other => other,
    }
}
