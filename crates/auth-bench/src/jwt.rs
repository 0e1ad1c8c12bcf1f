//! JWT issuance on both signing backends: fresh `issue()` against the same backend's raw
//! signature, aws-lc-rs against ring, and Ballerina's way (decode the keystore and sign on
//! every request) against the cached provider.

use std::hint::black_box;
use std::time::Duration;

use auth_core::AuthProvider;
use auth_jwt_issuer::{Algorithm, Backend, JwtIssuer, JwtProvider, SigningKey};
use auth_keys::PrivateKey;

use crate::Effort;
use crate::hot::key;
use crate::measure::{Paired, now_or_never, ns_per_op, paired, report};

fn signing_key(alg: Algorithm, file: &str, backend: Backend) -> Result<SigningKey, String> {
    let key = PrivateKey::from_file(key(file), None).map_err(|e| e.to_string())?;
    SigningKey::with_backend(alg, &key, backend).map_err(|e| e.to_string())
}

fn issuer(signer: SigningKey) -> Result<JwtIssuer, String> {
    JwtIssuer::builder()
        .username("bench")
        .issuer("auth-bench")
        .audience(["api"])
        .signer(signer)
        .build()
        .map_err(|e| e.to_string())
}

fn input(issuer: &JwtIssuer) -> Result<Vec<u8>, String> {
    let jwt = issuer.issue().map_err(|e| e.to_string())?;
    let text = jwt.expose_secret();
    Ok(text.as_bytes()[..text.rfind('.').unwrap_or(0)].to_vec())
}

/// The raw signature of `input` by the crypto library itself, with the key parsed once: the
/// floor `issue()` is measured against.
mod raw {
    macro_rules! raw_signer {
        ($module:ident, $crypto:ident, $ecdsa:expr, $modulus_len:expr) => {
            pub(crate) mod $module {
                use $crypto::rand::SystemRandom;
                use $crypto::signature::{self, EcdsaKeyPair, RsaKeyPair};

                use auth_jwt_issuer::Algorithm;

                /// A closure that signs `input` once with `alg`'s key in `der`.
                pub(crate) fn signer(
                    alg: Algorithm,
                    der: &[u8],
                    input: Vec<u8>,
                ) -> Result<Box<dyn FnMut()>, String> {
                    let rng = SystemRandom::new();
                    Ok(match alg {
                        Algorithm::Rs256 | Algorithm::Ps256 => {
                            let key = RsaKeyPair::from_der(der).map_err(|e| e.to_string())?;
                            let padding: &'static dyn signature::RsaEncoding =
                                if alg == Algorithm::Rs256 {
                                    &signature::RSA_PKCS1_SHA256
                                } else {
                                    &signature::RSA_PSS_SHA256
                                };
                            let mut out = vec![0u8; $modulus_len(&key)];
                            Box::new(move || {
                                let _ =
                                    std::hint::black_box(key.sign(padding, &rng, &input, &mut out));
                            })
                        }
                        _ => {
                            let key: EcdsaKeyPair = $ecdsa(der, &rng)?;
                            Box::new(move || {
                                let _ = std::hint::black_box(key.sign(&rng, &input));
                            })
                        }
                    })
                }
            }
        };
    }

    raw_signer!(
        ring,
        ring,
        |der: &[u8], rng: &SystemRandom| {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, rng)
                .map_err(|e| e.to_string())
        },
        |key: &RsaKeyPair| key.public().modulus_len()
    );
    raw_signer!(
        aws_lc,
        aws_lc_rs,
        |der: &[u8], _: &SystemRandom| {
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .map_err(|e| e.to_string())
        },
        |key: &RsaKeyPair| key.public_modulus_len()
    );
}

pub(crate) fn raw_signer(
    backend: Backend,
    alg: Algorithm,
    der: &[u8],
    input: Vec<u8>,
) -> Result<Box<dyn FnMut()>, String> {
    match backend {
        Backend::AwsLcRs => raw::aws_lc::signer(alg, der, input),
        _ => raw::ring::signer(alg, der, input),
    }
}

pub(crate) fn run(effort: Effort) -> Result<(), String> {
    let round = Duration::from_secs(1);
    println!(
        "(JWT figures: rounds of at least {} s each, {} per side, alternating)",
        round.as_secs(),
        effort.repeats
    );
    let mut rs256 = Vec::new();
    for (alg, file) in [
        (Algorithm::Rs256, "rsa.pem"),
        (Algorithm::Ps256, "rsa.pem"),
        (Algorithm::Es256, "ec-p256.pem"),
    ] {
        let private = PrivateKey::from_file(key(file), None).map_err(|e| e.to_string())?;
        for backend in Backend::all() {
            let signer =
                SigningKey::with_backend(alg, &private, *backend).map_err(|e| e.to_string())?;
            let issuer = issuer(signer)?;
            let mut raw = raw_signer(*backend, alg, private.expose_der(), input(&issuer)?)?;
            let result: Paired = paired(
                effort.repeats,
                round,
                || drop(black_box(issuer.issue())),
                &mut raw,
            );
            report(
                &format!(
                    "fresh JWT issue() vs raw signature, {alg}, {}",
                    backend.name()
                ),
                result.ratio,
                "x",
                "<= 1.1 x",
            );
            println!(
                "  (issue() {:.1} us, raw signature {:.1} us; ratio spread {:.2}-{:.2})",
                result.ours / 1e3,
                result.baseline / 1e3,
                result.lowest,
                result.highest
            );
            if alg == Algorithm::Rs256 {
                rs256.push((*backend, issuer));
            }
        }
    }
    if let [(_, ring), (Backend::AwsLcRs, aws_lc)] = rs256.as_slice() {
        let result = paired(
            effort.repeats,
            round,
            || drop(black_box(aws_lc.issue())),
            || drop(black_box(ring.issue())),
        );
        report(
            "fresh RS256-2048 issue(), aws-lc-rs vs ring",
            result.ratio,
            "x",
            "<= 0.6 x",
        );
        println!(
            "  (aws-lc-rs {:.1} us, ring {:.1} us; ratio spread {:.2}-{:.2})",
            result.ours / 1e3,
            result.baseline / 1e3,
            result.lowest,
            result.highest
        );
    }

    // Ballerina's way: read and decode the keystore, then sign, for every request.
    let store = key("rsa-openssl3.p12");
    let reference = || {
        let signer =
            SigningKey::from_pkcs12_file(Algorithm::Rs256, &store, "storepass", "signer", None)
                .expect("keystore loads");
        let issuer = JwtIssuer::builder()
            .issuer("bench")
            .signer(signer)
            .build()
            .expect("issuer builds");
        drop(black_box(issuer.issue()));
    };
    let cached = JwtProvider::new(issuer(signing_key(
        Algorithm::Rs256,
        "rsa.pem",
        Backend::default(),
    )?)?);
    drop(now_or_never(cached.token()));
    let reference_ns = ns_per_op(effort.repeats, 50 * effort.scale, reference);
    let cached_ns = ns_per_op(effort.repeats, 100_000 * effort.scale, || {
        drop(black_box(now_or_never(cached.token())))
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
