//! The `Compression` plugin: Ktor's `Compression` on tower. It compresses responses with zstd,
//! gzip, deflate, brotli or a coding of the user's, negotiated from `Accept-Encoding`, and decodes
//! compressed request bodies for handlers, with a cap on the decoded size.
//!
//! ```text
//! install!(Compression {
//!     zstd { level = 3 }
//!     gzip { priority = 0.9  level = 6 }
//!     minimum_size = 200  match_content_type("text/*")
//!     condition = |call| call.query_param("raw").is_none()
//!     mode = CompressionMode::All
//! })
//! ```
//! desugars to [`Compression::configure`] with one [`CompressionConfig`] method per key.
//!
//! # Responses
//! - **Negotiation** (RFC 9110 §12.5.3): the client's `q` first (`q=0` means "not acceptable"),
//!   then the configured `priority`, then the order the client listed codings in, then the order
//!   they were registered in. `*` stands for every registered coding not listed. Coding names are
//!   case-insensitive; malformed entries are ignored, so a malformed header means identity. The
//!   first candidate whose conditions pass is used; `identity` (or none) sends the body as is.
//! - **Headers**: a compressed response loses `Content-Length` and `Accept-Ranges`, gets
//!   `Content-Encoding`, and a strong `ETag` becomes weak. Every response that could have been
//!   compressed (it passed the gates below, the global conditions and one coding's conditions)
//!   gets `Vary: Accept-Encoding`, whether or not the client sent `Accept-Encoding`; others
//!   (an excluded `image/png`, say) do not, since `Accept-Encoding` does not change them.
//! - **`HEAD`** gets the headers `GET` would (RFC 9110 §9.3.2): `Vary`, `Content-Encoding`, no
//!   identity `Content-Length`; its body stays empty.
//! - **Left alone**: 1xx (101), 204, 304, responses with `Content-Encoding` or
//!   `Content-Range`, `text/event-stream` unless opted in ([`CompressEventStream`] on the
//!   response, or `compress_event_streams = true`), and calls marked with
//!   [`SuppressCompression`].
//! - **Conditions** (`minimum_size`, `match_content_type`, `exclude_content_type`, `condition`)
//!   exist globally and per coding. As in Ktor, a coding with no conditions of its own, when
//!   there are no global conditions either, gets the defaults: `minimum_size = 200` (a body of
//!   unknown length passes) and no `video/*`, `image/jpeg`, `image/png`, `audio/*`,
//!   `multipart/*`.
//! - **Nothing to do costs little**: each side's headers are read in one pass. A response left
//!   alone by the gates above, or of known length under every coding's `minimum_size` (and the
//!   global one), is passed on with no body wrapper, no `Content-Type` parsing and no
//!   negotiation; a request body without `Content-Encoding` is not wrapped.
//! - **Streaming**: bodies are encoded as they are produced, and the coding is flushed after
//!   every frame the handler yields, so NDJSON and server-sent events stay live. The last frame
//!   is encoded and ended in one pass (for a whole body known up front, zstd compresses it in one
//!   shot, like `zstd::bulk`). zstd contexts are reused per thread (a few per thread), and a
//!   known body length is pledged to zstd, which sizes its tables to it and records it in the
//!   frame.
//!
//! # Requests
//! With [`CompressionMode::DecompressRequest`] or [`CompressionMode::All`] (the default), a
//! request body whose `Content-Encoding` lists registered codings is decoded as the handler reads
//! it: `Content-Encoding` and `Content-Length` are removed and [`AppliedDecoders`] records the
//! codings, in the order they were undone. The decoded body is capped at `max_decoded_size`
//! (8 MiB by default): past it the body fails with a length-limit error, which axum's extractors
//! answer with 413, and nothing beyond the cap is ever buffered. The zstd decoder's window is
//! limited to 8 MiB (RFC 9659), and at most four codings are undone per request (more fail the
//! body with "too many content codings", a 400). A coding that is not registered stops decoding
//! there; the header keeps what is left and the body is passed on untouched, as Ktor does. To
//! keep a request encoded, take [`SuppressDecompression`] as a handler argument
//! (`async fn upload(_: SuppressDecompression, body: Bytes)`), put it in the request's extensions
//! from an outer layer, or install the layer on that route group with
//! `mode = CompressionMode::CompressResponse`.
//!
//! # Where oxtor differs from Ktor 3.4.0
//! `deflate` is zlib-wrapped, as RFC 9110 defines it (request decoding accepts raw deflate too);
//! `q=0` means "not acceptable"; request codings are undone last-listed first (RFC 9110); `*`
//! resolves deterministically; choosing `identity` sends no `Content-Encoding: identity` header
//! (RFC 9110 reserves `identity` for `Accept-Encoding`); `Vary` is sent on negotiable responses
//! without `Accept-Encoding` too; all `Accept-Encoding` lines are read and coding names match
//! in any case (RFC 9110 §8.4.1); an entry with a `q` that is not a valid qvalue (`q=1.5`) is
//! ignored, where Ktor reads it as `q=1`; a strong `ETag` becomes weak on a compressed body (it
//! no longer describes those bytes), where Ktor leaves it as is; `text/event-stream` can be
//! opted in; `match_content_type` calls accumulate (any range matches).
//!
//! # Example
//! ```
//! use oxtor_runtime::{plugins::compression::Compression, testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.install(Compression::configure(|cfg| {
//!     cfg.zstd(|cfg| { cfg.level(3); });
//!     cfg.gzip(|cfg| { cfg.priority(0.9); });
//! }))?;
//! app.routing(Router::new().route("/", get(|| async { "text to be compressed\n".repeat(100) })))?;
//! let server = TestApplication::start(app).await?;
//!
//! let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
//! let (mut tx, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
//!     .await.unwrap();
//! tokio::spawn(conn);
//! let req = http::Request::get("/")
//!     .header("host", "localhost")
//!     .header("accept-encoding", "gzip, zstd")
//!     .body(http_body_util::Empty::<bytes::Bytes>::new()).unwrap();
//! let res = tx.send_request(req).await.unwrap();
//! assert_eq!(res.headers()["content-encoding"], "zstd");
//! assert_eq!(res.headers()["vary"], "Accept-Encoding");
//! assert!(res.headers().get("content-length").is_none());
//!
//! // A level out of range is rejected with the key's path.
//! let err = Compression::configure(|cfg| { cfg.zstd(|cfg| { cfg.level(40); }); }).unwrap_err();
//! assert_eq!(err.to_string(), "Compression.zstd.level: 40 is not in 1..=22");
//! # Ok(()) }
//! ```
use std::{convert::Infallible, sync::Arc};

