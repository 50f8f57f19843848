//! Client engine over real sockets: connection caps, HTTP/2 counting once, timeouts, the
//! dispatcher and statements running on it.
#![cfg(feature = "client")]

mod client_support;

use std::{sync::Arc, time::Duration};

use axum::{routing::get, Router};
use client_support::{bounded, serve, ConnCounter};
use oxtor_runtime::client::{ClientError, Dispatcher, HttpClient, TimeoutKind};

fn slow_router() -> Router {
    Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                "ok"
            }),
        )
        .route(
            "/very-slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "late"
            }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_stay_within_per_route_and_total_caps_over_two_hosts() {
    let total = Arc::new(ConnCounter::default());
    let on_a = Arc::new(ConnCounter::default());
    let on_b = Arc::new(ConnCounter::default());
    let a = serve(
        "127.0.0.1",
        slow_router(),
        vec![total.clone(), on_a.clone()],
    )
    .await;
    let b = serve(
        "127.0.0.2",
        slow_router(),
        vec![total.clone(), on_b.clone()],
    )
    .await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.max_conn_total(12).max_conn_per_route(8);
        });
    })
    .expect("client");

    let calls = (0..200).map(|i| {
        let url = if i % 2 == 0 {
            a.url("/slow")
        } else {
            b.url("/slow")
        };
        let client = client.clone();
        async move { client.get(&url).body::<String>().await }
    });
    let results = bounded(60, futures_util::future::join_all(calls)).await;

    assert!(
        results.iter().all(|r| matches!(r, Ok(s) if s == "ok")),
        "{results:?}"
    );
    assert!(on_a.peak() <= 8, "host a saw {} connections", on_a.peak());
    assert!(on_b.peak() <= 8, "host b saw {} connections", on_b.peak());
    assert!(
        total.peak() <= 12,
        "saw {} connections in total",
        total.peak()
    );
    assert!(client.open_connections() <= 12);
    // The caps bound real parallelism; they do not serialize everything.
    assert!(
        total.peak() >= 4,
        "only {} connections were used",
        total.peak()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_counts_once_against_the_cap() {
    let counter = Arc::new(ConnCounter::default());
    let server = serve("127.0.0.1", slow_router(), vec![counter.clone()]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.max_conn_per_route(1).http2_prior_knowledge(true);
        });
    })
    .expect("client");

    let calls = (0..50).map(|_| client.get(&server.url("/slow")).body::<String>());
    let results = bounded(30, futures_util::future::join_all(calls)).await;

    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(counter.accepted(), 1);
    assert_eq!(client.open_connections(), 1);
}

#[tokio::test]
async fn a_request_waiting_for_a_slot_is_bounded_by_its_timeout() {
    let server = serve("127.0.0.1", slow_router(), vec![]).await;
    let other = serve("127.0.0.1", slow_router(), vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.max_conn_total(1);
        });
    })
    .expect("client");
    let busy = tokio::spawn(client.get(&server.url("/very-slow")).body::<String>());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let waiting = client
        .get(&other.url("/slow"))
        .timeout(Duration::from_millis(300))
        .await;

    assert!(
        matches!(waiting, Err(ClientError::Timeout(TimeoutKind::Request))),
        "{waiting:?}"
    );
    assert_eq!(
        bounded(10, busy).await.expect("join").expect("busy call"),
        "late"
    );
}

#[tokio::test]
async fn a_request_waits_for_a_slot_instead_of_failing() {
    let server = serve("127.0.0.1", slow_router(), vec![]).await;
    let other = serve("127.0.0.1", slow_router(), vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.max_conn_total(1)
                .pool_idle_timeout(Duration::from_millis(100));
        });
    })
    .expect("client");
    let first = client.get(&server.url("/slow")).body::<String>().await;

    // The only slot is held by the idle connection to `server` until it times out of the pool.
    let second = bounded(10, client.get(&other.url("/slow")).body::<String>()).await;

    assert_eq!(first.expect("first"), "ok");
    assert_eq!(second.expect("second"), "ok");
}

#[tokio::test]
async fn connect_timeout_covers_the_tls_handshake() {
    // A peer that accepts TCP but never answers the TLS ClientHello.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let silent = tokio::spawn(async move {
        let (_socket, _) = listener.accept().await.expect("accept");
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.connect_timeout(Duration::from_millis(200));
        });
    })
    .expect("client");

    let res = bounded(10, client.get(&format!("https://{addr}/")).send()).await;

    assert!(
        matches!(res, Err(ClientError::Timeout(TimeoutKind::Connect))),
        "{res:?}"
    );
    silent.abort();
}

