//! Testing: [`TestApplication`], the analogue of Ktor's `testApplication`. It serves an
//! [`Application`] with the real engine on `127.0.0.1:0` and shuts it down when dropped.
//!
//! Helpers send requests over real sockets: [`TestApplication::get_text`] and
//! [`TestApplication::get`] (a fresh HTTP/1.1 connection each), [`TestApplication::request`] to
//! add headers or a body first, [`TestApplication::send`] for any request, [`TestApplication::send_h2c`] over HTTP/2 with prior knowledge,
//! [`TestApplication::client`] for a pooled hyper client, and [`TestApplication::connect`] for a
//! raw [`TcpStream`] when a test needs to misbehave (disconnect, half-close, pipeline).
//!
//! # Example
//! ```
//! use oxtor_runtime::{testing::TestApplication, Application};
//! use axum::{routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/hello", get(|| async { "Hello, world!" })))?;
//! let server = TestApplication::start(app).await?;
//! assert_eq!(server.get_text("/hello").await?, "Hello, world!");
//! assert!(server.url("/hello").starts_with("http://127.0.0.1:"));
//!
//! let res = server.get("/missing").await?;
//! assert_eq!(res.status(), http::StatusCode::NOT_FOUND);
//!
//! let req = http::Request::get("/hello").body(axum::body::Body::empty()).expect("valid request");
//! let res = server.send_h2c(req).await?;
//! assert_eq!((res.version(), res.text()?.as_str()), (http::Version::HTTP_2, "Hello, world!"));
//! # Ok(()) }
//! ```
use std::{net::SocketAddr, time::Duration};

use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::BodyExt;
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::{TokioExecutor, TokioIo},
};
use tokio::net::TcpStream;

use crate::{
    server::{RunningServer, Server, ServerConfig},
    Application, Error, Result,
};

/// How long a helper request may take before it fails the test.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// An application served on 127.0.0.1 with a free port, until dropped.
/// See the [module docs](crate::testing).
#[derive(Debug)]
pub struct TestApplication {
    running: Option<RunningServer>,
    addr: SocketAddr,
}

/// A response read whole by a [`TestApplication`] helper; read it with methods, as an
/// `http::Response`.
#[derive(Debug, Clone)]
pub struct TestResponse {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl TestResponse {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTTP version it came over.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The whole body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The whole body, owned.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<String> {
        String::from_utf8(self.body.to_vec())
            .map_err(|e| Error::Other(format!("response body is not UTF-8: {e}")))
    }

    /// A header's value as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApplication {
    /// Starts `app` on 127.0.0.1:0 with the real engine (10 s grace period).
    pub async fn start<S: Clone + Send + Sync + 'static>(app: Application<S>) -> Result<Self> {
        Self::start_with(app, ServerConfig::local(0)).await
    }

