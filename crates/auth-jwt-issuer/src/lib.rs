#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod algorithm;
mod audience;
mod backend;
mod issuer;
mod jti;
mod provider;
mod signer;
mod signing_key;
mod turn;

pub use algorithm::Algorithm;
pub use audience::Audience;
pub use backend::Backend;
pub use issuer::{DEFAULT_EXP_TIME, IssuerBuilder, JwtIssuer, MAX_EXP_TIME};
pub use provider::{DEFAULT_LEEWAY, JwtProvider};
pub use signer::{JwsSigner, SharedSigner};
pub use signing_key::SigningKey;
