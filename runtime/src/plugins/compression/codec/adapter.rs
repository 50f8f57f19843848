//! `async-compression`'s codecs as `EncodeStream`s and `DecodeStream`s: the wrappers the
//! built-in codings share (zstd encodes with its own, see `zstd::stream`).
use std::io;

use async_compression::{
    codecs::DecodeV2,
    core::util::{PartialBuffer, WriteBuffer},
};

use super::{DecodeProgress, DecodeStream};

#[cfg(any(feature = "compression-gzip", feature = "compression-br"))]
pub(crate) use self::encode::Encoder;

/// Encoders over `async-compression`'s codecs (zstd has its own, see `zstd::stream`).
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
