//! Content codings: the [`ContentEncoder`] trait users implement for their own codings, the
//! streaming [`EncodeStream`] / [`DecodeStream`] halves, and the built-in codings (zstd, gzip,
//! deflate, brotli, identity) on `async-compression`'s codecs.
use std::{fmt, io, ops::RangeInclusive};

use bytes::BytesMut;

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

/// Built-in codings share this wrapper over `async-compression`'s codecs.
#[cfg(any(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod codecs {
    use std::io;

    use async_compression::{
        codecs::DecodeV2,
        core::util::{PartialBuffer, WriteBuffer},
    };

    use super::{DecodeProgress, DecodeStream};

    #[cfg(any(feature = "compression-gzip", feature = "compression-br"))]
    pub(crate) use self::encode::Encoder;

    /// Encoders over `async-compression`'s codecs (zstd has its own, see `zstd_stream`).
    #[cfg(any(feature = "compression-gzip", feature = "compression-br"))]
    mod encode {
        use std::{io, mem::MaybeUninit};

        use async_compression::{
            codecs::EncodeV2,
            core::util::{PartialBuffer, WriteBuffer},
        };
        use bytes::BytesMut;

        use super::super::EncodeStream;

        /// Minimum free space handed to a codec per call.
        const MIN_SPARE: usize = 16 * 1024;

        fn reserve(out: &mut BytesMut, hint: usize) {
            if out.capacity() - out.len() < MIN_SPARE {
                out.reserve(hint.max(MIN_SPARE));
            }
        }

        /// Runs `f` over the spare capacity of `out`, keeping what it wrote.
        fn write_into<R>(
            out: &mut BytesMut,
            f: impl FnOnce(&mut WriteBuffer<'_>) -> io::Result<R>,
        ) -> io::Result<R> {
            let spare: &mut [MaybeUninit<u8>] = out.spare_capacity_mut();
            let mut buf = WriteBuffer::new_uninitialized(spare);
            let res = f(&mut buf);
            let written = buf.written_len();
            let len = out.len();
            // SAFETY: `WriteBuffer` only counts bytes as written once they are initialized
            // (`written_len() <= initialized_len()`), and they sit right after `len`.
            unsafe { out.set_len(len + written) };
            res
        }

        /// An `async-compression` encoder as an [`EncodeStream`].
        pub(crate) struct Encoder<E>(pub(crate) E);

        impl<E: EncodeV2 + Send> EncodeStream for Encoder<E> {
            fn encode(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()> {
                let mut input = PartialBuffer::new(input);
                while !input.unwritten().is_empty() {
                    reserve(output, input.unwritten().len() / 4);
                    write_into(output, |buf| self.0.encode(&mut input, buf))?;
                }
                Ok(())
            }

            fn flush(&mut self, output: &mut BytesMut) -> io::Result<()> {
                loop {
                    reserve(output, MIN_SPARE);
                    if write_into(output, |buf| self.0.flush(buf))? {
                        return Ok(());
                    }
                }
            }

            fn finish(&mut self, output: &mut BytesMut) -> io::Result<()> {
                loop {
                    reserve(output, MIN_SPARE);
                    if write_into(output, |buf| self.0.finish(buf))? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// An `async-compression` decoder as a [`DecodeStream`].
    pub(crate) struct Decoder<D>(pub(crate) D);

    impl<D: DecodeV2 + Send> DecodeStream for Decoder<D> {
        fn decode(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<DecodeProgress> {
            let mut input = PartialBuffer::new(input);
            let mut out = WriteBuffer::new_initialized(output);
            let ended = self.0.decode(&mut input, &mut out)?;
            Ok(DecodeProgress {
                read: input.written_len(),
                written: out.written_len(),
                ended,
            })
        }

        fn finish(&mut self, output: &mut [u8]) -> io::Result<DecodeProgress> {
            let mut out = WriteBuffer::new_initialized(output);
            let ended = self.0.finish(&mut out)?;
            Ok(DecodeProgress {
                read: 0,
                written: out.written_len(),
                ended,
            })
        }

        fn reinit(&mut self) -> io::Result<()> {
            self.0.reinit()
        }
    }
}

/// `zstd` (RFC 8878): levels `1..=22`, default 3. Decoding limits the window to 8 MiB (RFC 9659).
#[cfg(feature = "compression-zstd")]
#[cfg_attr(docsrs, doc(cfg(feature = "compression-zstd")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Zstd;

#[cfg(feature = "compression-zstd")]
impl ContentEncoder for Zstd {
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        Some(1..=22)
    }
    fn default_level(&self) -> Option<i32> {
        Some(3)
    }
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
        self.encoder_for_length(level, None)
    }
    fn encoder_for_length(&self, level: Option<i32>, len: Option<u64>) -> Box<dyn EncodeStream> {
        Box::new(super::zstd_stream::ZstdStream::new(level.unwrap_or(3), len))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        // 2^23 = 8 MiB: the window RFC 9659 requires HTTP decoders to support, and no more.
        let params = [async_compression::zstd::DParameter::window_log_max(23)];
        Some(Box::new(codecs::Decoder(
            async_compression::codecs::ZstdDecoder::new_with_params(&params),
        )))
    }
}

/// The levels of the flate codings (gzip, deflate), as zlib defines them.
#[cfg(feature = "compression-gzip")]
const FLATE_LEVELS: RangeInclusive<i32> = 0..=9;

/// The default level of the flate codings: zlib's own default.
#[cfg(feature = "compression-gzip")]
const FLATE_DEFAULT_LEVEL: i32 = 6;

/// `gzip` (RFC 1952): levels `0..=9`, default 6.
#[cfg(feature = "compression-gzip")]
#[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Gzip;

#[cfg(feature = "compression-gzip")]
impl ContentEncoder for Gzip {
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        Some(FLATE_LEVELS)
    }
    fn default_level(&self) -> Option<i32> {
        Some(FLATE_DEFAULT_LEVEL)
    }
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
        let level = async_compression::Level::Precise(level.unwrap_or(FLATE_DEFAULT_LEVEL));
        Box::new(codecs::Encoder(
            async_compression::codecs::GzipEncoder::new(level.into()),
        ))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(codecs::Decoder(
            async_compression::codecs::GzipDecoder::new(),
        )))
    }
}

/// `deflate` as RFC 9110 defines it: zlib-wrapped (RFC 1950). Levels `0..=9`, default 6.
/// Decoding also accepts raw deflate (RFC 1951), which some clients send.
#[cfg(feature = "compression-gzip")]
#[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Deflate;

#[cfg(feature = "compression-gzip")]
impl ContentEncoder for Deflate {
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        Some(FLATE_LEVELS)
    }
    fn default_level(&self) -> Option<i32> {
        Some(FLATE_DEFAULT_LEVEL)
    }
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
        let level = async_compression::Level::Precise(level.unwrap_or(FLATE_DEFAULT_LEVEL));
        Box::new(codecs::Encoder(
            async_compression::codecs::ZlibEncoder::new(level.into()),
        ))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(DeflateDecoder::Sniffing))
    }
}

