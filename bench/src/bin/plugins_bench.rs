//! The server side of `bench/plugins.sh`.
//!
//! `plugins_bench serve BASE_PORT` serves `GET /hello` once per line below, on consecutive
//! ports from `BASE_PORT`, and prints `ready` then one `name port` line per server. Each
//! plugin is served twice through the same `axum::serve` loop — installed through oxtor
//! (`Application::into_service`, the layer once around the router), and as the tower-http layer
//! a hand-written axum app would use (`Router::layer`, around each route; or bare axum where
//! tower-http has none) — so the pair differs only by the layer. The `stack` pair is every
//! plugin at once against every one of those tower-http layers at once (both on `axum::serve`);
//! the last pair is every plugin at once on oxtor's engine vs bare axum on `axum::serve`.
//!
//! `plugins_bench app PORT [bare|three|all]` serves one application on oxtor's engine alone (for
//! `bench/plugin_cost.sh`): `bare` no plugin, `three` the showcase's `Compression` plus
//! `DefaultHeaders` and `StatusPages` (three app-wide layers), `all` every plugin above;
//! `tower-http` is `all`'s baseline, every tower-http layer of the pairs on `axum::serve`.
use std::{
    convert::Infallible,
    net::SocketAddr,
    task::{Context, Poll},
    time::{Duration, SystemTime},
};

use axum::{
    extract::ConnectInfo, middleware::AddExtension, response::Response, routing::get,
    serve::IncomingStream, Extension, Router,
};
use http::{header, HeaderValue, StatusCode};
use oxtor::{
    app::AppService,
    plugins::{
        auto_head::AutoHeadResponse, body_limit::RequestBodyLimit, call_id::CallId,
        call_logging::CallLogging, compression::Compression, cors::CORS,
        default_headers::DefaultHeaders, forwarded_headers::XForwardedHeaders, hsts::HSTS,
        status_pages::StatusPages, timeout::RequestTimeout,
    },
    server::{Server, ServerConfig},
    Application, Plugin,
};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};

async fn hello() -> &'static str {
    "Hello, world!"
}

fn bare() -> Router {
    Router::new().route("/hello", get(hello))
}

fn oxtor_with(plugin: impl Plugin<()>) -> oxtor::Result<AppService> {
    let mut app = Application::new(());
    app.install(plugin)?;
    app.routing(bare())?;
    Ok(app.into_service())
}

fn all_plugins() -> oxtor::Result<Application> {
    let mut app = Application::new(());
    app.install(CallLogging::configure(|cfg| {
        cfg.level(tracing::Level::DEBUG);
    }))?;
    app.install(CallId::configure(|cfg| {
        cfg.header("X-Request-Id");
        cfg.generate_random(36, oxtor::plugins::call_id::CALL_ID_DEFAULT_DICTIONARY);
    }))?;
    app.install(DefaultHeaders::default())?;
    app.install(StatusPages::default())?;
    app.install(XForwardedHeaders::default())?;
    // As in the `hsts` pair: the header on every response (the default sends it only over
    // https), so that the stack does the work tower-http's does.
    app.install(HSTS::configure(|cfg| {
        cfg.filter(|_| true);
    })?)?;
    app.install(CORS::configure(|cfg| {
        cfg.any_host();
    }))?;
    app.install(RequestTimeout::configure(|_| {})?)?;
    app.install(RequestBodyLimit::configure(|cfg| {
        cfg.limit(1 << 20);
    }))?;
    app.install(AutoHeadResponse)?;
    app.routing(bare())?;
    Ok(app)
}