    /// Starts `app` with `config` (its host and port are used as given; port 0 picks one).
    pub async fn start_with<S: Clone + Send + Sync + 'static>(
        app: Application<S>,
        config: ServerConfig,
    ) -> Result<Self> {
        let running = Server::new(app, config).start().await?;
        let addr = running.local_addr();
        Ok(Self {
            running: Some(running),
            addr,
        })
    }

    /// The address the application listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A raw TCP connection to the application.
    pub async fn connect(&self) -> Result<TcpStream> {
        TcpStream::connect(self.addr)
            .await
            .map_err(|e| Error::io("connect to test application", e))
    }

    /// A pooled HTTP/1.1 client (hyper-util's legacy client); give it absolute URLs
    /// ([`url`](Self::url)).
    pub fn client(&self) -> Client<HttpConnector, Body> {
        Client::builder(TokioExecutor::new()).build_http()
    }

    /// GETs `path` over a fresh HTTP/1.1 connection and returns the body as text, whatever the
    /// status.
    pub async fn get_text(&self, path: &str) -> Result<String> {
        self.get(path).await?.text()
    }

    /// GETs `path` over a fresh HTTP/1.1 connection.
    pub async fn get(&self, path: &str) -> Result<TestResponse> {
        self.request(Method::GET, path).send().await
    }

    /// A request to build (headers, body) before sending it: Ktor's
    /// `client.get(path) { header(..) }`.
    /// ```
    /// # use oxtor_runtime::{testing::TestApplication, Application};
    /// # use axum::{routing::get, Router};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
    /// # let mut app = Application::new(());
    /// # app.routing(Router::new().route("/", get(|h: http::HeaderMap| async move {
    /// #     format!("{:?}", h.get("accept-encoding"))
    /// # })))?;
    /// # let server = TestApplication::start(app).await?;
    /// let res = server
    ///     .request(http::Method::GET, "/")
    ///     .header("accept-encoding", "zstd")
    ///     .send()
    ///     .await?;
    /// assert_eq!(res.text()?, r#"Some("zstd")"#);
    /// # Ok(()) }
    /// ```
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            req: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    /// Sends `req` (a path-only URI is fine) over a fresh HTTP/1.1 connection and reads the whole
    /// response. A `Host` header is added if missing.
    pub async fn send(&self, mut req: Request<Body>) -> Result<TestResponse> {
        self.add_host(&mut req);
        let stream = self.connect().await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(client_error)?;
        tokio::spawn(conn);
        timed(async move {
            let res = sender.send_request(req).await.map_err(client_error)?;
            read_whole(res).await
        })
        .await
    }

    /// Sends `req` over a fresh HTTP/2 connection with prior knowledge (h2c) and reads the whole
    /// response.
    pub async fn send_h2c(&self, mut req: Request<Body>) -> Result<TestResponse> {
        if req.uri().scheme().is_none() {
            let uri = format!("http://{}{}", self.addr, req.uri());
            *req.uri_mut() = uri
                .parse()
                .map_err(|e| Error::Other(format!("bad test URI {uri}: {e}")))?;
        }
        let stream = self.connect().await?;
        let (mut sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .map_err(client_error)?;
        tokio::spawn(conn);
        timed(async move {
            let res = sender.send_request(req).await.map_err(client_error)?;
            read_whole(res).await
        })
        .await
    }

    /// Shuts the application down gracefully and waits for it.
    pub async fn shutdown(mut self) -> Result<()> {
        match self.running.take() {
            Some(r) => r.shutdown().await,
            None => Ok(()),
        }
    }

    fn add_host(&self, req: &mut Request<Body>) {
        if !req.headers().contains_key(http::header::HOST) {
            if let Ok(host) = http::HeaderValue::from_str(&self.addr.to_string()) {
                req.headers_mut().insert(http::header::HOST, host);
            }
        }
    }
}

/// A request under construction, from [`TestApplication::request`]. An invalid header name or
/// value is reported by [`send`](Self::send).
#[derive(Debug)]
#[must_use = "a request does nothing until sent"]
pub struct TestRequest<'a> {
    app: &'a TestApplication,
    req: http::request::Builder,
    body: Body,
}

impl TestRequest<'_> {
    /// Adds a header (appended to any of the same name).
    pub fn header<K, V>(mut self, name: K, value: V) -> Self
    where
        K: TryInto<http::HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<http::HeaderValue>,
        V::Error: Into<http::Error>,
    {
        self.req = self.req.header(name, value);
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Body>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request over a fresh HTTP/1.1 connection ([`TestApplication::send`]).
    pub async fn send(self) -> Result<TestResponse> {
        let app = self.app;
        app.send(self.build()?).await
    }

    /// Sends the request over a fresh h2c connection ([`TestApplication::send_h2c`]).
    pub async fn send_h2c(self) -> Result<TestResponse> {
        let app = self.app;
        app.send_h2c(self.build()?).await
    }

    fn build(self) -> Result<Request<Body>> {
        self.req
            .body(self.body)
            .map_err(|e| Error::Other(format!("invalid test request: {e}")))
    }
}

impl Drop for TestApplication {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }
}

fn client_error(e: hyper::Error) -> Error {
    Error::Other(format!("test request failed: {e}"))
}

async fn timed<T>(fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(REQUEST_TIMEOUT, fut)
        .await
        .map_err(|_| Error::Other(format!("test request took over {REQUEST_TIMEOUT:?}")))?
}

async fn read_whole(res: http::Response<hyper::body::Incoming>) -> Result<TestResponse> {
    let (parts, body) = res.into_parts();
    let body = body.collect().await.map_err(client_error)?.to_bytes();
    Ok(TestResponse {
        status: parts.status,
        version: parts.version,
        headers: parts.headers,
        body,
    })
}
