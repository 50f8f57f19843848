//! Fuzzes `Compression` through its public tower layer: arbitrary `Accept-Encoding` and
//! `Content-Encoding` field lines and an arbitrary request body. No panic; a response coding is
//! one the server registered and the body decodes to what the handler sent; the handler reads
//! the (maybe garbage, maybe stacked) request body to the end or to an error.
//!
//! Input layout: field lines up to the first NUL, each a selector byte (`a`: Accept-Encoding,
//! anything else: Content-Encoding) and the value; after the NUL, the request body.
#![no_main]

use std::{convert::Infallible, io::Read, sync::OnceLock};

use axum::body::Body;
use http::{header, HeaderValue, Request, Response};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use oxtor_runtime::plugins::compression::{Compression, CompressionLayer};
use tower::{Layer, ServiceExt};

const BODY: &str = "text to be compressed\n";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    })
}

fn layer() -> &'static CompressionLayer {
    static LAYER: OnceLock<CompressionLayer> = OnceLock::new();
    LAYER.get_or_init(|| {
        Compression::configure(|c| {
            c.zstd(|_| {}).gzip(|_| {}).deflate(|_| {}).identity(|_| {});
        })
        .expect("a valid configuration")
        .into_layer()
    })
}

fn decode(coding: Option<&[u8]>, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match coding {
        None => out.extend_from_slice(body),
        Some(b"gzip") => {
            flate2::read::MultiGzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid gzip");
        }
        Some(b"deflate") => {
            flate2::read::ZlibDecoder::new(body)
                .read_to_end(&mut out)
                .expect("valid zlib");
        }
        Some(b"zstd") => out = zstd::stream::decode_all(body).expect("valid zstd"),
        Some(other) => panic!("unregistered coding {:?}", String::from_utf8_lossy(other)),
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let (lines, body) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let mut req = Request::post("/")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    for line in lines.split(|&b| b == b'\n') {
        let Some((&selector, value)) = line.split_first() else {
            continue;
        };
        let Ok(value) = HeaderValue::from_bytes(value) else {
            continue;
        };
        let name = if selector == b'a' {
            header::ACCEPT_ENCODING
        } else {
            header::CONTENT_ENCODING
        };
        req.headers_mut().append(name, value);
    }
    let handler = tower::service_fn(|req: Request<Body>| async move {
        // Read the request body through whatever decoders were stacked; errors are expected.
        let _ = req.into_body().collect().await;
        Ok::<_, Infallible>(Response::new(Body::from(BODY.repeat(100))))
    });
    runtime().block_on(async {
        let res = layer()
            .layer(handler)
            .oneshot(req)
            .await
            .expect("infallible");
        let coding = res
            .headers()
            .get(header::CONTENT_ENCODING)
            .map(|v| v.as_bytes().to_vec());
        let sent = res.into_body().collect().await.expect("a body").to_bytes();
        assert_eq!(
            decode(coding.as_deref(), &sent),
            BODY.repeat(100).as_bytes()
        );
    });
});
