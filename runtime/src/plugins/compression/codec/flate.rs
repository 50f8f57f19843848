//! The flate codings, `gzip` and `deflate`: zlib's compressor (levels `0..=9`, default 6) in two
//! framings. One generic type, [`Flate`], is the coding; a [`Framing`] says how its stream is
//! wrapped, and [`Gzip`] and [`Deflate`] are the two framings.
use std::{io, marker::PhantomData, ops::RangeInclusive};

use async_compression::{codecs, Level};

use super::{
    adapter::{Decoder, Encoder},
    ContentEncoder, DecodeProgress, DecodeStream, EncodeStream,
};

/// How a flate stream is wrapped: what differs between [`Gzip`] and [`Deflate`].
pub(crate) trait Framing: Send + Sync + 'static {
    /// An encoder at `level`.
    fn encoder(level: Level) -> Box<dyn EncodeStream>;
    /// A decoder.
    fn decoder() -> Box<dyn DecodeStream>;
}

/// A flate coding in framing `F`: what gzip and deflate share.
pub(crate) struct Flate<F>(PhantomData<fn() -> F>);

impl<F: Framing> Flate<F> {
    /// zlib's levels.
    const LEVELS: RangeInclusive<i32> = 0..=9;
    /// zlib's own default level.
    const DEFAULT_LEVEL: i32 = 6;
}

impl<F: Framing> ContentEncoder for Flate<F> {
    fn levels(&self) -> Option<RangeInclusive<i32>> {
        Some(Self::LEVELS)
    }
    fn default_level(&self) -> Option<i32> {
        Some(Self::DEFAULT_LEVEL)
    }
    fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
        F::encoder(Level::Precise(level.unwrap_or(Self::DEFAULT_LEVEL)))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(F::decoder())
    }
}

/// The public framings are codings themselves, as [`Flate`] of themselves.
macro_rules! flate_coding {
    ($framing:ty) => {
        impl ContentEncoder for $framing {
            fn levels(&self) -> Option<RangeInclusive<i32>> {
                Flate::<Self>(PhantomData).levels()
            }
            fn default_level(&self) -> Option<i32> {
                Flate::<Self>(PhantomData).default_level()
            }
            fn encoder(&self, level: Option<i32>) -> Box<dyn EncodeStream> {
                Flate::<Self>(PhantomData).encoder(level)
            }
            fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
                Flate::<Self>(PhantomData).decoder()
            }
        }
    };
}

/// `gzip` (RFC 1952): levels `0..=9`, default 6.
#[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Gzip;

impl Framing for Gzip {
    fn encoder(level: Level) -> Box<dyn EncodeStream> {
        Box::new(Encoder(codecs::GzipEncoder::new(level.into())))
    }
    fn decoder() -> Box<dyn DecodeStream> {
        Box::new(Decoder(codecs::GzipDecoder::new()))
    }
}

flate_coding!(Gzip);

/// `deflate` as RFC 9110 defines it: zlib-wrapped (RFC 1950). Levels `0..=9`, default 6.
/// Decoding also accepts raw deflate (RFC 1951), which some clients send.
#[cfg_attr(docsrs, doc(cfg(feature = "compression-gzip")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Deflate;

impl Framing for Deflate {
    fn encoder(level: Level) -> Box<dyn EncodeStream> {
        Box::new(Encoder(codecs::ZlibEncoder::new(level.into())))
    }
    fn decoder() -> Box<dyn DecodeStream> {
        Box::new(DeflateDecoder::Sniffing)
    }
}

flate_coding!(Deflate);

/// Decodes zlib-wrapped deflate, or raw deflate when the first two bytes are not a zlib header.
enum DeflateDecoder {
    Sniffing,
    Zlib(Decoder<codecs::ZlibDecoder>),
    Raw(Decoder<codecs::DeflateDecoder>),
}

impl DeflateDecoder {
    fn inner(&mut self, input: &[u8]) -> Option<&mut dyn DecodeStream> {
        if let Self::Sniffing = self {
            let (&cmf, &flg) = (input.first()?, input.get(1)?);
            // RFC 1950: CM = 8, and CMF*256 + FLG is a multiple of 31.
            let zlib = cmf & 0x0f == 8 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0;
            *self = if zlib {
                Self::Zlib(Decoder(codecs::ZlibDecoder::new()))
            } else {
                Self::Raw(Decoder(codecs::DeflateDecoder::new()))
            };
        }
        match self {
            Self::Sniffing => None,
            Self::Zlib(d) => Some(d),
            Self::Raw(d) => Some(d),
        }
    }
}

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
