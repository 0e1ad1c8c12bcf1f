#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod file;
mod provider;
mod validate;

pub use file::{DEFAULT_GRACE_PERIOD, FileOptions};
pub use provider::BearerProvider;
