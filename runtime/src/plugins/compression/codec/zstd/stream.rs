//! zstd encoding on libzstd's streaming API, with each thread keeping a few compression
//! contexts for reuse, and the exact input length pledged when known (so a small response gets
//! small tables instead of the 2 MiB window of an unknown-length stream).
use std::{cell::RefCell, io};

use ::zstd::zstd_safe::{
    self, zstd_sys::ZSTD_EndDirective, CCtx, CParameter, InBuffer, OutBuffer, ResetDirective,
    WriteBuf,
};
use bytes::BytesMut;

use super::super::EncodeStream;

/// Contexts kept per thread (each holds its workspace, up to a few MiB).
const POOL_PER_THREAD: usize = 4;
/// Minimum free space handed to zstd per call.
const MIN_SPARE: usize = 16 * 1024;

thread_local! {
    static POOL: RefCell<Vec<(i32, CCtx<'static>)>> = const { RefCell::new(Vec::new()) };
}

fn error(code: usize) -> io::Error {
    io::Error::other(zstd_safe::get_error_name(code))
}

/// `BytesMut` as zstd's output buffer: zstd writes into the spare capacity.
struct Out<'a>(&'a mut BytesMut);

// SAFETY: `as_slice` covers the initialized part (`len`), `capacity` is the allocation's, and
// `filled_until(n)` is only called by zstd after it initialized the first `n` bytes.
unsafe impl WriteBuf for Out<'_> {
    fn as_slice(&self) -> &[u8] {
        &self.0[..]
    }
    fn capacity(&self) -> usize {
        self.0.capacity()
    }
    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.0.as_mut_ptr()
    }
    unsafe fn filled_until(&mut self, n: usize) {
        // SAFETY: guaranteed by the caller, see above.
        unsafe { self.0.set_len(n) }
    }
}

/// One response body's zstd stream.
pub(crate) struct ZstdStream {
    cctx: Result<CCtx<'static>, io::Error>,
    level: i32,
}

impl ZstdStream {
    pub(crate) fn new(level: i32, len: Option<u64>) -> Self {
        let pooled = POOL
            .try_with(|pool| {
                let mut pool = pool.try_borrow_mut().ok()?;
                let i = pool.iter().position(|(l, _)| *l == level)?;
                Some(pool.swap_remove(i).1)
            })
            .ok()
            .flatten();
        let cctx = match pooled {
            Some(cctx) => Ok(cctx),
            None => CCtx::try_create()
                .ok_or_else(|| io::Error::other("cannot allocate a zstd context"))
                .and_then(|mut cctx| {
                    cctx.set_parameter(CParameter::CompressionLevel(level))
                        .map_err(error)?;
                    Ok(cctx)
                }),
        }
        .and_then(|mut cctx| {
            cctx.set_pledged_src_size(len).map_err(error)?;
            Ok(cctx)
        });
        Self { cctx, level }
    }

    fn run(
        &mut self,
        input: &[u8],
        output: &mut BytesMut,
        op: ZSTD_EndDirective,
    ) -> io::Result<()> {
        let cctx = self
            .cctx
            .as_mut()
            .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
        let mut input = InBuffer::around(input);
        loop {
            if output.capacity() - output.len() < MIN_SPARE {
                output.reserve(((input.src.len() - input.pos) / 4).max(MIN_SPARE));
            }
            let mut out = Out(output);
            let pos = out.0.len();
            let mut buf = OutBuffer::around_pos(&mut out, pos);
            let remaining = cctx
                .compress_stream2(&mut buf, &mut input, op)
                .map_err(error)?;
            let done = match op {
                ZSTD_EndDirective::ZSTD_e_continue => input.pos == input.src.len(),
                _ => remaining == 0,
            };
            if done {
                return Ok(());
            }
        }
    }
}

impl EncodeStream for ZstdStream {
    fn encode(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()> {
        self.run(input, output, ZSTD_EndDirective::ZSTD_e_continue)
    }
    fn flush(&mut self, output: &mut BytesMut) -> io::Result<()> {
        self.run(&[], output, ZSTD_EndDirective::ZSTD_e_flush)
    }
    fn finish(&mut self, output: &mut BytesMut) -> io::Result<()> {
        self.run(&[], output, ZSTD_EndDirective::ZSTD_e_end)
    }
    fn encode_last(&mut self, input: &[u8], output: &mut BytesMut) -> io::Result<()> {
        // With room for the whole frame, zstd compresses the input in one pass, unbuffered.
        output.reserve(zstd_safe::compress_bound(input.len()));
        self.run(input, output, ZSTD_EndDirective::ZSTD_e_end)
    }
}

impl Drop for ZstdStream {
    fn drop(&mut self) {
        let Ok(mut cctx) = std::mem::replace(&mut self.cctx, Err(io::ErrorKind::Other.into()))
        else {
            return;
        };
        if cctx.reset(ResetDirective::SessionOnly).is_err() {
            return;
        }
        let level = self.level;
        let _ = POOL.try_with(|pool| {
            if let Ok(mut pool) = pool.try_borrow_mut() {
                if pool.len() < POOL_PER_THREAD {
                    pool.push((level, cctx));
                }
            }
        });
    }
}
