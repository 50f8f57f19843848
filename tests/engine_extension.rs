//! A plugin written outside `oxtor-runtime`, with public API only, that has the power of the
//! built-in `HttpRequestLifecycle`: it registers a connection hook and the engine's call-close
//! policy ([`EngineHooks::cancel_calls_on_close`]), and its own extractor reads the call's
//! [`CallState`]. Served by the real engine, with real client disconnects.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, StatusCode},
    routing::get,
    Router,
};
use oxtor::{
    install,
    server::{CallMetrics, CallState, ConnectionInfo},
    testing::TestApplication,
    Application, ConfigError, Plugin,
};
use tokio::{io::AsyncWriteExt, sync::mpsc, time::timeout};

/// The plugin: counts connections, and tells the engine what to do with calls whose client left.
struct Watchdog {
    config: WatchdogConfig,
}

/// `install!(Watchdog { cancel_on_close = .., metrics = .., connections = .. })`.
#[derive(Default)]
struct WatchdogConfig {
    cancel_on_close: bool,
    metrics: CallMetrics,
    connections: Arc<AtomicUsize>,
}

impl WatchdogConfig {
    fn cancel_on_close(&mut self, cancel: bool) -> &mut Self {
        self.cancel_on_close = cancel;
        self
    }
    fn metrics(&mut self, metrics: CallMetrics) -> &mut Self {
        self.metrics = metrics;
        self
    }
    fn connections(&mut self, counter: Arc<AtomicUsize>) -> &mut Self {
        self.connections = counter;
        self
    }
}

impl Watchdog {
    fn configure(f: impl FnOnce(&mut WatchdogConfig)) -> Result<Self, ConfigError> {
        let mut config = WatchdogConfig::default();
        f(&mut config);
        Ok(Self { config })
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for Watchdog {
    const NAME: &'static str = "Watchdog";

    fn install(self, app: &mut Application<S>) -> oxtor::Result<()> {
        let WatchdogConfig {
            cancel_on_close,
            metrics,
            connections,
        } = self.config;
        app.engine_hooks()
            .on_connection(move |_: &ConnectionInfo| {
                connections.fetch_add(1, Ordering::SeqCst);
            })
            .set_call_metrics(metrics)
            .cancel_calls_on_close(cancel_on_close);
        Ok(())
    }
}

/// The plugin's extractor: the call's state, whose token the engine cancels with the call.
struct Call(Arc<CallState>);

impl<S: Send + Sync> FromRequestParts<S> for Call {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match CallState::of(&parts.extensions) {
            Some(call) => Ok(Self(call.clone())),
            None => Err((StatusCode::INTERNAL_SERVER_ERROR, "install Watchdog")),
        }
    }
}

struct Fixture {
    server: TestApplication,
    events: mpsc::UnboundedReceiver<&'static str>,
    metrics: CallMetrics,
    connections: Arc<AtomicUsize>,
}

/// An application with the plugin (policy `cancel_on_close`) and `GET /work`, which reports
/// `started`, then `cleanup` if cancelled or `done` after 300 ms.
async fn serve(cancel_on_close: bool) -> Fixture {
    let (tx, events) = mpsc::unbounded_channel();
    let metrics = CallMetrics::new();
    let connections = Arc::new(AtomicUsize::new(0));
    let mut app = Application::new(());
    app.install(install!(Watchdog {
        cancel_on_close = cancel_on_close,
        metrics = metrics.clone(),
        connections = connections.clone(),
    }))
    .expect("plugin installs");
    let work = move |Call(call): Call| {
        let tx = tx.clone();
        async move {
            let token = call.token();
            let _ = tx.send("started");
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(300)) => { let _ = tx.send("done"); }
                _ = token.cancelled() => { let _ = tx.send("cleanup"); }
            }
        }
    };
    app.routing(Router::new().route("/work", get(work)))
        .expect("routes");
    let server = TestApplication::start(app).await.expect("server starts");
    Fixture {
        server,
        events,
        metrics,
        connections,
    }
}

/// Sends `GET /work`, waits for the handler to start, then closes the connection.
async fn leave_during_the_call(f: &mut Fixture) {
    let mut s = f.server.connect().await.expect("connects");
    s.write_all(b"GET /work HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request sent");
    assert_eq!(next(f).await, "started");
    drop(s);
}

async fn next(f: &mut Fixture) -> &'static str {
    timeout(Duration::from_secs(10), f.events.recv())
        .await
        .expect("an event within 10 s")
        .expect("the handler is alive")
}

#[tokio::test]
async fn outside_plugin_cancels_a_call_whose_client_left() {
    let mut f = serve(true).await;
    leave_during_the_call(&mut f).await;
    assert_eq!(next(&mut f).await, "cleanup");
    assert_eq!(f.metrics.cancelled_calls(), 1);
    assert_eq!(f.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn outside_plugin_keeps_a_call_whose_client_left_when_its_policy_says_so() {
    let mut f = serve(false).await;
    leave_during_the_call(&mut f).await;
    assert_eq!(next(&mut f).await, "done");
    // The watch counts the call once its future completes, right after the handler's last send.
    for _ in 0..100 {
        if f.metrics.calls_finished_without_client() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(f.metrics.calls_finished_without_client(), 1);
    assert_eq!(f.metrics.cancelled_calls(), 0);
}
