//! Every algorithm's output, on every signing backend compiled in, verifies with jsonwebtoken.
//! When AUTH_JWT_EXPORT_DIR is set (by .ci/run), one token per algorithm and backend is written
//! there with its public key, for PyJWT. HMAC keys take the default backend, so the two builds
//! CI tests (ring by default, aws-lc-rs with all features) cover both.

use std::path::Path;

use auth_jwt_issuer::{Algorithm, Backend, JwtIssuer, SigningKey};
use auth_keys::PrivateKey;
use jsonwebtoken::{Algorithm as Jwa, DecodingKey};

use crate::helpers::{key, read, verify};

const HS256_SECRET: &str = "an HS256 secret of 32 bytes or more";
const HS384_SECRET: &str = "an HS384 secret that is at least forty-eight bytes long";
const HS512_SECRET: &str = "an HS512 secret that has to be at least sixty-four bytes long, ok";

struct Case {
    alg: Algorithm,
    jwa: Jwa,
    private: &'static str,
    public: &'static str,
}

const ASYMMETRIC: [Case; 9] = [
    Case {
        alg: Algorithm::Rs256,
        jwa: Jwa::RS256,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Rs384,
        jwa: Jwa::RS384,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Rs512,
        jwa: Jwa::RS512,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Ps256,
        jwa: Jwa::PS256,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Ps384,
        jwa: Jwa::PS384,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Ps512,
        jwa: Jwa::PS512,
        private: "rsa.pem",
        public: "rsa.pub.pem",
    },
    Case {
        alg: Algorithm::Es256,
        jwa: Jwa::ES256,
        private: "ec-p256.pem",
        public: "ec-p256.pub.pem",
    },
    Case {
        alg: Algorithm::Es384,
        jwa: Jwa::ES384,
        private: "ec-p384.pem",
        public: "ec-p384.pub.pem",
    },
    Case {
        alg: Algorithm::EdDsa,
        jwa: Jwa::EdDSA,
        private: "ed25519.pem",
        public: "ed25519.pub.pem",
    },
];

fn export(alg: Algorithm, backend: Backend, jwt: &str, key: &[u8]) {
    let Some(dir) = std::env::var_os("AUTH_JWT_EXPORT_DIR") else {
        return;
    };
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).unwrap();
    let name = format!("{alg}.{}", backend.name());
    std::fs::write(dir.join(format!("{name}.jwt")), jwt).unwrap();
    std::fs::write(dir.join(format!("{name}.key")), key).unwrap();
}

#[test]
fn asymmetric_algorithms_verify_independently() {
    for case in ASYMMETRIC {
        let private = PrivateKey::from_file(key(case.private), None).unwrap();
        for backend in Backend::all() {
            let issuer = JwtIssuer::builder()
                .issuer("algorithms-test")
                .audience("verifier")
                .signer(SigningKey::with_backend(case.alg, &private, *backend).unwrap())
                .build()
                .unwrap();
            let jwt = issuer.issue().unwrap();
            let public = read(case.public);
            let decoding = match case.jwa {
                Jwa::ES256 | Jwa::ES384 => DecodingKey::from_ec_pem(&public).unwrap(),
                Jwa::EdDSA => DecodingKey::from_ed_pem(&public).unwrap(),
                _ => DecodingKey::from_rsa_pem(&public).unwrap(),
            };
            let claims = verify(jwt.expose_secret(), case.jwa, &decoding);
            assert_eq!(claims["iss"], "algorithms-test", "{} {backend:?}", case.alg);

            // A tampered signature fails: the verifier is really checking.
            // The first signature character: every bit of it counts (the last may be padding
            // bits, caught by base64 strictness rather than by the signature check).
            let text = jwt.expose_secret();
            let at = text.rfind('.').unwrap() + 1;
            let first = text.as_bytes()[at];
            let mut tampered = text.to_owned();
            tampered.replace_range(at..=at, if first == b'A' { "B" } else { "A" });
            let mut validation = jsonwebtoken::Validation::new(case.jwa);
            validation.validate_aud = false;
            assert!(
                jsonwebtoken::decode::<serde_json::Value>(&tampered, &decoding, &validation)
                    .is_err(),
                "{} {backend:?} accepted a tampered token",
                case.alg
            );
            export(case.alg, *backend, jwt.expose_secret(), &public);
        }
    }
}

#[test]
fn hmac_algorithms_verify_independently() {
    for (alg, jwa, secret) in [
        (Algorithm::Hs256, Jwa::HS256, HS256_SECRET),
        (Algorithm::Hs384, Jwa::HS384, HS384_SECRET),
        (Algorithm::Hs512, Jwa::HS512, HS512_SECRET),
    ] {
        let issuer = JwtIssuer::builder()
            .username("hmac")
            .signer(SigningKey::hmac(alg, secret).unwrap())
            .build()
            .unwrap();
        let jwt = issuer.issue().unwrap();
        let claims = verify(
            jwt.expose_secret(),
            jwa,
            &DecodingKey::from_secret(secret.as_bytes()),
        );
        assert_eq!(claims["sub"], "hmac");
        let wrong = DecodingKey::from_secret(b"another secret entirely, also long enough");
        let mut validation = jsonwebtoken::Validation::new(jwa);
        validation.validate_aud = false;
        assert!(
            jsonwebtoken::decode::<serde_json::Value>(jwt.expose_secret(), &wrong, &validation)
                .is_err()
        );
        export(
            alg,
            Backend::default(),
            jwt.expose_secret(),
            secret.as_bytes(),
        );
    }
}
