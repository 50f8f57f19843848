//! Benchmark floor (hyper side of `bench/engine.sh`): the same handlers as `bench_oxtor`
//! (`GET /hello`, `GET /json`, `GET /user/{id}`, `GET /books.json`) served by hyper 1 alone,
//! on the connection builder oxtor's engine and `axum::serve` use (hyper-util's `auto`, HTTP/1.1
//! and h2c, with flattened HTTP/1.1 writes as oxtor's engine sets them), on 127.0.0.1:PORT.
//!
//! `bench_hyper PORT [service|router|handler]`: PORT defaults to 8084.
//! - `service` (the default): a hand-written `service_fn` that matches the path itself and
//!   answers with `Full<Bytes>`: no router, no request extensions, no boxed future. What is left
//!   is hyper and tokio, the floor under every hyper-based server.
//! - `router`: the same connections serving the hand-written axum `Router` of `bench_axum`
//!   (`oxtor_bench::axum_app`)
//!   through `TowerToHyperService`: hyper plus axum's per-request routing, without
//!   `axum::serve` and without oxtor's engine.
//! - `handler`: the paths matched by hand as in `service`, each calling its axum handler (the
//!   same `async fn`s as `router`) through axum's `Handler::call`: axum's extraction and
//!   response conversion (one boxed future per call) without its routing. `/user/{id}` still
//!   goes through the `Router`: the URL parameters axum's `Path` reads are a type only axum's
//!   routing makes.
//!
//! With `bench_oxtor` (hyper + axum's `Router` + oxtor's engine) and `bench_actix`, the
//! differences between these contestants say where a request's time goes. The `/user/{id}`
//! handler of `service` takes the segment as sent (no percent-decoding): the bench sends
//! `/user/42`.
use std::convert::Infallible;

use axum::Router;
use bytes::Bytes;
use http::{header::CONTENT_TYPE, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use oxtor_bench::{
    axum_app::{books, hello, json, router},
    Message,
};

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A response with `body` and, if given, its `Content-Type`.
fn respond(
    status: StatusCode,
    content_type: Option<HeaderValue>,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    if let Some(content_type) = content_type {
        res.headers_mut().insert(CONTENT_TYPE, content_type);
    }
    res
}

/// A JSON response of `body`, or a 500 with the error.
fn json_or_500(body: serde_json::Result<Vec<u8>>) -> Response<Full<Bytes>> {
    match body {
        Ok(body) => respond(StatusCode::OK, Some(JSON), body.into()),
        Err(e) => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(TEXT),
            e.to_string().into(),
        ),
    }
}

/// The `service` mode: routing by hand, as a `match` on the path.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() != Method::GET {
        return Ok(respond(StatusCode::METHOD_NOT_ALLOWED, None, Bytes::new()));
    }
    let res = match req.uri().path() {
        "/hello" => respond(
            StatusCode::OK,
            Some(TEXT),
            Bytes::from_static(b"Hello, world!"),
        ),
        "/json" => json_or_500(serde_json::to_vec(&Message {
            message: "Hello, world!",
            id: 42,
        })),
        "/books.json" => json_or_500(oxtor_bench::books_json()),
        path => match path.strip_prefix("/user/") {
            Some(id) if !id.is_empty() && !id.contains('/') => {
                respond(StatusCode::OK, Some(TEXT), format!("Hello, {id}").into())
            }
            _ => respond(StatusCode::NOT_FOUND, None, Bytes::new()),
        },
    };
    Ok(res)
}

/// The `handler` mode: the static paths call their handler through `Handler::call`, anything
/// else goes to `router`.
async fn call_handler(
    router: Router,
    req: Request<Incoming>,
) -> Result<axum::response::Response, Infallible> {
    use axum::handler::Handler;
    use oxtor::tower::ServiceExt;
    let req = req.map(axum::body::Body::new);
    if req.method() == Method::GET {
        match req.uri().path() {
            "/hello" => return Ok(Handler::<_, ()>::call(hello, req, ()).await),
            "/json" => return Ok(Handler::<_, ()>::call(json, req, ()).await),
            "/books.json" => return Ok(Handler::<_, ()>::call(books, req, ()).await),
            _ => {}
        }
    }
    router.oneshot(req).await
}

/// How the connections are served.
#[derive(Clone)]
enum Mode {
    Service,
    Router(Router),
    Handler(Router),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8084);
    let mode = match args.next().as_deref() {
        None | Some("service") => Mode::Service,
        Some("router") => Mode::Router(router()),
        Some("handler") => Mode::Handler(router()),
        Some(other) => {
            eprintln!(
                "error: unknown argument `{other}` (expected `service`, `router` or `handler`)"
            );
            return std::process::ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot bind 127.0.0.1:{port}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Ends on SIGINT, as the other servers do: bench scripts start servers as background jobs
    // of a non-interactive shell, which ignore SIGINT unless they handle it themselves.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut interrupted => return std::process::ExitCode::SUCCESS,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // (EMFILE and the like: wait a little, as axum::serve does.)
                eprintln!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // TCP_NODELAY, as oxtor's engine and the axum side set it.
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(stream);
        let mode = mode.clone();
        tokio::spawn(async move {
            let mut builder = auto::Builder::new(TokioExecutor::new());
            // Flattened writes, as oxtor's engine sends (hyper's default picks per connection).
            builder.http1().writev(false);
            let served = match mode {
                Mode::Service => {
                    builder
                        .serve_connection(io, hyper::service::service_fn(handle))
                        .await
                }
                Mode::Router(router) => {
                    builder
                        .serve_connection(io, TowerToHyperService::new(router))
                        .await
                }
                Mode::Handler(router) => {
                    let service =
                        hyper::service::service_fn(move |req| call_handler(router.clone(), req));
                    builder.serve_connection(io, service).await
                }
            };
            if let Err(e) = served {
                tracing::debug!("connection: {e}");
            }
        });
    }
}
