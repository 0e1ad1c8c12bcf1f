//! How a provider's failure reaches the caller of the service.

use crate::BoxError;

/// The form a provider failure takes as the service's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProviderErrors {
    /// A boxed `auth_core::Error`: hyper and plain tower users downcast to it.
    Boxed,
    /// A `tonic::Status` with code `UNAUTHENTICATED`, whose source is the `auth_core::Error`:
    /// tonic hands a `Status` found in a service error to the caller unchanged.
    #[cfg(feature = "tonic")]
    GrpcStatus,
}

impl ProviderErrors {
    /// `error` in this form.
    pub(crate) fn convert(self, error: auth_core::Error) -> BoxError {
        match self {
            Self::Boxed => Box::new(error),
            #[cfg(feature = "tonic")]
            Self::GrpcStatus => {
                // The message is the error's Display, which never holds a secret.
                let mut status = tonic::Status::unauthenticated(format!(
                    "could not authenticate the request: {error}"
                ));
                status.set_source(std::sync::Arc::new(error));
                Box::new(status)
            }
        }
    }
}
