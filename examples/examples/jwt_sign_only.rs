//! Mint a self-signed JWT from a PKCS#12 keystore with no HTTP stack and no async runtime:
//! only `auth-jwt-issuer` (and `auth-core`) are used.
//!
//! ```sh
//! cargo run -p auth-examples --example jwt_sign_only
//! cargo run -p auth-examples --example jwt_sign_only -- KEYSTORE.p12 STORE_PASSWORD ALIAS
//! ```
//!
//! Without arguments it signs with the test keystore the project generates for its own tests.

use std::path::PathBuf;
use std::time::Duration;

use auth_jwt_issuer::{Algorithm, JwtIssuer, SigningKey};

fn main() -> Result<(), auth_core::Error> {
    let mut args = std::env::args().skip(1);
    let keystore = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/auth-jwt-issuer/tests/keys/rsa-openssl3.p12")
    });
    let password = args.next().unwrap_or_else(|| "storepass".to_owned());
    let alias = args.next().unwrap_or_else(|| "signer".to_owned());

    // The key is read, decrypted and checked against the algorithm here, once.
    let signer = SigningKey::from_pkcs12_file(Algorithm::Rs256, &keystore, password, &alias, None)?;
    let issuer = JwtIssuer::builder()
        .username("svc-reporting")
        .issuer("example.org")
        .audience(["https://api.example.org"])
        .key_id("signer-1")
        .custom_claim("scp", "reports:read")
        .exp_time(Duration::from_secs(300))
        .signer(signer)
        .build()?;
    // A JWT is a credential; this example prints it only to show what was minted.
    println!("{}", issuer.issue()?.expose_secret());
    Ok(())
}
