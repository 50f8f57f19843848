//! `zstd`: encoded with libzstd's streaming API directly ([`stream`]), decoded through
//! `async-compression`.
use std::ops::RangeInclusive;

use super::{adapter::Decoder, ContentEncoder, DecodeStream, EncodeStream};

mod stream;

/// `zstd` (RFC 8878): levels `1..=22`, default 3. Decoding limits the window to 8 MiB (RFC 9659).
#[cfg_attr(docsrs, doc(cfg(feature = "compression-zstd")))]
#[derive(Debug, Clone, Copy, Default)]
pub struct Zstd;

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
        Box::new(stream::ZstdStream::new(level.unwrap_or(3), len))
    }
    fn decoder(&self) -> Option<Box<dyn DecodeStream>> {
        // 2^23 = 8 MiB: the window RFC 9659 requires HTTP decoders to support, and no more.
        let params = [async_compression::zstd::DParameter::window_log_max(23)];
        Some(Box::new(Decoder(
            async_compression::codecs::ZstdDecoder::new_with_params(&params),
        )))
    }
}
