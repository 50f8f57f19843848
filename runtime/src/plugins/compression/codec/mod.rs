//! Content codings: the [`ContentEncoder`] trait users implement for their own codings, the
//! streaming [`EncodeStream`] / [`DecodeStream`] halves, and the built-in codings, one module
//! each (zstd, the flate codings gzip and deflate, brotli, identity), on `async-compression`'s
//! codecs (`adapter`).
use std::{fmt, io, ops::RangeInclusive};

use bytes::BytesMut;

#[cfg(any(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod adapter;
#[cfg(feature = "compression-br")]
mod brotli;
#[cfg(feature = "compression-gzip")]
mod flate;
mod identity;
#[cfg(feature = "compression-zstd")]
mod zstd;

#[cfg(feature = "compression-br")]
pub use self::brotli::Brotli;
#[cfg(feature = "compression-gzip")]
pub use self::flate::{Deflate, Gzip};
pub use self::identity::Identity;
#[cfg(feature = "compression-zstd")]
pub use self::zstd::Zstd;

/// A content coding (`Content-Encoding` value): how to start encoding one response body and,
/// optionally, decoding one request body.
///
/// Register one with [`CompressionConfig::encoder`](super::CompressionConfig::encoder); the
/// built-in codings implement it too. See the [module docs](crate::plugins::compression).
///
/// # Example
/// ```
/// use oxtor_runtime::plugins::compression::{ContentEncoder, EncodeStream};
/// use bytes::BytesMut;
///
/// /// Reverses nothing, uppercases ASCII: a toy coding named by the user.
/// struct Upper;
/// struct UpperStream;
/// impl EncodeStream for UpperStream {
///     fn encode(&mut self, input: &[u8], output: &mut BytesMut) -> std::io::Result<()> {
///         output.extend(input.iter().map(u8::to_ascii_uppercase));
///         Ok(())
///     }
///     fn flush(&mut self, _output: &mut BytesMut) -> std::io::Result<()> { Ok(()) }
///     fn finish(&mut self, _output: &mut BytesMut) -> std::io::Result<()> { Ok(()) }
/// }
/// impl ContentEncoder for Upper {
///     fn encoder(&self, _level: Option<i32>) -> Box<dyn EncodeStream> { Box::new(UpperStream) }
/// }
///
/// let mut out = BytesMut::new();
/// Upper.encoder(None).encode(b"abc", &mut out).unwrap();
/// assert_eq!(&out[..], b"ABC");
/// ```
pub trait ContentEncoder: Send + Sync + 'static {
    /// The levels this coding accepts (`1..=22` for zstd); `None` if it has no levels, in which
    /// case configuring a `level` is an error.
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        None
    }

    /// The level used when none is configured.
    fn default_level(&self) -> Option<i32> {
        None
    }

    /// Starts encoding one response body at `level` (already validated against
    /// [`levels`](Self::levels)).
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream>;

    /// As [`encoder`](Self::encoder), knowing the body's exact length when the response
    /// declares it, so a coding can size its state to the input (zstd does).
    fn encoder_for_length(&self, level: Option<i32>, len: Option<u64>) -> Box<dyn EncodeStream> {
        let _ = len;
        self.encoder(level)
    }

    /// Starts decoding one request body, or `None` if this coding cannot decode (such request
    /// bodies are passed through untouched).
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        None
    }

    /// The encoded length of a body of `len` bytes, when it is known in advance (identity).
    /// `None` means the response is sent without `Content-Length`.
    fn encoded_length(&self, len: u64) -> Option<u64> {
        let _ = len;
        None
    }
}

/// Encodes one body incrementally. Every method appends its output to `output`.
pub trait EncodeStream: Send {
    /// Encodes all of `input` (output may be held back until [`flush`](Self::flush)).
    fn encode(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()>;
    /// Emits everything encoded so far, so that a client can decode it now.
    fn flush(&mut self, output: &mut BytesMut) -> io::Result<()>;
    /// Ends the stream (trailers, checksums).
    fn finish(&mut self, output: &mut BytesMut) -> io::Result<()>;

    /// Encodes the body's last chunk and ends the stream: [`encode`](Self::encode) then
    /// [`finish`](Self::finish), which a coding may do in one pass (zstd does, for a whole body).
    fn encode_last(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()> {
        self.encode(input, output)?;
        self.finish(output)
    }
}

/// How far one [`DecodeStream`] call got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeProgress {
    /// Bytes of input consumed.
    pub read: usize,
    /// Bytes written to the output slice.
    pub written: usize,
    /// Whether the end of the encoded stream (or of one member of it) was reached.
    pub ended: bool,
}

/// Decodes one body incrementally into bounded output slices, so a decoder never produces more
/// than its caller asked for.
pub trait DecodeStream: Send {
    /// Decodes some of `input` into `output`.
    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<DecodeProgress>;
    /// At the end of input: writes what is still buffered. `ended` tells whether the stream was
    /// complete; an incomplete stream is an error of the caller's choosing.
    fn finish(&mut self, output: &mut [u8]) -> io::Result<DecodeProgress>;
    /// Prepares to decode another member (concatenated gzip members, zstd frames).
    fn reinit(&mut self) -> io::Result<()>;
}

/// A registered coding, shared by every request.
pub(crate) type SharedEncoder = std::sync::Arc<dyn ContentEncoder>;

/// Debug for trait objects in configs.
pub(crate) struct Opaque<'a>(pub(crate) &'a str);

impl fmt::Debug for Opaque<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