use axum::response::{IntoResponseParts, ResponseParts};
use http::request::Parts;

use crate::{app::Application, ConfigError, Plugin};

mod body;
mod codec;
mod config;
mod layer;
mod negotiate;
mod predicate;
mod request;
mod service;

pub mod future;

#[doc(inline)]
pub use self::{
    codec::{ContentEncoder, DecodeProgress, DecodeStream, EncodeStream, Identity},
    config::{CompressionConfig, CompressionMode, EncoderConfig, DEFAULT_MAX_DECODED_SIZE},
    layer::CompressionLayer,
    predicate::{CompressionCall, Condition},
    service::CompressionService,
};

#[cfg(feature = "compression-br")]
#[doc(inline)]
pub use self::codec::Brotli;
#[cfg(feature = "compression-zstd")]
#[doc(inline)]
pub use self::codec::Zstd;
#[cfg(feature = "compression-gzip")]
#[doc(inline)]
pub use self::codec::{Deflate, Gzip};

/// The compression plugin: install it on an [`Application`] (`app.install(install!(Compression
/// { .. }))`) or turn it into a [`CompressionLayer`] for one route group.
///
/// See the [module docs](crate::plugins::compression).
#[derive(Debug, Clone)]
pub struct Compression {
    settings: Arc<config::Settings>,
}

impl Compression {
    /// Configures the plugin; what `install!(Compression { .. })` desugars to. Fails with the
    /// first rejected value, its key path in the message
    /// (`Compression.zstd.level: 40 is not in 1..=22`).
    pub fn configure(f: impl FnOnce(&mut CompressionConfig)) -> Result<Self, ConfigError> {
        let mut cfg = CompressionConfig::default();
        f(&mut cfg);
        Ok(Self {
            settings: Arc::new(config::Settings::new(cfg)?),
        })
    }

    /// The plugin as a tower layer, e.g. for `routing! { layer(l) { .. } }`.
    pub fn into_layer(self) -> CompressionLayer {
        CompressionLayer {
            settings: self.settings,
        }
    }
}

impl Default for Compression {
    /// Every built-in coding compiled in, default conditions, [`CompressionMode::All`].
    fn default() -> Self {
        let settings = config::Settings::new(CompressionConfig::default())
            .unwrap_or_else(|_| unreachable!("the default configuration is valid"));
        Self {
            settings: Arc::new(settings),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for Compression {
    const NAME: &'static str = "Compression";

    fn install(self, app: &mut Application<S>) -> crate::Result<()> {
        app.layer_ignoring_content_length(self.into_layer());
        Ok(())
    }
}

/// Marks a call whose response must not be compressed: Ktor's `call.suppressCompression()`.
/// Return it with the response (`(SuppressCompression, body)`), or insert it into the request
/// extensions before the compression layer runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SuppressCompression;

impl IntoResponseParts for SuppressCompression {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// Keeps a request body encoded: Ktor's `call.suppressDecompression()`. Two ways:
/// - a handler takes it as an argument (`async fn upload(_: SuppressDecompression, body: Bytes)`):
///   its body arrives as sent, with its `Content-Encoding` and `Content-Length`, and
///   [`AppliedDecoders`] is empty (decoding starts only at the body's first read, which comes
///   after this extractor);
/// - an outer layer puts it in the request's extensions before the compression layer runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SuppressDecompression;

/// Opts one `text/event-stream` response into compression (event streams are left alone by
/// default). Return it with the response: `(CompressEventStream, Sse::new(stream))`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CompressEventStream;

impl IntoResponseParts for CompressEventStream {
    type Error = Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Infallible> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}

/// The codings undone on the request body, in the order they were undone (Ktor's
/// `call.request.appliedDecoders`). Empty when nothing was decoded; usable as an extractor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppliedDecoders(pub Vec<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AppliedDecoders {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<AppliedDecoders>()
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(all(
    test,
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod tests;
