//! A program without async code: `auth_http::blocking::AuthClient` over `reqwest::blocking`,
//! with an OAuth2 token on every request and one replay on 401. The embedded identity provider
//! runs on a runtime of its own, as a real one would run elsewhere.
//!
//! `cargo run -p auth-examples --example blocking`

use auth_examples::DemoServers;
use auth_http::blocking::AuthClient;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Only the demo servers need a runtime; the client below is plain blocking code.
    let runtime = tokio::runtime::Runtime::new()?;
    let idp = runtime.block_on(DemoServers::start())?;

    let client = AuthClient::new(reqwest::blocking::Client::new(), idp.provider()?);
    let url = format!("{}/report", idp.base);
    for _ in 0..3 {
        let text = client.post(&url).body("monthly figures").send()?.text()?;
        println!("{text}");
    }
    idp.revoke_all();
    let status = client.post(&url).body("after revocation").send()?.status();
    println!(
        "after revocation: {status} (replayed once with a fresh token; {} token requests in all)",
        idp.token_requests()
    );
    if status != 200 || idp.token_requests() != 2 {
        return Err("the example did not behave as described".into());
    }
    Ok(())
}
