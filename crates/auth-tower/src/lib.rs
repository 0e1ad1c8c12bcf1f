#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod errors;
mod future;
#[cfg(feature = "tonic")]
mod interceptor;
mod layer;
mod origin;
mod service;

pub use auth_core::rejection::ReplayPolicy;
pub use body::{NoReplay, ReplayBody};
pub use future::ResponseFuture;
#[cfg(feature = "tonic")]
pub use interceptor::AuthInterceptor;
pub use layer::AuthLayer;
pub use service::AuthService;

/// The error type of an [`AuthService`]: the inner service's error, or the provider's.
///
/// A provider failure is a boxed [`auth_core::Error`] (match it with
/// `error.downcast_ref::<auth_core::Error>()`), or a `tonic::Status` with code
/// `UNAUTHENTICATED` after `AuthLayer::grpc_status_errors` (feature `tonic`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
