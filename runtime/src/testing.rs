//! Testing: [`TestApplication`], the analogue of Ktor's `testApplication`. It serves an
//! [`Application`] with the real engine on `127.0.0.1:0` and shuts it down when dropped.
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
//! # Ok(()) }
//! ```
use std::net::SocketAddr;

use http_body_util::BodyExt;

use crate::{
    server::{RunningServer, Server, ServerConfig},
    Application, Error, Result,
};

/// An application served on 127.0.0.1 with a free port, until dropped.
#[derive(Debug)]
pub struct TestApplication {
    running: Option<RunningServer>,
    addr: SocketAddr,
}

impl TestApplication {
    /// Starts `app` on 127.0.0.1:0 with the real engine.
    pub async fn start<S: Clone + Send + Sync + 'static>(app: Application<S>) -> Result<Self> {
        let running = Server::new(app, ServerConfig::local(0)).start().await?;
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

    /// GETs `path` over a fresh HTTP/1.1 connection and returns the body as text.
    pub async fn get_text(&self, path: &str) -> Result<String> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| Error::io("connect to test application", e))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| Error::Other(e.to_string()))?;
        tokio::spawn(conn);
        let req = http::Request::get(path)
            .header(http::header::HOST, self.addr.to_string())
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .map_err(|e| Error::Other(e.to_string()))?;
        let res = sender
            .send_request(req)
            .await
            .map_err(|e| Error::Other(e.to_string()))?;
        let body = res
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Other(e.to_string()))?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|e| Error::Other(e.to_string()))
    }

    /// Shuts the application down gracefully and waits for it.
    pub async fn shutdown(mut self) -> Result<()> {
        match self.running.take() {
            Some(r) => r.shutdown().await,
            None => Ok(()),
        }
    }
}

impl Drop for TestApplication {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.abort();
        }
    }
}
