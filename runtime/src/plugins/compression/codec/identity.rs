//! `identity`: the body as it is.
use std::io;

use bytes::BytesMut;

use super::{ContentEncoder, DecodeProgress, DecodeStream, EncodeStream};

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
