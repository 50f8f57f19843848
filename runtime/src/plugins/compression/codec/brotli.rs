//! `br`, through `async-compression`.
use std::ops::RangeInclusive;

use super::{
    adapter::{Decoder, Encoder},
    ContentEncoder, DecodeStream, EncodeStream,
};

/// `br` (RFC 7932): levels `0..=11`, default 4 (11 is too slow for dynamic responses).
#[cfg_attr(docsrs, doc(cfg(feature = "compression-br")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Brotli;

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
        Box::new(Encoder(async_compression::codecs::BrotliEncoder::new(
            params,
        )))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        Some(Box::new(Decoder(
            async_compression::codecs::BrotliDecoder::new(),
        )))
    }
}