#[tokio::test]
async fn socket_timeout_fails_a_silent_body() {
    let router = Router::new().route(
        "/stall",
        get(|| async {
            let stream = futures_util::stream::unfold(0, |n| async move {
                if n > 0 {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                Some((
                    Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x")),
                    n + 1,
                ))
            });
            axum::body::Body::from_stream(stream)
        }),
    );
    let server = serve("127.0.0.1", router, vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.socket_timeout(Duration::from_millis(200));
        });
    })
    .expect("client");
    let mut resp = client.get(&server.url("/stall")).await.expect("head");
    let first = resp.body_mut().chunk().await;
    let second = bounded(10, resp.body_mut().chunk()).await;
    assert_eq!(first.expect("first chunk").as_deref(), Some(&b"x"[..]));
    assert!(
        matches!(second, Err(ClientError::Timeout(TimeoutKind::Socket))),
        "{second:?}"
    );
}

/// `GET /head-after/{ms}` answers after `ms` milliseconds; `POST /upload` answers with the
/// length of the request body once all of it arrived.
fn head_delay_router() -> Router {
    Router::new()
        .route(
            "/head-after/{ms}",
            get(
                |axum::extract::Path(ms): axum::extract::Path<u64>| async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    "late"
                },
            ),
        )
        .route(
            "/upload",
            axum::routing::post(|body: bytes::Bytes| async move { body.len().to_string() }),
        )
}

fn socket_timeout_client(timeout: Duration, h2: bool) -> HttpClient {
    HttpClient::configure(move |cfg| {
        cfg.engine(move |e| {
            e.socket_timeout(timeout);
            if h2 {
                e.duplex_streaming_enabled(true).http2_prior_knowledge(true);
            }
        });
    })
    .expect("client")
}

#[tokio::test]
async fn socket_timeout_bounds_the_wait_for_the_response_head() {
    let server = serve("127.0.0.1", head_delay_router(), vec![]).await;
    let client = socket_timeout_client(Duration::from_millis(300), false);
    let start = std::time::Instant::now();

    let res = bounded(10, client.get(&server.url("/head-after/3000")).send()).await;
    let elapsed = start.elapsed();

    assert!(
        matches!(res, Err(ClientError::Timeout(TimeoutKind::Socket))),
        "{res:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_millis(2000),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_response_head_within_the_socket_timeout_is_ok() {
    let server = serve("127.0.0.1", head_delay_router(), vec![]).await;
    let client = socket_timeout_client(Duration::from_secs(1), false);

    let resp = bounded(10, client.get(&server.url("/head-after/100")).send())
        .await
        .expect("response");

    assert_eq!(resp.status(), 200);
    assert_eq!(bounded(10, resp.text()).await.expect("text"), "late");
}

/// Writes 4 chunks 200 ms apart (800 ms in all) into a channel body.
fn slow_upload() -> oxtor_runtime::client::RequestBody {
    let (writer, body) = oxtor_runtime::client::RequestBody::channel(1);
    tokio::spawn(async move {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if writer.write(&b"0123456789"[..]).await.is_err() {
                return;
            }
        }
    });
    body
}

/// The answer to a slow upload (longer than the 300 ms socket timeout), over h2c duplex if `h2`.
async fn slow_upload_with_socket_timeout(h2: bool) -> String {
    let server = serve("127.0.0.1", head_delay_router(), vec![]).await;
    let client = socket_timeout_client(Duration::from_millis(300), h2);
    bounded(
        10,
        client
            .post(&server.url("/upload"))
            .body_from(slow_upload())
            .body::<String>(),
    )
    .await
    .expect("response")
}

#[tokio::test]
async fn an_upload_longer_than_the_socket_timeout_is_not_silence() {
    assert_eq!(slow_upload_with_socket_timeout(false).await, "40");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplex_writer_still_sending_is_not_socket_silence() {
    assert_eq!(slow_upload_with_socket_timeout(true).await, "40");
}

fn hello_router() -> Router {
    Router::new().route("/hello", get(|| async { "Hello, world!" }))
}

#[tokio::test(flavor = "current_thread")]
async fn execute_block_runs_on_the_dedicated_engine_runtime_from_a_current_thread_caller() {
    let server = serve("127.0.0.1", hello_router(), vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.dispatcher(Dispatcher::Dedicated { worker_threads: 1 });
        });
    })
    .expect("client");
    let caller = tokio::runtime::Handle::current().id();

    let (ran_on, text) = bounded(
        10,
        client
            .prepare_get(&server.url("/hello"))
            .execute(
                |resp| async move { (tokio::runtime::Handle::current().id(), resp.text().await) },
            ),
    )
    .await
    .expect("execute");

    assert_eq!(text.expect("text"), "Hello, world!");
    assert_eq!(ran_on, client.runtime_handle().id());
    assert_ne!(ran_on, caller);
}

