#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod audience;
mod backend;
mod dpop;
mod issuer;
mod jti;
mod jwk;
mod provider;
mod signer;
mod signing_key;
mod turn;

pub use algorithm::Algorithm;
pub use audience::Audience;
pub use backend::Backend;
pub use dpop::{DPOP_HEADER, DPOP_NONCE_HEADER, DpopBinding, DpopKey};
pub use issuer::{DEFAULT_EXP_TIME, IssuerBuilder, JwtIssuer, MAX_EXP_TIME};
pub use jwk::PublicJwk;
pub use provider::{DEFAULT_LEEWAY, JwtProvider};
pub use signer::{JwsSigner, SharedSigner};
pub use signing_key::SigningKey;
