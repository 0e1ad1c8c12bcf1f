//! A provider written by hand against `auth-core`, used through `Arc<dyn AuthProvider>`.
//!
//! Run with `cargo run -p auth-examples --example custom_provider`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use auth_core::{AuthProvider, Result, Scheme, Token, async_trait};

/// Signs each request with a fresh API key generation number (a stand-in for a vault lookup).
#[derive(Debug, Default)]
struct RotatingApiKey {
    generation: AtomicU32,
}

#[async_trait]
impl AuthProvider for RotatingApiKey {
    async fn token(&self) -> Result<Token> {
        let generation = self.generation.load(Ordering::Acquire);
        Token::new(
            Scheme::parse("ApiKey")?,
            format!("key-generation-{generation}"),
        )
    }

    fn invalidate(&self, _rejected: &Token) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let provider: Arc<dyn AuthProvider> = Arc::new(RotatingApiKey::default());
    let first = provider.token().await?;
    println!(
        "Authorization: {}",
        first.header_value().to_str().unwrap_or("?")
    );
    provider.invalidate(&first); // e.g. the server answered 401
    let second = provider.token().await?;
    println!(
        "Authorization: {}",
        second.header_value().to_str().unwrap_or("?")
    );
    assert!(!first.same_credential(&second));
    println!("debug, with the credential redacted: {second:?}");
    Ok(())
}