/// Three app-wide layers: the showcase's `Compression`, `DefaultHeaders` and `StatusPages`.
fn three_plugins() -> oxtor::Result<Application> {
    let mut app = Application::new(());
    app.install(Compression::configure(|cfg| {
        cfg.zstd(|z| {
            z.level(3);
        });
        cfg.brotli(|b| {
            b.priority(0.95);
        });
        cfg.gzip(|g| {
            g.priority(0.9);
        });
        cfg.deflate(|d| {
            d.priority(0.8);
        });
    }))?;
    app.install(DefaultHeaders::default())?;
    app.install(StatusPages::default())?;
    app.routing(bare())?;
    Ok(app)
}

/// `plugins_bench app PORT VARIANT`: one application on oxtor's engine, until killed.
async fn serve_app(port: u16, variant: Option<&str>) -> oxtor::Result<()> {
    let app = match variant {
        None | Some("bare") => {
            let mut app = Application::new(());
            app.routing(bare())?;
            app
        }
        Some("three") => three_plugins()?,
        Some("all") => all_plugins()?,
        Some("tower-http") => {
            // The baseline of `all`: every tower-http layer, on `axum::serve`.
            let listener = TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|e| oxtor::Error::io("bind the tower-http stack", e))?;
            return axum::serve(listener, tower_http_stack())
                .await
                .map_err(|e| oxtor::Error::io("serve the tower-http stack", e));
        }
        Some(other) => {
            return Err(oxtor::Error::Other(format!(
                "unknown variant `{other}` (expected `bare`, `three`, `all` or `tower-http`)"
            )))
        }
    };
    Server::new(app, ServerConfig::local(port)).run().await
}

/// Adds a pair's tower-http layers to a router.
type AddLayers = fn(Router) -> Router;

/// The tower-http side of each pair (the layer a hand-written axum app would add), in the
/// order the `stack` pair applies them, innermost first.
const TOWER_HTTP: [(&str, AddLayers); 8] = [
    ("call-logging", |r| r.layer(TraceLayer::new_for_http())),
    ("call-id", |r| {
        r.layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    }),
    ("default-headers", |r| {
        r.layer(SetResponseHeaderLayer::if_not_present(
            header::DATE,
            http_date,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::SERVER,
            HeaderValue::from_static("axum"),
        ))
    }),
    ("status-pages", |r| r.layer(CatchPanicLayer::new())),
    ("hsts", |r| {
        r.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    }),
    ("cors", |r| r.layer(CorsLayer::new().allow_origin(Any))),
    ("request-timeout", |r| {
        r.layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_secs(30),
        ))
    }),
    ("body-limit", |r| {
        r.layer(RequestBodyLimitLayer::new(1 << 20))
    }),
];

/// `bare()` with the tower-http side of the pair `name`.
fn tower_http(name: &str) -> AppService {
    let (_, layer) = TOWER_HTTP
        .iter()
        .find(|(pair, _)| *pair == name)
        .unwrap_or_else(|| unreachable!("no tower-http side for `{name}`"));
    AppService::from(layer(bare()))
}

/// The tower-http side of the `stack` pair: a hand-written axum app with every layer of the
/// pairs above, configured as there (nothing for `XForwardedHeaders` and `AutoHeadResponse`,
/// which axum has no layer for).
fn tower_http_stack() -> Router {
    TOWER_HTTP.iter().fold(bare(), |r, (_, layer)| layer(r))
}

fn http_date(_: &Response) -> Option<HeaderValue> {
    HeaderValue::try_from(httpdate::fmt_http_date(SystemTime::now())).ok()
}