/// Decodes zlib-wrapped deflate, or raw deflate when the first two bytes are not a zlib header.
#[cfg(feature = "compression-gzip")]
enum DeflateDecoder {
    Sniffing,
    Zlib(codecs::Decoder<async_compression::codecs::ZlibDecoder>),
    Raw(codecs::Decoder<async_compression::codecs::DeflateDecoder>),
}

#[cfg(feature = "compression-gzip")]
impl DeflateDecoder {
    fn inner(&mut self, input: &[u8]) -> Option<&mut dyn DecodeStream> {
        if let Self::Sniffing = self {
            let (&cmf, &flg) = (input.first()?, input.get(1)?);
            // RFC 1950: CM = 8, and CMF*256 + FLG is a multiple of 31.
            let zlib = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
            *self = if zlib {
                Self::Zlib(codecs::Decoder(
                    async_compression::codecs::ZlibDecoder::new(),
                ))
            } else {
                Self::Raw(codecs::Decoder(
                    async_compression::codecs::DeflateDecoder::new(),
                ))
            };
        }
        match self {
            Self::Sniffing => None,
            Self::Zlib(d) => Some(d),
            Self::Raw(d) => Some(d),
        }
    }
}

#[cfg(feature = "compression-gzip")]
impl DecodeStream for DeflateDecoder {
    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<DecodeProgress> {
        match self.inner(input) {
            Some(d) => d.decode(input, output),
            // Fewer than two bytes so far: wait for more input.
            None => Ok(DecodeProgress::default()),
        }
    }
    fn finish(&mut self, output: &mut [u8]) -> io::Result<DecodeProgress> {
        match self {
            Self::Sniffing => Err(io::ErrorKind::UnexpectedEof.into()),
            Self::Zlib(d) => d.finish(output),
            Self::Raw(d) => d.finish(output),
        }
    }
    fn reinit(&mut self) -> io::Result<()> {
        *self = Self::Sniffing;
        Ok(())
    }
}

/// `br` (RFC 7932): levels `0..=11`, default 4 (11 is too slow for dynamic responses).
#[cfg(feature = "compression-br")]
#[cfg_attr(docsrs, doc(cfg(feature = "compression-br")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Brotli;

#[cfg(feature = "compression-br")]
impl ContentEncoder for Brotli {
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        Some(0..=11)
    }
    fn default_level(&self) -> Option<i32> {
        Some(4)
    }
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
        let params = async_compression::brotli::EncoderParams::default()
            .quality(async_compression::Level::Precise(level.unwrap_or(4)));
        Box::new(codecs::Encoder(
            async_compression::codecs::BrotliEncoder::new(params),
        ))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(codecs::Decoder(
            async_compression::codecs::BrotliDecoder::new(),
        )))
    }
}

/// `identity`: no coding. Selecting it sends the body unchanged, with its `Content-Length`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity;

struct IdentityStream;

impl EncodeStream for IdentityStream {
    fn encode(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()> {
        output.extend_from_slice(input);
        Ok(())
    }
    fn flush(&mut self, _output: &mut BytesMut) -> io::Result<()> {
        Ok(())
    }
    fn finish(&mut self, _output: &mut BytesMut) -> io::Result<()> {
        Ok(())
    }
}

impl DecodeStream for IdentityStream {
    fn decode(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<DecodeProgress> {
        let n = input.len().min(output.len());
        output[..n].copy_from_slice(&input[..n]);
        Ok(DecodeProgress {
            read: n,
            written: n,
            ended: false,
        })
    }
    fn finish(&mut self, _output: &mut [u8]) -> io::Result<DecodeProgress> {
        Ok(DecodeProgress {
            ended: true,
            ..DecodeProgress::default()
        })
    }
    fn reinit(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl ContentEncoder for Identity {
    fn encoder(&self, _level: Option<i32>) -> Box<dyn EncodeStream> {
        Box::new(IdentityStream)
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(IdentityStream))
    }
    fn encoded_length(&self, len: u64) -> Option<u64> {
        Some(len)
    }
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
