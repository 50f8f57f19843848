//! `CallLogging` over real sockets: Ktor's CallLoggingTest cases, read from a `tracing`
//! subscriber that writes into a buffer.
#![cfg(feature = "call-logging")]

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{routing::get, Router};
use oxtor_runtime::{plugins::call_logging::CallLogging, testing::TestApplication, Application};
use tracing::Level;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    fn lines(&self) -> Vec<String> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// A subscriber for this test's thread (tests run on a current-thread runtime, so the server
/// runs on this thread too).
fn capture() -> (Buffer, tracing::subscriber::DefaultGuard) {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_max_level(Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    (buffer, tracing::subscriber::set_default(subscriber))
}

async fn serve(plugin: CallLogging, router: Router) -> TestApplication {
    let mut app = Application::new(());
    app.install(plugin).unwrap();
    app.routing(router).unwrap();
    TestApplication::start(app).await.unwrap()
}

fn logged(lines: &[String], level: &str, message: &str) -> bool {
    lines
        .iter()
        .any(|l| l.trim_start().starts_with(level) && l.contains(message))
}

/// Ktor `can log an unhandled get request`.
#[tokio::test]
async fn logs_an_unhandled_request() {
    let (buf, _guard) = capture();
    let server = serve(CallLogging::default(), Router::new()).await;
    server.get("/").await.unwrap();
    assert!(
        logged(&buf.lines(), "INFO", ": 404 Not Found: GET - / in "),
        "{:?}",
        buf.lines()
    );
}

/// Ktor `can log a successful get request`.
#[tokio::test]
async fn logs_a_successful_request() {
    let (buf, _guard) = capture();
    let router = Router::new().route("/", get(|| async { "ok" }));
    let server = serve(CallLogging::default(), router).await;
    server.get("/").await.unwrap();
    assert!(
        logged(&buf.lines(), "INFO", ": 200 OK: GET - / in "),
        "{:?}",
        buf.lines()
    );
}

/// Ktor `can customize message format`.
#[tokio::test]
async fn custom_format() {
    let (buf, _guard) = capture();
    let plugin = CallLogging::configure(|cfg| {
        cfg.format(|call| format!("{} -> {}, custom", call.uri(), call.status()));
    })
    .unwrap();
    let server = serve(
        plugin,
        Router::new().route("/uri-123", get(|| async { "" })),
    )
    .await;
    server.get("/uri-123").await.unwrap();
    assert!(
        logged(&buf.lines(), "INFO", "/uri-123 -> 200 OK, custom"),
        "{:?}",
        buf.lines()
    );
}

/// Ktor `logs request processing time`.
#[tokio::test]
async fn logs_processing_time() {
    let (buf, _guard) = capture();
    let router = Router::new().route(
        "/",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            "slow"
        }),
    );
    let server = serve(CallLogging::default(), router).await;
    server.get("/").await.unwrap();
    let lines = buf.lines();
    let line = lines
        .iter()
        .find(|l| l.contains("200 OK: GET - / in "))
        .expect("logged");
    let ms: u64 = line
        .split(" in ")
        .nth(1)
        .and_then(|rest| rest.split("ms").next())
        .and_then(|n| n.parse().ok())
        .expect("a latency in ms");
    assert!((100..2000).contains(&ms), "{line}");
}

/// Ktor `can filter calls to log`.
#[tokio::test]
async fn filter_skips_calls() {
    let (buf, _guard) = capture();
    let plugin = CallLogging::configure(|cfg| {
        cfg.filter(|call| !call.path().starts_with("/avoid"));
    })
    .unwrap();
    let server = serve(plugin, Router::new()).await;
    server.get("/").await.unwrap();
    server.get("/avoid").await.unwrap();
    let lines = buf.lines();
    assert!(
        logged(&lines, "INFO", "404 Not Found: GET - / in "),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("- /avoid in")),
        "{lines:?}"
    );
}

/// Ktor `can change log level`.
#[tokio::test]
async fn level_is_configurable() {
    let (buf, _guard) = capture();
    let plugin = CallLogging::configure(|cfg| {
        cfg.level(Level::DEBUG);
    })
    .unwrap();
    let server = serve(plugin, Router::new().route("/", get(|| async { "" }))).await;
    server.get("/").await.unwrap();
    assert!(
        logged(&buf.lines(), "DEBUG", "200 OK: GET - / in "),
        "{:?}",
        buf.lines()
    );
}