#[tokio::test(flavor = "current_thread")]
async fn body_block_runs_on_a_given_runtime_handle() {
    let server = serve("127.0.0.1", hello_router(), vec![]).await;
    let engine_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let client = HttpClient::configure(|cfg| {
        let handle = engine_rt.handle().clone();
        cfg.engine(move |e| {
            e.dispatcher(Dispatcher::Handle(handle.clone()));
        });
    })
    .expect("client");

    let (text, ran_on) = bounded(
        10,
        client
            .prepare_get(&server.url("/hello"))
            .body_with(
                |text: String| async move { (text, tokio::runtime::Handle::current().id()) },
            ),
    )
    .await
    .expect("body");

    assert_eq!(text, "Hello, world!");
    assert_eq!(ran_on, engine_rt.handle().id());
    drop(client);
    engine_rt.shutdown_background();
}

#[tokio::test(flavor = "current_thread")]
async fn current_dispatcher_is_the_runtime_the_client_was_created_on() {
    let server = serve("127.0.0.1", hello_router(), vec![]).await;
    let client = HttpClient::new().expect("client");
    let ran_on = client
        .prepare_get(&server.url("/hello"))
        .execute(|_| async { tokio::runtime::Handle::current().id() })
        .await
        .expect("execute");
    assert_eq!(ran_on, tokio::runtime::Handle::current().id());
}

#[test]
fn a_client_created_outside_any_runtime_uses_the_shared_io_runtime_and_serves_plain_threads() {
    let server_rt = tokio::runtime::Runtime::new().expect("runtime");
    let server = server_rt.block_on(serve("127.0.0.1", hello_router(), vec![]));
    let url = server.url("/hello");

    let client = HttpClient::new().expect("client");
    let other = HttpClient::new().expect("client");
    let text = client
        .prepare_get(&url)
        .execute_blocking(|resp| async move { resp.text().await })
        .expect("execute_blocking")
        .expect("text");

    assert_eq!(text, "Hello, world!");
    assert_ne!(client.runtime_handle().id(), server_rt.handle().id());
    assert_eq!(client.runtime_handle().id(), other.runtime_handle().id());
    drop(server);
}

#[tokio::test]
async fn execute_blocking_on_an_async_thread_is_an_error_not_a_panic() {
    let client = HttpClient::new().expect("client");
    let res = client
        .prepare_get("http://127.0.0.1:9/")
        .execute_blocking(|_| async {});
    assert!(matches!(res, Err(ClientError::Runtime(_))), "{res:?}");
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_the_callers_future_cancels_the_block_on_the_engine() {
    let server = serve("127.0.0.1", hello_router(), vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.dispatcher(Dispatcher::Dedicated { worker_threads: 1 });
        });
    })
    .expect("client");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let call = client
        .prepare_get(&server.url("/hello"))
        .execute(|_| async move {
            let _keep = tx;
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
    let _ = tokio::time::timeout(Duration::from_millis(300), call).await;
    // The block's task was aborted, so its sender is dropped.
    assert!(bounded(5, rx).await.is_err());
}

#[tokio::test]
async fn json_bodies_round_trip() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Book {
        title: String,
    }
    let router = Router::new().route(
        "/book",
        axum::routing::post(|axum::Json(b): axum::Json<Book>| async move {
            axum::Json(Book {
                title: b.title.to_uppercase(),
            })
        }),
    );
    let server = serve("127.0.0.1", router, vec![]).await;
    let client = HttpClient::new().expect("client");
    let oxtor_runtime::client::Json(book) = client
        .post(&server.url("/book"))
        .json(&Book {
            title: "dune".into(),
        })
        .body::<oxtor_runtime::client::Json<Book>>()
        .await
        .expect("json");
    assert_eq!(
        book,
        Book {
            title: "DUNE".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_blocked_by_the_total_cap_closes_an_idle_connection_of_another_route() {
    let on_a = Arc::new(ConnCounter::default());
    let a = serve("127.0.0.1", slow_router(), vec![on_a.clone()]).await;
    let b = serve("127.0.0.2", slow_router(), vec![]).await;
    let client = HttpClient::configure(|cfg| {
        cfg.engine(|e| {
            e.max_conn_total(2).max_conn_per_route(2);
        });
    })
    .expect("client");
    let warm = futures_util::future::join(
        client.get(&a.url("/slow")).body::<String>(),
        client.get(&a.url("/slow")).body::<String>(),
    )
    .await;
    assert!(warm.0.is_ok() && warm.1.is_ok());
    assert_eq!(on_a.open(), 2, "both slots idle on host a");

    // Without eviction this waits for the 90 s idle timeout; with it, about a second.
    let on_b = client
        .get(&b.url("/slow"))
        .timeout(Duration::from_secs(5))
        .body::<String>()
        .await;

    assert_eq!(on_b.expect("host b gets a slot"), "ok");
    assert!(client_support::eventually(|| on_a.open() == 1).await);
    assert_eq!(client.open_connections(), 2);
}
