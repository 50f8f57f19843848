//! The HTTP client against a running showcase (`cargo run --example showcase` in another
//! terminal, then `cargo run --example client [-- http://127.0.0.1:8080]`).
//!
//! Shows: `DefaultRequest`, JSON, statements on the engine's dispatcher, connection caps,
//! `read_to` into a file, a duplex echo over h2c, and `execute_blocking` from a plain thread.
//! Routes the showcase does not serve yet are skipped with a message.
use std::time::{Duration, Instant};

use oxtor::client::{ClientError, Dispatcher, HttpClient, Json, RequestBody};
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, serde::Deserialize)]
struct Book {
    title: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8080/".to_owned());
    match run(&base).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e} (is the showcase running on {base}?)");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Prints a skip message for a route the showcase does not serve (yet).
fn skipped(route: &str, status: http::StatusCode) {
    println!("{route:<22} skipped: the showcase answered {status}");
}

async fn run(base: &str) -> Result<(), ClientError> {
    let default_base = base.to_owned();
    let client = HttpClient::configure(move |cfg| {
        cfg.engine(|e| {
            e.max_conn_total(64)
                .max_conn_per_route(8)
                .request_timeout(Duration::from_secs(10));
        });
        let base = default_base.clone();
        cfg.default_request(move |d| {
            d.url(&base);
            d.header("X-Client", "oxtor-example");
        });
    })?;

    // Plain text, relative to DefaultRequest's URL.
    let hello = client.get("hello").body::<String>().await?;
    println!("{:<22} {hello}", "GET /hello");

    // JSON.
    let resp = client.get("books.json").await?;
    if resp.status().is_success() {
        let books: Vec<Book> = resp.json().await?;
        let titles: Vec<_> = books.iter().map(|b| b.title.as_str()).collect();
        println!("{:<22} {titles:?}", "GET /books.json");
    } else {
        skipped("GET /books.json", resp.status());
    }

    // A body upload.
    let resp = client.post("upload").text("x".repeat(1000)).await?;
    if resp.status().is_success() {
        println!(
            "{:<22} server counted {} bytes",
            "POST /upload",
            resp.text().await?
        );
    } else {
        skipped("POST /upload", resp.status());
    }

    // A statement whose block runs on the engine's own runtime.
    let engine = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.dispatcher(Dispatcher::Dedicated { worker_threads: 1 });
        });
    })?;
    let root = format!("{}/", base.trim_end_matches('/'));
    let url = format!("{root}hello");
    let ran_on = engine
        .prepare_get(&url)
        .execute(|_| async { tokio::runtime::Handle::current().id() })
        .await?;
    println!(
        "{:<22} block ran on the engine runtime: {}",
        "execute { }",
        ran_on == engine.runtime_handle().id()
    );

    // Connection caps: 200 concurrent calls over at most 8 connections.
    let started = Instant::now();
    let calls = (0..200).map(|_| client.get("hello").body::<String>());
    let results = futures_util::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!(
        "{:<22} {ok}/200 ok in {:?}, {} connections open (cap 8)",
        "200 concurrent GETs",
        started.elapsed(),
        client.open_connections()
    );

    // read_to: stream a response into a file.
    let path = std::env::temp_dir().join("oxtor-client-example.txt");
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(ClientError::Sink)?;
    let mut resp = client.get("books.json").await?;
    let n = resp.read_to(&mut file).await?;
    println!("{:<22} {n} bytes into {}", "read_to(file)", path.display());

    // Duplex echo over h2c (needs an `/echo/stream` route).
    let h2c = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.duplex_streaming_enabled(true).http2_prior_knowledge(true);
        });
    })?;
    let (writer, body) = RequestBody::channel(1);
    let echo_url = format!("{root}echo/stream");
    let echoed = h2c
        .prepare_post(&echo_url)
        .body_from(body)
        .execute(|resp| async move {
            if !resp.status().is_success() {
                return Ok::<_, ClientError>(Err(resp.status()));
            }
            let mut lines = BufReader::new(resp.into_body());
            let mut out = Vec::new();
            for i in 0..3 {
                writer.write(format!("client: {i}\n")).await?;
                let mut line = String::new();
                lines
                    .read_line(&mut line)
                    .await
                    .map_err(|e| ClientError::Body(e.into()))?;
                out.push(line.trim_end().to_owned());
            }
            Ok(Ok(out))
        })
        .await;
    match echoed {
        Ok(Ok(Ok(lines))) => println!("{:<22} {lines:?}", "duplex /echo/stream"),
        Ok(Ok(Err(status))) => skipped("duplex /echo/stream", status),
        Ok(Err(e)) | Err(e) => println!("{:<22} skipped: {e}", "duplex /echo/stream"),
    }

    // execute_blocking from a plain thread (a GUI or CLI thread without a runtime).
    let blocking = client.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let text = blocking
            .prepare_get("hello")
            .execute_blocking(|resp| async move { resp.text().await });
        let _ = tx.send(text);
    });
    match rx.await {
        Ok(text) => println!("{:<22} {}", "execute_blocking", text??),
        Err(_) => println!("{:<22} the thread ended early", "execute_blocking"),
    }

    let Json(books) = client
        .get("books.json")
        .body::<Json<serde_json::Value>>()
        .await?;
    println!("{:<22} {books}", "body::<Json<_>>()");
    Ok(())
}
