//! Helpers shared by the compression tests: serving an app, raw HTTP/1.1 requests, decoders.
#![allow(dead_code, unreachable_pub)]

use std::{convert::Infallible, io::Read};

use axum::{
    body::{Body, Bytes as AxumBytes},
    routing::get,
    Router,
};
use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use oxtor_runtime::plugins::compression::AppliedDecoders;
use oxtor_runtime::{
    plugins::compression::{Compression, CompressionConfig},
    testing::{TestApplication, TestRequest},
    Application,
};

/// Ktor's test body: "text to be compressed\n" * 100 (2200 bytes).
pub fn text() -> String {
    "text to be compressed\n".repeat(100)
}

/// `GET /`: [`text`].
pub fn text_route() -> Router {
    Router::new().route("/", get(|| async { text() }))
}

/// `GET /`: `body` streamed in chunks of 5 bytes, so of unknown length.
pub fn streamed(body: &'static str) -> Router {
    Router::new().route(
        "/",
        get(move || async move {
            let chunks = body
                .as_bytes()
                .chunks(5)
                .map(|c| Ok::<_, Infallible>(Bytes::from_static(c)));
            Body::from_stream(futures_util::stream::iter(chunks))
        }),
    )
}

/// Serves `router` with `Compression` configured by `f` on the whole app.
pub async fn serve(f: impl FnOnce(&mut CompressionConfig), router: Router) -> TestApplication {
    let mut app = Application::new(());
    app.install(Compression::configure(f))
        .expect("valid config");
    app.routing(router).expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

/// A response: status, headers, raw (still encoded) body.
#[derive(Debug)]
pub struct Raw {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body, decoded according to `Content-Encoding`, as text.
    pub fn text(&self) -> String {
        let bytes = decode(self.header("content-encoding"), &self.body);
        String::from_utf8(bytes).expect("utf-8 body")
    }

    /// Asserts what Ktor's helper asserts for a compressed response.
    pub fn assert_encoded(&self, coding: &str) {
        assert_eq!(self.header("content-encoding"), Some(coding), "{self:?}");
        assert_eq!(self.header("content-length"), None, "{self:?}");
        assert_eq!(self.header("vary"), Some("Accept-Encoding"), "{self:?}");
    }

    /// Asserts what Ktor's helper asserts for a response sent as is.
    pub fn assert_plain(&self) {
        assert_eq!(self.header("content-encoding"), None, "{self:?}");
    }
}

/// Decodes `body` with an independent decoder for `coding` (`None`: as is).
pub fn decode(coding: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::MultiGzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid zlib");
        }
        Some("zstd") => out = zstd::stream::decode_all(body).expect("valid zstd"),
        Some(other) => panic!("no test decoder for {other}"),
    }
    out
}

/// Sends `req` (built with `server.request(..)`); `TestApplication` bounds the exchange.
pub async fn send(req: TestRequest<'_>) -> Raw {
    let res = req.send().await.expect("response");
    Raw {
        status: res.status(),
        headers: res.headers().clone(),
        body: res.into_body(),
    }
}

/// GET `path` with an optional `Accept-Encoding`.
pub async fn call(server: &TestApplication, path: &str, accept: Option<&str>) -> Raw {
    let mut req = server.request(Method::GET, path);
    if let Some(accept) = accept {
        req = req.header("accept-encoding", accept);
    }
    send(req).await
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

pub fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("zlib");
    e.finish().expect("zlib")
}

pub fn raw_deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("deflate");
    e.finish().expect("deflate")
}

pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::bulk::compress(data, 3).expect("zstd")
}

/// A zstd frame of `len` zeros made of RLE blocks, declaring a window of 2^`window_log` bytes:
/// a few bytes per 128 KiB, so 1 GiB is 32 KiB.
pub fn zstd_zeros_bomb(len: u64, window_log: u8) -> Vec<u8> {
    const BLOCK: u64 = 128 * 1024;
    let mut out = vec![0x28, 0xB5, 0x2F, 0xFD];
    // Frame header descriptor: no content size, no checksum, no dictionary, not single segment.
    out.push(0x00);
    // Window descriptor: exponent only.
    out.push((window_log - 10) << 3);
    let mut left = len;
    while left > 0 {
        let size = left.min(BLOCK);
        left -= size;
        let last = u32::from(left == 0);
        // Block header: last flag, type 1 (RLE), size; then the byte to repeat.
        let header = last | (1 << 1) | ((size as u32) << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(0);
    }
    out
}

/// Echoes what the handler saw: body, `Content-Encoding`, applied decoders.
pub async fn echo(applied: AppliedDecoders, headers: HeaderMap, body: AxumBytes) -> String {
    let ce = headers
        .get(http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    format!(
        "{}|{}|{}",
        String::from_utf8_lossy(&body),
        ce,
        applied.0.join(",")
    )
}

pub async fn post_body(
    server: &TestApplication,
    coding: &str,
    body: Vec<u8>,
    accept: Option<&str>,
) -> Raw {
    let mut req = server
        .request(Method::POST, "/")
        .header("content-encoding", coding)
        .body(body);
    if let Some(a) = accept {
        req = req.header("accept-encoding", a);
    }
    send(req).await
}
