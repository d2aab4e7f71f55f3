//! [`EventStream`] as an HTTP response body, for every http-1.x server: `http_body::Body` and
//! `http::Response` (feature `http-body`), axum's `IntoResponse` (feature `axum`) and
//! actix-web's `Responder` (feature `actix-web`).
//!
//! These are impls on `EventStream` itself, so the keep-alive and chunk settings are the ones
//! set on it, and a handler returns the stream as it is.
//!
//! Over HTTP/2, serve with hyper 1.10 or later: before it, a stream whose body was waiting for
//! its next event kept a byte of the connection's send window reserved, which could stall the
//! connection's other streams (hyper#4003). The crate depends on `http-body`, not on hyper, so it
//! cannot require that version itself; its examples and tests do.

use crate::stream::{EventStream, StreamItem};
use futures_core::Stream;

#[cfg(feature = "http-body")]
mod http_body_impl {
    use super::*;
    use crate::headers::RESPONSE_HEADERS;
    use bytes::Bytes;
    use core::pin::Pin;
    use core::task::{Context, Poll};
    use futures_core::FusedStream;

    /// Each chunk is one data frame; an error of the inner stream is the body's error (hyper
    /// then ends the response). There are no trailers.
    impl<S> http_body::Body for EventStream<S>
    where
        S: Stream,
        S::Item: StreamItem,
    {
        type Data = Bytes;
        type Error = <S::Item as StreamItem>::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
            self.poll_next(cx)
                .map(|chunk| chunk.map(|chunk| chunk.map(http_body::Frame::data)))
        }

        fn is_end_stream(&self) -> bool {
            self.is_terminated()
        }
    }

    impl<S> EventStream<S>
    where
        S: Stream,
        S::Item: StreamItem,
    {
        /// A `200 OK` response with this stream as its body and the headers of
        /// [`RESPONSE_HEADERS`](crate::headers::RESPONSE_HEADERS) (requires the `http-body`
        /// feature). With hyper 1 it is the whole handler:
        ///
        /// ```
        /// # mod compile_only {
        /// use futures_util::stream;
        /// use sse_wire::{Event, EventStream};
        ///
        /// async fn sse(
        ///     _: hyper::Request<hyper::body::Incoming>,
        /// ) -> Result<hyper::Response<impl hyper::body::Body>, std::convert::Infallible> {
        ///     let events = stream::iter((0..3u64).map(|n| Event::new().id(n).data("tick")));
        ///     Ok(EventStream::new(events).into_http_response())
        /// }
        /// # }
        /// ```
        pub fn into_http_response(self) -> http::Response<Self> {
            let mut response = http::Response::new(self);
            let headers = response.headers_mut();
            for (name, value) in RESPONSE_HEADERS {
                headers.insert(name, http::HeaderValue::from_static(value));
            }
            response
        }
    }
}

/// `IntoResponse` (axum 0.8): the stream with the headers of
/// [`EventStream::into_http_response`].
#[cfg(feature = "axum")]
impl<S> axum_core::response::IntoResponse for EventStream<S>
where
    S: Stream + Send + 'static,
    S::Item: StreamItem + Send,
    <S::Item as StreamItem>::Error: Into<axum_core::BoxError>,
{
    fn into_response(self) -> axum_core::response::Response {
        self.into_http_response().map(axum_core::body::Body::new)
    }
}

/// `Responder` (actix-web 4): a `200 OK` streaming response with the headers of
/// [`RESPONSE_HEADERS`](crate::headers::RESPONSE_HEADERS).
#[cfg(feature = "actix-web")]
impl<S> actix_web::Responder for EventStream<S>
where
    S: Stream + 'static,
    S::Item: StreamItem,
    <S::Item as StreamItem>::Error: Into<std::boxed::Box<dyn std::error::Error>> + 'static,
{
    type Body = actix_web::body::BoxBody;

    fn respond_to(self, _: &actix_web::HttpRequest) -> actix_web::HttpResponse {
        let mut response = actix_web::HttpResponse::Ok();
        for header in crate::headers::RESPONSE_HEADERS {
            response.insert_header(header);
        }
        response.streaming(self)
    }
}

/// `LastEventId` as an axum extractor (axum 0.8): never rejects, since a missing or malformed
/// id is the handler's to answer (start over, or the hub's reset event).
#[cfg(feature = "axum")]
impl<St: Send + Sync> axum_core::extract::FromRequestParts<St> for crate::headers::LastEventId {
    type Rejection = core::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        _: &St,
    ) -> Result<Self, Self::Rejection> {
        Ok(crate::headers::LastEventId::from_http(
            &parts.headers,
            &parts.uri,
        ))
    }
}

/// `LastEventId` as an actix-web 4 extractor: never fails, like the axum one.
#[cfg(feature = "actix-web")]
impl actix_web::FromRequest for crate::headers::LastEventId {
    type Error = core::convert::Infallible;
    type Future = core::future::Ready<Result<Self, Self::Error>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        _: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let header = request
            .headers()
            .get(crate::headers::LAST_EVENT_ID)
            .map(|value| value.as_bytes());
        let query = Some(request.query_string()).filter(|q| !q.is_empty());
        core::future::ready(Ok(crate::headers::LastEventId::from_parts(header, query)))
    }
}
