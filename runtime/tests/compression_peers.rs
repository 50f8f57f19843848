//! Compression against real peers: Debian's `curl` (built with zstd and brotli), and the `zstd`
//! and `gzip` tools decoding the raw bytes; live streams under zstd and gzip.
#![cfg(all(
    feature = "compression-zstd",
    feature = "compression-gzip",
    feature = "compression-br"
))]
mod compression_support;
mod curl_support;

use std::{
    convert::Infallible,
    process::Stdio,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    response::sse::{Event, Sse},
    routing::get,
    Router,
};
use compression_support::*;
use curl_support::curl;
use http_body_util::BodyExt;
use oxtor_runtime::plugins::compression::CompressEventStream;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    sync::mpsc,
};

fn json() -> String {
    let items: Vec<String> = (0..2000)
        .map(|i| format!("{{\"id\":{i},\"title\":\"Book {i}\",\"tags\":[\"a\",\"b\"]}}"))
        .collect();
    format!("[{}]", items.join(","))
}

async fn tool_decode(tool: &str, data: Vec<u8>) -> Vec<u8> {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new(tool)
        .args(["-d", "-c"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tool runs (apt-get install zstd gzip)");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = tokio::spawn(async move {
        stdin.write_all(&data).await.expect("write");
    });
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("tool timed out")
        .expect("tool output");
    writer.await.expect("writer");
    assert!(out.status.success(), "{tool} -d failed");
    out.stdout
}

async fn json_server() -> oxtor_runtime::testing::TestApplication {
    let body = json();
    serve(
        |cfg| {
            cfg.zstd(|cfg| {
                cfg.level(3);
            })
            .gzip(|_| {})
            .deflate(|_| {})
            .brotli(|_| {});
        },
        Router::new().route(
            "/books.json",
            get(move || async move { ([("content-type", "application/json")], body) }),
        ),
    )
    .await
}

#[tokio::test]
async fn curl_compressed_decodes_every_coding_to_the_identity_bytes() {
    let server = json_server().await;
    let url = server.url("/books.json");
    let identity = curl(&[&url]).await;
    assert_eq!(identity, json().as_bytes());
    for coding in ["zstd", "gzip", "deflate", "br"] {
        let header = format!("Accept-Encoding: {coding}");
        let headers = curl(&["-D", "-", "-o", "/dev/null", "-H", &header, &url]).await;
        let headers = String::from_utf8_lossy(&headers).to_ascii_lowercase();
        assert!(
            headers.contains(&format!("content-encoding: {coding}")),
            "{headers}"
        );
        let decoded = curl(&["--compressed", "-H", &header, &url]).await;
        assert_eq!(decoded, identity, "{coding}");
    }
    // `--compressed` alone offers every coding curl knows.
    assert_eq!(curl(&["--compressed", &url]).await, identity);
}

#[tokio::test]
async fn raw_zstd_bytes_decoded_by_the_zstd_tool_equal_identity() {
    let server = json_server().await;
    let url = server.url("/books.json");
    let raw = curl(&["-H", "Accept-Encoding: zstd", &url]).await;
    assert_ne!(raw, json().as_bytes());
    assert_eq!(tool_decode("zstd", raw).await, json().as_bytes());
}

#[tokio::test]
async fn raw_gzip_bytes_decoded_by_the_gzip_tool_equal_identity() {
    let server = json_server().await;
    let url = server.url("/books.json");
    let raw = curl(&["-H", "Accept-Encoding: gzip", &url]).await;
    assert_ne!(raw, json().as_bytes());
    assert_eq!(tool_decode("gzip", raw).await, json().as_bytes());
}

/// An SSE route opted into compression: `data: tick N` every 400 ms; `produced` counts events.
fn ticking_sse(produced: Arc<AtomicUsize>) -> Router {
    Router::new().route(
        "/events",
        get(move || {
            let produced = produced.clone();
            async move {
                let stream = futures_util::stream::unfold(1usize, move |n| {
                    let produced = produced.clone();
                    async move {
                        if n > 1 {
                            tokio::time::sleep(Duration::from_millis(400)).await;
                        }
                        if n > 5 {
                            return None;
                        }
                        produced.store(n, Ordering::SeqCst);
                        Some((
                            Ok::<_, Infallible>(Event::default().data(format!("tick {n}"))),
                            n + 1,
                        ))
                    }
                });
                (CompressEventStream, Sse::new(stream))
            }
        }),
    )
}

