//! Request bodies that can be sent a second time.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::{Empty, Full};
use pin_project_lite::pin_project;

/// A request body that may be copied, so the request can be replayed once after its credential
/// was rejected.
///
/// Bodies held in memory copy cheaply (`Full<Bytes>` is a reference-count bump); streams cannot
/// be copied and answer `None`, and a rejected request with such a body is returned as it came
/// (the provider still drops the rejected credential, so the next request gets a fresh one).
///
/// Implement it for a body type of your own: return a copy, or re-create the body from
/// whatever it was made of. A body type of another crate that this one does not know (hyper's
/// `Incoming` in a proxy, say) goes in [`NoReplay`]: `request.map(NoReplay::new)`.
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

pin_project! {
    /// Any body, sent as it is and never copied: for body types that implement no
    /// [`ReplayBody`] (a rejected request with it is returned as it came, and its credential
    /// dropped).
    ///
    /// ```
    /// use auth_tower::{NoReplay, ReplayBody};
    ///
    /// let request = http::Request::new(String::from("body")).map(NoReplay::new);
    /// assert!(request.body().replay_copy().is_none());
    /// ```
    #[derive(Debug)]
    pub struct NoReplay<B> {
        #[pin]
        inner: B,
    }
}

impl<B> NoReplay<B> {
    /// Wraps `inner`.
    pub fn new(inner: B) -> Self {
        Self { inner }
    }

    /// The body inside.
    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: Body> Body for NoReplay<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> ReplayBody for NoReplay<B> {
    fn replay_copy(&self) -> Option<Self> {
        None
    }
}

/// tonic's body is a stream of encoded messages: only an empty one can be sent again.
#[cfg(feature = "tonic")]
impl ReplayBody for tonic::body::Body {
    fn replay_copy(&self) -> Option<Self> {
        Body::is_end_stream(self).then(tonic::body::Body::empty)
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
        let chunks = stream::iter([Ok::<_, std::io::Error>(Frame::data(Bytes::new()))]);
        assert!(StreamBody::new(chunks).replay_copy().is_none());
        let boxed = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed();
        assert!(boxed.replay_copy().is_none());
    }
}
