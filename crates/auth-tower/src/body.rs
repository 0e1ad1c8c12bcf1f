//! Request bodies that can be sent a second time.

use bytes::Bytes;
use http_body_util::{Empty, Full};

/// A request body that may be copied, so the request can be replayed once after its credential
/// was rejected.
///
/// Bodies held in memory copy cheaply (`Full<Bytes>` is a reference-count bump); streams cannot
/// be copied and answer `None`, and a rejected request with such a body is returned as it came
/// (the provider still drops the rejected credential, so the next request gets a fresh one).
///
/// Implement it for a body type of your own: return a copy, or re-create the body from
/// whatever it was made of.
///
/// ```
/// use auth_tower::ReplayBody;
///
/// /// A JSON body kept as its text until it is sent.
/// struct Json(std::sync::Arc<str>);
///
/// impl ReplayBody for Json {
///     fn replay_copy(&self) -> Option<Self> {
///         Some(Json(self.0.clone()))
///     }
/// }
/// # let body = Json("{}".into());
/// # assert!(body.replay_copy().is_some());
/// ```
pub trait ReplayBody: Sized {
    /// A copy of the body to send again, or `None` when it cannot be sent twice.
    fn replay_copy(&self) -> Option<Self>;
}

impl<D: Clone> ReplayBody for Full<D> {
    fn replay_copy(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<D> ReplayBody for Empty<D> {
    fn replay_copy(&self) -> Option<Self> {
        Some(Self::new())
    }
}

impl<L: ReplayBody, R: ReplayBody> ReplayBody for http_body_util::Either<L, R> {
    fn replay_copy(&self) -> Option<Self> {
        match self {
            Self::Left(left) => left.replay_copy().map(Self::Left),
            Self::Right(right) => right.replay_copy().map(Self::Right),
        }
    }
}

impl<D, E> ReplayBody for http_body_util::combinators::BoxBody<D, E> {
    fn replay_copy(&self) -> Option<Self> {
        None
    }
}

impl<D, E> ReplayBody for http_body_util::combinators::UnsyncBoxBody<D, E> {
    fn replay_copy(&self) -> Option<Self> {
        None
    }
}

impl<S> ReplayBody for http_body_util::StreamBody<S> {
    fn replay_copy(&self) -> Option<Self> {
        None
    }
}

impl ReplayBody for Bytes {
    fn replay_copy(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl ReplayBody for String {
    fn replay_copy(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl ReplayBody for Vec<u8> {
    fn replay_copy(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl ReplayBody for () {
    fn replay_copy(&self) -> Option<Self> {
        Some(())
    }
}

/// tonic's body is a stream of encoded messages: only an empty one can be sent again.
#[cfg(feature = "tonic")]
impl ReplayBody for tonic::body::Body {
    fn replay_copy(&self) -> Option<Self> {
        http_body::Body::is_end_stream(self).then(tonic::body::Body::empty)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream;
    use http_body_util::{BodyExt, Either, StreamBody};

    use super::*;

    #[tokio::test]
    async fn bodies_in_memory_copy_and_streams_do_not() {
        let full = Full::new(Bytes::from_static(b"payload"));
        let copy = full.replay_copy().unwrap();
        assert_eq!(copy.collect().await.unwrap().to_bytes(), "payload");
        assert!(Empty::<Bytes>::new().replay_copy().is_some());
        let either: Either<Full<Bytes>, Empty<Bytes>> = Either::Left(full);
        assert!(either.replay_copy().is_some());
        let chunks = stream::iter([Ok::<_, std::io::Error>(
            http_body::Frame::data(Bytes::new()),
        )]);
        assert!(StreamBody::new(chunks).replay_copy().is_none());
        let boxed = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed();
        assert!(boxed.replay_copy().is_none());
    }
}
