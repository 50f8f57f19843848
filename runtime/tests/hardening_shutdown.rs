//! Graceful shutdown and the tasks calls start: the shutdown waits for `CallScope::spawn` tasks
//! within the grace period, and drops and counts those still running when it is over.
use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{extract::Extension, routing::get, Router};
use oxtor_runtime::{
    plugins::lifecycle::CallScope,
    server::{Server, ServerConfig},
    Application,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Sets its flag when dropped: tells whether a task ended (finished or was dropped).
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct Flags {
    finished: Arc<AtomicBool>,
    dropped: Arc<AtomicBool>,
}

/// `/start` spawns a task in the call's scope that works for `work` and answers at once.
async fn start_server(
    work: Duration,
    grace: Duration,
) -> (oxtor_runtime::server::RunningServer, Flags) {
    let flags = Flags {
        finished: Arc::new(AtomicBool::new(false)),
        dropped: Arc::new(AtomicBool::new(false)),
    };
    let start = move |scope: CallScope, Extension(flags): Extension<Flags>| async move {
        scope.spawn(async move {
            let _guard = SetOnDrop(flags.dropped.clone());
            tokio::time::sleep(work).await;
            flags.finished.store(true, Ordering::SeqCst);
        });
        "started"
    };
    let mut app = Application::new(());
    app.routing(
        Router::new()
            .route("/start", get(start))
            .layer(Extension(flags.clone())),
    )
    .expect("routes");
    let running = Server::new(
        app,
        ServerConfig::local(0).with_shutdown_grace_period(grace),
    )
    .start()
    .await
    .expect("server starts");
    let mut s = TcpStream::connect(running.local_addr())
        .await
        .expect("connects");
    s.write_all(b"GET /start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("writes");
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.expect("reads");
    assert!(answer.ends_with("started"), "{answer}");
    (running, flags)
}

#[tokio::test]
async fn graceful_shutdown_waits_for_call_scope_tasks() {
    let (running, flags) = start_server(Duration::from_millis(500), Duration::from_secs(10)).await;
    assert!(!flags.finished.load(Ordering::SeqCst));
    let report = running.shutdown_with_report().await.expect("shuts down");
    assert!(
        flags.finished.load(Ordering::SeqCst),
        "shutdown did not wait"
    );
    assert!(report.in_time);
    assert_eq!(report.abandoned_tasks, 0);
}

#[tokio::test]
async fn grace_period_over_drops_call_scope_tasks_and_counts_them() {
    let (running, flags) = start_server(Duration::from_secs(30), Duration::from_millis(200)).await;
    let report = running.shutdown_with_report().await.expect("shuts down");
    assert!(!report.in_time);
    assert_eq!(report.abandoned_tasks, 1);
    assert!(flags.dropped.load(Ordering::SeqCst), "task still running");
    assert!(!flags.finished.load(Ordering::SeqCst));
    assert!(
        report.elapsed < Duration::from_secs(5),
        "{:?}",
        report.elapsed
    );
}