/// Ktor `can fill MDC before routing`: a handler's own event carries the MDC entries (the
/// `call` span), and so does the call's line.
#[tokio::test]
async fn mdc_reaches_handler_events_and_the_call_line() {
    let (buf, _guard) = capture();
    let plugin = CallLogging::configure(|cfg| {
        cfg.mdc("mdc-test-header", |req| {
            req.headers
                .get("x-test")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
        cfg.format(|call| {
            format!(
                "{} [{}]",
                call.path(),
                call.mdc("mdc-test-header").unwrap_or("-")
            )
        });
    })
    .unwrap();
    let router = Router::new().route(
        "/uri1",
        get(|| async {
            tracing::info!("test message");
            "ok"
        }),
    );
    let server = serve(plugin, router).await;
    let req = http::Request::get("/uri1")
        .header("x-test", "test-value")
        .body(axum::body::Body::empty())
        .unwrap();
    server.send(req).await.unwrap();
    let lines = buf.lines();
    let handler = lines
        .iter()
        .find(|l| l.contains("test message"))
        .expect("handler event");
    assert!(
        handler.contains("mdc-test-header=test-value") && handler.contains("path=/uri1"),
        "{handler}"
    );
    assert!(logged(&lines, "INFO", "/uri1 [test-value]"), "{lines:?}");
}

/// Ktor `mdc exception does not crash request`.
#[tokio::test]
async fn failing_mdc_provider_does_not_fail_the_call() {
    let (_buf, _guard) = capture();
    let plugin = CallLogging::configure(|cfg| {
        cfg.mdc("broken", |_req| panic!("provider bug"));
    })
    .unwrap();
    let server = serve(plugin, Router::new().route("/", get(|| async { "OK" }))).await;
    assert_eq!(server.get_text("/").await.unwrap(), "OK");
    assert_eq!(server.get_text("/").await.unwrap(), "OK");
}

/// A redirect's line names its target (Ktor's 302 format).
#[tokio::test]
async fn redirect_line_names_the_location() {
    let (buf, _guard) = capture();
    let router = Router::new().route(
        "/old",
        get(|| async { (http::StatusCode::FOUND, [("location", "/new")]) }),
    );
    let server = serve(CallLogging::default(), router).await;
    server.get("/old").await.unwrap();
    let lines = buf.lines();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("302 Found: GET - /old in ") && l.contains("ms -> /new")),
        "{lines:?}"
    );
}

/// Nothing is logged below the subscriber's level, and the call still runs.
#[tokio::test]
async fn disabled_level_logs_nothing() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::WARN)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = serve(
        CallLogging::default(),
        Router::new().route("/", get(|| async { "x" })),
    )
    .await;
    assert_eq!(server.get_text("/").await.unwrap(), "x");
    assert!(buffer.lines().is_empty(), "{:?}", buffer.lines());
}

/// Ktor `can fill MDC and survive context switch` (call id part): the id from `CallId` is in
/// the span, the line's fields and the MDC.
#[cfg(feature = "call-id")]
#[tokio::test]
async fn call_id_is_logged() {
    use oxtor_runtime::plugins::call_id::CallId;
    let (buf, _guard) = capture();
    let mut app = Application::new(());
    app.install(CallId::configure(|cfg| {
        cfg.generate(|_| Some("generated-call-id-0".to_owned()));
    }))
    .unwrap();
    app.install(CallLogging::configure(|cfg| {
        cfg.call_id_mdc("mdc-call-id");
    }))
    .unwrap();
    app.routing(Router::new().route(
        "/uri1",
        get(|| async {
            tracing::info!("test message");
            "ok"
        }),
    ))
    .unwrap();
    let server = TestApplication::start(app).await.unwrap();
    server.get("/uri1").await.unwrap();
    let lines = buf.lines();
    let handler = lines
        .iter()
        .find(|l| l.contains("test message"))
        .expect("handler event");
    assert!(handler.contains("call_id=generated-call-id-0"), "{handler}");
    assert!(
        handler.contains("mdc-call-id=generated-call-id-0"),
        "{handler}"
    );
    let line = lines
        .iter()
        .find(|l| l.contains("200 OK: GET - /uri1"))
        .expect("call line");
    assert!(line.contains("call_id=generated-call-id-0"), "{line}");
}
