//! Fresh `issue()` against the raw ring signature of the same input with the same key, and the
//! provider's cached path.
//!
//! `cargo bench -p auth-jwt-issuer --bench issue`

use std::hint::black_box;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use auth_core::AuthProvider;
use auth_jwt_issuer::{Algorithm, Backend, JwtIssuer, JwtProvider, SigningKey};
use auth_keys::PrivateKey;
use criterion::{Criterion, criterion_group, criterion_main};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};

fn key_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/keys")
        .join(name)
}

fn pkcs8_der(name: &str) -> Vec<u8> {
    PrivateKey::from_file(key_path(name), None)
        .expect("bench key loads")
        .expose_der()
        .to_vec()
}

fn issuer(alg: Algorithm, file: &str) -> JwtIssuer {
    JwtIssuer::builder()
        .username("bench")
        .issuer("auth-jwt-issuer")
        .audience(["api"])
        .custom_claim("scp", "read write")
        // ring, to compare with the raw ring signatures below (auth-bench compares both backends).
        .signer(
            SigningKey::with_backend(
                alg,
                &PrivateKey::from_file(key_path(file), None).expect("bench key loads"),
                Backend::Ring,
            )
            .expect("bench key fits"),
        )
        .build()
        .expect("bench issuer builds")
}

/// The signing input (`header.payload`) of a token this issuer makes.
fn signing_input(issuer: &JwtIssuer) -> Vec<u8> {
    let jwt = issuer.issue().expect("issues");
    let text = jwt.expose_secret();
    text.as_bytes()[..text.rfind('.').expect("three parts")].to_vec()
}

/// Polls a future that completes without waiting (the provider's cached path).
fn now_or_never<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the cached path must not wait"),
    }
}

fn fresh_vs_raw(c: &mut Criterion) {
    let rng = SystemRandom::new();

    let rs256 = issuer(Algorithm::Rs256, "rsa.pem");
    let input = signing_input(&rs256);
    let rsa = RsaKeyPair::from_pkcs8(&pkcs8_der("rsa.pem")).expect("rsa key");
    let mut group = c.benchmark_group("RS256-2048");
    group.sample_size(30);
    group.bench_function("issue()", |b| b.iter(|| black_box(rs256.issue())));
    group.bench_function("raw ring signature", |b| {
        let mut out = vec![0; rsa.public().modulus_len()];
        b.iter(|| {
            rsa.sign(
                &signature::RSA_PKCS1_SHA256,
                &rng,
                black_box(&input),
                &mut out,
            )
        })
    });
    group.finish();

    let es256 = issuer(Algorithm::Es256, "ec-p256.pem");
    let input = signing_input(&es256);
    let ec = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &pkcs8_der("ec-p256.pem"),
        &rng,
    )
    .expect("ec key");
    let mut group = c.benchmark_group("ES256");
    group.bench_function("raw ring signature", |b| {
        b.iter(|| ec.sign(&rng, black_box(&input)))
    });
    group.bench_function("issue()", |b| b.iter(|| black_box(es256.issue())));
    group.finish();

    let eddsa = issuer(Algorithm::EdDsa, "ed25519.pem");
    let input = signing_input(&eddsa);
    let ed = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8_der("ed25519.pem")).expect("ed key");
    let mut group = c.benchmark_group("EdDSA");
    group.bench_function("raw ring signature", |b| {
        b.iter(|| ed.sign(black_box(&input)))
    });
    group.bench_function("issue()", |b| b.iter(|| black_box(eddsa.issue())));
    group.finish();
}

fn cached(c: &mut Criterion) {
    let provider = JwtProvider::new(issuer(Algorithm::Rs256, "rsa.pem"));
    now_or_never(provider.token()).expect("first token");
    c.bench_function("cached JwtProvider::token() + header value", |b| {
        b.iter(|| {
            let token = now_or_never(provider.token()).expect("cached");
            black_box(token.header_value().clone())
        })
    });
}

fn floor(c: &mut Criterion) {
    let token = auth_core::Token::bearer("static").expect("token");
    c.bench_function(
        "floor: static Token::token() (async-trait box + clone)",
        |b| b.iter(|| black_box(now_or_never(token.token()).expect("static"))),
    );
    c.bench_function("floor: SystemTime::now()", |b| {
        b.iter(|| black_box(std::time::SystemTime::now()))
    });
}

criterion_group!(benches, fresh_vs_raw, cached, floor);
criterion_main!(benches);