fn servers() -> oxtor::Result<Vec<(&'static str, AppService)>> {
    Ok(vec![
        ("status-pages/oxtor", oxtor_with(StatusPages::default())?),
        ("status-pages/tower-http", tower_http("status-pages")),
        (
            "call-logging/oxtor",
            oxtor_with(CallLogging::configure(|cfg| {
                cfg.level(tracing::Level::DEBUG);
            }))?,
        ),
        ("call-logging/tower-http", tower_http("call-logging")),
        (
            "call-id/oxtor",
            oxtor_with(CallId::configure(|cfg| {
                cfg.header("X-Request-Id");
                cfg.generate_random(36, oxtor::plugins::call_id::CALL_ID_DEFAULT_DICTIONARY);
            }))?,
        ),
        ("call-id/tower-http", tower_http("call-id")),
        (
            "cors/oxtor",
            oxtor_with(CORS::configure(|cfg| {
                cfg.any_host();
            }))?,
        ),
        ("cors/tower-http", tower_http("cors")),
        (
            "default-headers/oxtor",
            oxtor_with(DefaultHeaders::default())?,
        ),
        ("default-headers/tower-http", tower_http("default-headers")),
        (
            "hsts/oxtor",
            oxtor_with(HSTS::configure(|cfg| {
                cfg.filter(|_| true);
            }))?,
        ),
        ("hsts/tower-http", tower_http("hsts")),
        (
            "forwarded-headers/oxtor",
            oxtor_with(XForwardedHeaders::default())?,
        ),
        ("forwarded-headers/axum", AppService::from(bare())),
        (
            "request-timeout/oxtor",
            oxtor_with(RequestTimeout::configure(|_| {})?)?,
        ),
        ("request-timeout/tower-http", tower_http("request-timeout")),
        (
            "body-limit/oxtor",
            oxtor_with(RequestBodyLimit::configure(|cfg| {
                cfg.limit(1 << 20);
            }))?,
        ),
        ("body-limit/tower-http", tower_http("body-limit")),
        ("auto-head/oxtor", oxtor_with(AutoHeadResponse)?),
        ("auto-head/axum", AppService::from(bare())),
        ("stack/oxtor", all_plugins()?.into_service()),
        ("stack/tower-http", AppService::from(tower_http_stack())),
    ])
}

/// Serves each connection `service` with the client's address as `ConnectInfo`, as oxtor's
/// engine (and axum's `into_make_service_with_connect_info`) gives it: what `XForwardedHeaders`
/// checks its trusted proxies against, and `RequestOrigin` reports. Both sides of every pair
/// get it.
#[derive(Clone)]
struct WithPeer(AppService);

impl<'a> tower::Service<IncomingStream<'a, TcpListener>> for WithPeer {
    type Response = AddExtension<AppService, ConnectInfo<SocketAddr>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, stream: IncomingStream<'a, TcpListener>) -> Self::Future {
        let peer = ConnectInfo(*stream.remote_addr());
        std::future::ready(Ok(Extension(peer).layer(self.0.clone())))
    }
}

async fn serve(base: u16) -> oxtor::Result<()> {
    let mut lines = Vec::new();
    let mut port = base;
    for (name, router) in servers()? {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| oxtor::Error::io(format!("bind {name}"), e))?;
        tokio::spawn(async move { axum::serve(listener, WithPeer(router)).await });
        lines.push(format!("{name} {port}"));
        port += 1;
    }
    let _all = Server::new(all_plugins()?, ServerConfig::local(port))
        .start()
        .await?;
    lines.push(format!("all/oxtor {port}"));
    port += 1;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| oxtor::Error::io("bind bare axum", e))?;
    tokio::spawn(async move { axum::serve(listener, bare()).await });
    lines.push(format!("all/axum {port}"));
    println!("ready");
    for l in lines {
        println!("{l}");
    }
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    // Both logging layers log at DEBUG into a sink: the cost of formatting is measured, not
    // of writing to a terminal.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(std::io::sink)
        .init();
    let mut args = std::env::args().skip(1);
    let result = match (
        args.next().as_deref(),
        args.next().and_then(|p| p.parse().ok()),
    ) {
        (Some("serve"), Some(base)) => serve(base).await,
        (Some("app"), Some(port)) => serve_app(port, args.next().as_deref()).await,
        _ => Err(oxtor::Error::Other(
            "usage: plugins_bench serve BASE_PORT | plugins_bench app PORT [bare|three|all|tower-http]".into(),
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
