//! Basic and Bearer providers through the `auth` facade, held as `Arc<dyn AuthProvider>`.
//!
//! Run with `cargo run -p auth-examples --example basic_and_bearer`.

use std::sync::Arc;

use auth::AuthProvider;
use auth::basic::BasicProvider;
use auth::bearer::BearerProvider;

#[tokio::main]
async fn main() -> auth::Result<()> {
    let providers: Vec<(&str, Arc<dyn AuthProvider>)> = vec![
        (
            "Basic admin/123",
            Arc::new(BasicProvider::new("admin", "123")?),
        ),
        (
            "static bearer token",
            Arc::new(BearerProvider::new("JlbmMiOiJBMTI4Q0JDLUhTMjU2In")?),
        ),
    ];
    for (what, provider) in &providers {
        let token = provider.token().await?;
        // Printed here to show the result; real code never prints a credential.
        let value = token.header_value().to_str().unwrap_or("?");
        println!("{what:>20} -> Authorization: {value}");
    }

    // Bad input is refused when the provider is built, with an error that says why.
    for error in [
        BasicProvider::new("ali:ce", "pw").map(drop),
        BearerProvider::new("token\r\nX-Injected: 1").map(drop),
    ] {
        if let Err(error) = error {
            println!("{:>20} -> {error}", "refused");
        }
    }
    Ok(())
}
