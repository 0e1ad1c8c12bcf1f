//! DPoP proofs, made for every request a DPoP-bound token goes with: the proof header of a
//! bound token (claims, `jti`, `ath`, nonce, the signature, the header value) against the raw
//! ES256 signature of an input of the same length, on each signing backend.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use auth_core::{Scheme, Token};
use auth_jwt_issuer::{Algorithm, Backend, DpopKey, SigningKey};
use auth_keys::PrivateKey;

use crate::Effort;
use crate::hot::key;
use crate::jwt::raw_signer;
use crate::measure::{paired, report};

const URL: &str = "https://api.example/v1/accounts/42/transactions?page=3";

pub(crate) fn run(effort: Effort) -> Result<(), String> {
    let round = Duration::from_secs(1);
    println!(
        "(DPoP figures: rounds of at least {} s each, {} per side, alternating)",
        round.as_secs(),
        effort.repeats
    );
    let private = PrivateKey::from_file(key("ec-p256.pem"), None).map_err(|e| e.to_string())?;
    // An access token of a realistic size (a JWT of about 800 bytes).
    let access_token = format!("eyJhbGciOiJSUzI1NiJ9.{}.sig", "x".repeat(760));
    for backend in Backend::all() {
        let signer = SigningKey::with_backend(Algorithm::Es256, &private, *backend)
            .map_err(|e| e.to_string())?;
        let dpop = Arc::new(DpopKey::new(signer).map_err(|e| e.to_string())?);
        dpop.remember_nonce(URL, "eyJ7S_zG.9fQ2-server-nonce");
        let token = Token::new(
            Scheme::parse("DPoP").map_err(|e| e.to_string())?,
            access_token.as_str(),
        )
        .map_err(|e| e.to_string())?
        .with_proof(dpop.clone());
        // The raw signature's input: as long as a proof's header and claims.
        let proof = dpop
            .proof("GET", URL, Some(&access_token))
            .map_err(|e| e.to_string())?;
        let input = proof.as_bytes()[..proof.rfind('.').unwrap_or(0)].to_vec();
        let mut raw = raw_signer(*backend, Algorithm::Es256, private.expose_der(), input)?;
        let result = paired(
            effort.repeats,
            round,
            || drop(black_box(token.proof_header("GET", URL))),
            &mut raw,
        );
        report(
            &format!(
                "DPoP proof per request vs raw ES256 signature, {}",
                backend.name()
            ),
            result.ratio,
            "x",
            "<= 1.2 x",
        );
        println!(
            "  (proof header {:.1} us, raw signature {:.1} us; {})",
            result.ours / 1e3,
            result.baseline / 1e3,
            result.spread()
        );
    }
    Ok(())
}
