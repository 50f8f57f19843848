//! Bodies: [`CompressionBody`] encodes a response body frame by frame, flushing the coding after
//! every frame the handler yields (so event streams stay live); `DecodingBody` decodes a request
//! body into bounded chunks.
use std::{
    io,
    pin::Pin,
    task::{ready, Context, Poll},
};

use axum::body::Body;
use bytes::{Buf, Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body as HttpBody, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::codec::{DecodeProgress, DecodeStream, EncodeStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project! {
    /// A response body being encoded: each frame the inner body yields is encoded and flushed.
    pub(crate) struct CompressionBody<B> {
        #[pin]
        inner: B,
        encoder: Box<dyn EncodeStream>,
        out: BytesMut,
        trailers: Option<HeaderMap>,
        finished: bool,
    }
}

impl<B> std::fmt::Debug for CompressionBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompressionBody")
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<B> CompressionBody<B> {
    /// `inner` encoded by `encoder`.
    pub(crate) fn new(inner: B, encoder: Box<dyn EncodeStream>) -> Self {
        Self {
            inner,
            encoder,
            out: BytesMut::new(),
            trailers: None,
            finished: false,
        }
    }
}

impl<B> HttpBody for CompressionBody<B>
where
    B: HttpBody,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        loop {
            if *this.finished {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(mut data) => {
                        let data = data.copy_to_bytes(data.remaining());
                        if this.inner.is_end_stream() {
                            // The last chunk (often the whole body): encode and end in one go.
                            this.encoder.encode_last(&data, this.out)?;
                            *this.finished = true;
                        } else {
                            // Encode the chunk and flush it, so the client can decode it now.
                            this.encoder.encode(&data, this.out)?;
                            this.encoder.flush(this.out)?;
                        }
                        if !this.out.is_empty() {
                            return Poll::Ready(Some(Ok(Frame::data(this.out.split().freeze()))));
                        }
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            *this.trailers = Some(trailers);
                        }
                    }
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => {
                    this.encoder.finish(this.out)?;
                    *this.finished = true;
                    if !this.out.is_empty() {
                        return Poll::Ready(Some(Ok(Frame::data(this.out.split().freeze()))));
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.finished && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

/// How much decoded output one frame of a request body carries at most.
const DECODE_CHUNK: usize = 32 * 1024;

pin_project! {
    /// A request body decoded by one coding, in chunks of at most 32 KiB.
    pub(crate) struct DecodingBody {
        #[pin]
        inner: Body,
        decoder: Box<dyn DecodeStream>,
        input: Bytes,
        scratch: Box<[u8]>,
        // A member (gzip member, zstd frame) ended and its output is being drained.
        flushing: bool,
        // A member ended and was drained; more input starts a new one.
        member_done: bool,
        eof: bool,
        done: bool,
    }
}

impl DecodingBody {
    pub(crate) fn new(inner: Body, decoder: Box<dyn DecodeStream>) -> Self {
        Self {
            inner,
            decoder,
            input: Bytes::new(),
            scratch: vec![0; DECODE_CHUNK].into_boxed_slice(),
            flushing: false,
            member_done: false,
            eof: false,
            done: false,
        }
    }
}

fn invalid(msg: &'static str) -> BoxError {
    Box::new(io::Error::new(io::ErrorKind::InvalidData, msg))
}

/// `p` if it stays within the `input` bytes the decoder was given and the `output` bytes it had
/// room for. A user's [`DecodeStream`] claiming more is a bug in it; it fails this body instead
/// of panicking on the slice.
fn within(p: DecodeProgress, input: usize, output: usize) -> Result<DecodeProgress, BoxError> {
    if p.read > input || p.written > output {
        return Err(invalid("decoder reported more bytes than it was given"));
    }
    Ok(p)
}

impl HttpBody for DecodingBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let mut this = self.project();
        loop {
            if *this.done {
                return Poll::Ready(None);
            }
            if *this.flushing {
                let p = within(
                    this.decoder.finish(this.scratch)?,
                    usize::MAX,
                    this.scratch.len(),
                )?;
                if p.written > 0 {
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                        &this.scratch[..p.written],
                    )))));
                }
                *this.flushing = false;
                *this.member_done = true;
                continue;
            }
            if !this.input.is_empty() {
                if *this.member_done {
                    this.decoder.reinit()?;
                    *this.member_done = false;
                }
                let p = this.decoder.decode(this.input, this.scratch)?;
                let p = within(p, this.input.len(), this.scratch.len())?;
                this.input.advance(p.read);
                *this.flushing = p.ended;
                if p.written > 0 {
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                        &this.scratch[..p.written],
                    )))));
                }
                if p.read == 0 && !p.ended {
                    if this.input.len() >= 2 {
                        return Poll::Ready(Some(Err(invalid("decoder made no progress"))));
                    }
                    // Too little input to start (e.g. one byte of a deflate header): read more.
                } else {
                    continue;
                }
            }
            if *this.eof {
                if *this.member_done {
                    *this.done = true;
                    continue;
                }
                // End of input inside a member: drain what the decoder holds.
                let p = within(
                    this.decoder.finish(this.scratch)?,
                    usize::MAX,
                    this.scratch.len(),
                )?;
                if p.written > 0 {
                    return Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(
                        &this.scratch[..p.written],
                    )))));
                }
                if p.ended {
                    *this.flushing = true;
                    continue;
                }
                *this.done = true;
                return Poll::Ready(Some(Err(invalid("truncated encoded request body"))));
            }
            match ready!(this.inner.as_mut().poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        if this.input.is_empty() {
                            *this.input = data;
                        } else {
                            let mut joined = BytesMut::with_capacity(this.input.len() + data.len());
                            joined.extend_from_slice(this.input);
                            joined.extend_from_slice(&data);
                            *this.input = joined.freeze();
                        }
                    }
                    Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                },
                Some(Err(e)) => return Poll::Ready(Some(Err(e.into()))),
                None => *this.eof = true,
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}