async fn sse_is_live_under(coding: &str) {
    let produced = Arc::new(AtomicUsize::new(0));
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {}).gzip(|_| {});
        },
        ticking_sse(produced.clone()),
    )
    .await;
    let header = format!("Accept-Encoding: {coding}");
    let mut child = Command::new("curl")
        .args([
            "-s",
            "-N",
            "--compressed",
            "-D",
            "/dev/stderr",
            "--max-time",
            "15",
            "-H",
            &header,
        ])
        .arg(server.url("/events"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("curl runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match lines.next_line().await.expect("read") {
                Some(line) if !line.is_empty() => return line,
                Some(_) => {}
                None => panic!("stream ended before the first event"),
            }
        }
    })
    .await
    .expect("first event in time");
    assert_eq!(first, "data: tick 1");
    // The client decoded event 1 while event 2 was not produced yet: nothing was buffered.
    assert_eq!(
        produced.load(Ordering::SeqCst),
        1,
        "{coding}: event 1 arrived late"
    );
    let _ = child.kill().await;
    let out = child.wait_with_output().await.expect("curl");
    let headers = String::from_utf8_lossy(&out.stderr).to_ascii_lowercase();
    assert!(
        headers.contains(&format!("content-encoding: {coding}")),
        "{headers}"
    );
}

#[tokio::test]
async fn sse_under_zstd_delivers_each_event_before_the_next_is_produced() {
    sse_is_live_under("zstd").await;
}

#[tokio::test]
async fn sse_under_gzip_delivers_each_event_before_the_next_is_produced() {
    sse_is_live_under("gzip").await;
}

/// Reads raw frames of an NDJSON response the test feeds line by line, decoding as it goes.
async fn ndjson_is_live_under(coding: &str) {
    use std::io::Write;
    let (tx, rx) = mpsc::channel::<String>(1);
    let rx = Arc::new(tokio::sync::Mutex::new(Some(rx)));
    let router = Router::new().route(
        "/feed",
        get(move || {
            let rx = rx.clone();
            async move {
                let rx = rx.lock().await.take().expect("one request");
                let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                    let line = rx.recv().await?;
                    Some((Ok::<_, Infallible>(Bytes::from(line)), rx))
                });
                (
                    [("content-type", "application/x-ndjson")],
                    Body::from_stream(stream),
                )
            }
        }),
    );
    let server = serve(
        |cfg| {
            cfg.zstd(|_| {}).gzip(|_| {});
        },
        router,
    )
    .await;
    let stream = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let req = http::Request::get("/feed")
        .header("host", "localhost")
        .header("accept-encoding", coding)
        .body(http_body_util::Empty::<Bytes>::new())
        .expect("req");
    let res = sender.send_request(req).await.expect("response");
    assert_eq!(res.headers()["content-encoding"], coding);
    let mut body = res.into_body();
    let mut zstd_dec = zstd::stream::write::Decoder::new(Vec::new()).expect("zstd");
    let mut gzip_dec = flate2::write::GzDecoder::new(Vec::new());
    for i in 0..3 {
        let line = format!("{{\"n\":{i}}}\n");
        tx.send(line.clone()).await.expect("send");
        // The encoded frame for this line must arrive and decode without more input.
        let decoded = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let frame = body.frame().await.expect("frame").expect("frame ok");
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                let decoded = if coding == "zstd" {
                    zstd_dec.write_all(&data).expect("decode");
                    zstd_dec.flush().expect("flush");
                    zstd_dec.get_ref().clone()
                } else {
                    gzip_dec.write_all(&data).expect("decode");
                    gzip_dec.flush().expect("flush");
                    gzip_dec.get_ref().clone()
                };
                if decoded.ends_with(line.as_bytes()) {
                    return decoded;
                }
            }
        })
        .await
        .expect("line decoded before the next one was sent");
        assert!(decoded.ends_with(line.as_bytes()));
    }
}

#[tokio::test]
async fn ndjson_under_zstd_is_flushed_per_chunk() {
    ndjson_is_live_under("zstd").await;
}

#[tokio::test]
async fn ndjson_under_gzip_is_flushed_per_chunk() {
    ndjson_is_live_under("gzip").await;
}
