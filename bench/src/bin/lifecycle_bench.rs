//! The server side of `bench/lifecycle.sh`.
//!
//! - `lifecycle_bench serve PORT_ON PORT_OFF PORT_AXUM`: `GET /hello` served three ways on a
//!   one-thread runtime: oxtor with `HttpRequestLifecycle { cancel_call_on_close = true }`,
//!   oxtor without the plugin, and plain axum (`axum::serve`); an optional fourth port serves
//!   oxtor without the plugin but with a 30 s header read timeout (to price hyper's timer).
//! - `lifecycle_bench cancel-latency N`: N calls to a cancelling route, each disconnected once
//!   its handler runs; prints the p50/p99/max time from the client's close to the handler's
//!   clean-up.
use std::time::{Duration, Instant};

use axum::{extract::State, routing::get, Router};
use oxtor::{
    plugins::lifecycle::{Cancellation, HttpRequestLifecycle},
    server::{Server, ServerConfig},
    Application,
};
use tokio::{io::AsyncWriteExt, net::TcpStream, sync::mpsc};

async fn hello() -> &'static str {
    "Hello, world!"
}

fn oxtor_app(plugin: bool) -> oxtor::Result<Application> {
    let mut app = Application::new(());
    if plugin {
        app.install(HttpRequestLifecycle::configure(|cfg| {
            cfg.cancel_call_on_close(true);
        }))?;
    }
    app.routing(Router::new().route("/hello", get(hello)))?;
    Ok(app)
}

async fn serve(ports: &[u16]) -> oxtor::Result<()> {
    let [on, off, plain, extra @ ..] = ports else {
        return Err(oxtor::Error::Other(
            "usage: serve PORT_ON PORT_OFF PORT_AXUM".into(),
        ));
    };
    let a = Server::new(oxtor_app(true)?, ServerConfig::local(*on))
        .start()
        .await?;
    let b = Server::new(oxtor_app(false)?, ServerConfig::local(*off))
        .start()
        .await?;
    // Diagnostics: with a header read timeout (and so hyper's per-request timer).
    let mut others = Vec::new();
    if let Some(p) = extra.first() {
        others.push(
            Server::new(oxtor_app(false)?, ServerConfig::local(*p))
                .header_read_timeout(Some(Duration::from_secs(30)))
                .start()
                .await?,
        );
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", *plain))
        .await
        .map_err(|e| oxtor::Error::io("bind axum", e))?;
    let axum_app = Router::new().route("/hello", get(hello));
    tokio::spawn(async move { axum::serve(listener, axum_app).await });
    println!("ready");
    oxtor::server::shutdown_signal().await;
    a.abort();
    b.abort();
    Ok(())
}

type Tx = mpsc::UnboundedSender<(&'static str, Instant)>;

async fn probe(State(tx): State<Tx>, cancel: Cancellation) -> &'static str {
    let _ = tx.send(("started", Instant::now()));
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(30)) => "done",
        _ = cancel.cancelled() => {
            let _ = tx.send(("cleanup", Instant::now()));
            ""
        }
    }
}

async fn next(
    rx: &mut mpsc::UnboundedReceiver<(&'static str, Instant)>,
) -> Option<(&'static str, Instant)> {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .ok()
        .flatten()
}

async fn cancel_latency(n: usize) -> oxtor::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut app = Application::new(tx);
    app.install(HttpRequestLifecycle::configure(|cfg| {
        cfg.cancel_call_on_close(true);
    }))?;
    app.routing(Router::new().route("/probe", get(probe)))?;
    let server = Server::new(app, ServerConfig::local(0)).start().await?;
    let addr = server.local_addr();
    let mut latencies = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = TcpStream::connect(addr)
            .await
            .map_err(|e| oxtor::Error::io("connect", e))?;
        s.write_all(b"GET /probe HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .map_err(|e| oxtor::Error::io("write", e))?;
        if next(&mut rx).await.map(|e| e.0) != Some("started") {
            return Err(oxtor::Error::Other("handler did not start".into()));
        }
        let closed = Instant::now();
        drop(s);
        match next(&mut rx).await {
            Some(("cleanup", at)) => latencies.push(at.saturating_duration_since(closed)),
            _ => return Err(oxtor::Error::Other("no clean-up within 5 s".into())),
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    println!(
        "cancel latency over {n} calls: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        pct(0.50).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3,
        pct(1.0).as_secs_f64() * 1e3,
    );
    server.shutdown().await
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let res = rt.block_on(async {
        match args.first().map(String::as_str) {
            Some("serve") => {
                let ports: Vec<u16> = args[1..].iter().filter_map(|p| p.parse().ok()).collect();
                serve(&ports).await
            }
            Some("cancel-latency") => {
                let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1_000);
                cancel_latency(n).await
            }
            _ => Err(oxtor::Error::Other(
                "usage: lifecycle_bench serve PORT_ON PORT_OFF PORT_AXUM | cancel-latency N".into(),
            )),
        }
    });
    match res {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
