//! JWT issuance: fresh `issue()` against ring's raw signature, and Ballerina's way (decode the
//! keystore and sign on every request) against the cached provider.

use std::hint::black_box;

use auth_core::AuthProvider;
use auth_jwt_issuer::{Algorithm, JwtIssuer, JwtProvider};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

use crate::Effort;
use crate::hot::key;
use crate::measure::{median, now_or_never, ns_per_op, report};

fn pkcs8(name: &str) -> Result<Vec<u8>, String> {
    let text = std::fs::read(key(name)).map_err(|e| e.to_string())?;
    Ok(pem::parse(text).map_err(|e| e.to_string())?.into_contents())
}

fn issuer(alg: Algorithm, file: &str) -> Result<JwtIssuer, String> {
    JwtIssuer::builder()
        .username("bench")
        .issuer("auth-bench")
        .audience(["api"])
        .key_file(alg, key(file), None)
        .build()
        .map_err(|e| e.to_string())
}

fn input(issuer: &JwtIssuer) -> Result<Vec<u8>, String> {
    let jwt = issuer.issue().map_err(|e| e.to_string())?;
    let text = jwt.expose_secret();
    Ok(text.as_bytes()[..text.rfind('.').unwrap_or(0)].to_vec())
}

/// The median over repeats of (ours / baseline), each pair measured back to back.
fn paired(
    repeats: usize,
    iterations: usize,
    mut ours: impl FnMut(),
    mut baseline: impl FnMut(),
) -> (f64, f64, f64) {
    let (mut a, mut b, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..repeats {
        let x = ns_per_op(1, iterations, &mut ours);
        let y = ns_per_op(1, iterations, &mut baseline);
        a.push(x);
        b.push(y);
        ratio.push(x / y);
    }
    (median(&mut a), median(&mut b), median(&mut ratio))
}

/// Measures fresh `issue()` against `raw` (ring's signature of the same input) and reports it.
fn fresh_vs_raw(
    effort: Effort,
    label: &str,
    iterations: usize,
    issuer: &JwtIssuer,
    raw: impl FnMut(),
) {
    let (ours, baseline, ratio) = paired(
        effort.repeats,
        iterations * effort.scale,
        || drop(black_box(issuer.issue())),
        raw,
    );
    report(
        &format!("fresh JWT issue() vs raw ring, {label}"),
        ratio,
        "x",
        "<= 1.1 x",
    );
    println!(
        "  (issue() {:.1} us, raw ring signature {:.1} us)",
        ours / 1e3,
        baseline / 1e3
    );
}

pub(crate) fn run(effort: Effort) -> Result<(), String> {
    let rng = SystemRandom::new();
    let rs = issuer(Algorithm::Rs256, "rsa.pem")?;
    let rs_input = input(&rs)?;
    let rsa = RsaKeyPair::from_pkcs8(&pkcs8("rsa.pem")?).map_err(|e| e.to_string())?;
    let mut sig = vec![0; rsa.public().modulus_len()];
    fresh_vs_raw(effort, "RS256-2048", 100, &rs, || {
        let _ = black_box(rsa.sign(
            &signature::RSA_PKCS1_SHA256,
            &rng,
            black_box(&rs_input),
            &mut sig,
        ));
    });

    let es = issuer(Algorithm::Es256, "ec-p256.pem")?;
    let es_input = input(&es)?;
    let ec = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8("ec-p256.pem")?,
        &rng,
    )
    .map_err(|e| e.to_string())?;
    fresh_vs_raw(effort, "ES256", 2_000, &es, || {
        let _ = black_box(ec.sign(&rng, &es_input));
    });

    let ed = issuer(Algorithm::EdDsa, "ed25519.pem")?;
    let ed_input = input(&ed)?;
    let ed_key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8("ed25519.pem")?)
        .map_err(|e| e.to_string())?;
    fresh_vs_raw(effort, "EdDSA", 2_000, &ed, || {
        let _ = black_box(ed_key.sign(&ed_input));
    });

    // Ballerina's way: read and decode the keystore, then sign, for every request.
    let store = key("rsa-openssl3.p12");
    let reference = || {
        let issuer = JwtIssuer::builder()
            .issuer("bench")
            .key_store(Algorithm::Rs256, &store, "storepass", "signer", None)
            .build()
            .expect("keystore loads");
        drop(black_box(issuer.issue()));
    };
    let cached = JwtProvider::new(issuer(Algorithm::Rs256, "rsa.pem")?);
    drop(now_or_never(cached.token()));
    let reference_ns = ns_per_op(effort.repeats, 50 * effort.scale, reference);
    let cached_ns = ns_per_op(effort.repeats, 100_000 * effort.scale, || {
        drop(black_box(now_or_never(cached.token())));
    });
    report(
        "Ballerina's way (decode keystore + sign per request) vs cached JWT provider",
        reference_ns / cached_ns,
        "x slower",
        "report the ratio",
    );
    println!(
        "  (per request: {:.0} us against {:.0} ns)",
        reference_ns / 1e3,
        cached_ns
    );
    Ok(())
}
