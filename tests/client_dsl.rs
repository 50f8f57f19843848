//! The client DSL of DESIGN.md, `http_client! { engine { .. } default_request(replace = true) { .. }
//! install(DefaultRequest { .. }) }`, against a real server that echoes the headers it received
//! (Ktor's `DefaultRequestTest.testDefaultRequestWithReplace` ported to the DSL).
#![cfg(feature = "client")]
#![deny(warnings)]

use std::{collections::BTreeMap, time::Duration};

use axum::{http::HeaderMap, routing::get, Json, Router};
use oxtor::{
    client::{DefaultRequest, HttpClient},
    http_client,
    testing::TestApplication,
    Application,
};

type Received = BTreeMap<String, Vec<String>>;

/// `GET /hello` → `Hello, world!`; `GET /api/headers` → every header received, as JSON.
async fn server() -> TestApplication {
    let mut app = Application::new(());
    app.routing(
        Router::new()
            .route("/hello", get(|| async { "Hello, world!" }))
            .route("/api/headers", get(echo_headers)),
    )
    .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

async fn echo_headers(headers: HeaderMap) -> Json<Received> {
    let mut received = Received::new();
    for (name, value) in &headers {
        received
            .entry(name.as_str().to_owned())
            .or_default()
            .push(value.to_str().unwrap_or("<non-utf8>").to_owned());
    }
    Json(received)
}

/// `GET path` with `client`, bounded in time; the headers the server received.
async fn received(client: &HttpClient, path: &str) -> Received {
    let response = tokio::time::timeout(Duration::from_secs(10), client.get(path))
        .await
        .expect("response in time")
        .expect("response");
    response.json().await.expect("headers as JSON")
}

fn joined(received: &Received, name: &str) -> String {
    received.get(name).map(|v| v.join(", ")).unwrap_or_default()
}

#[tokio::test]
async fn engine_block_sets_the_connection_caps() {
    let server = server().await;
    let base = server.url("/");
    let client = http_client! {
        engine { max_conn_total = 10_000  max_conn_per_route = 1_000 }
        default_request { url(&base) }
    }
    .expect("client");

    assert_eq!(client.engine_config().max_conn_total, 10_000);
    assert_eq!(client.engine_config().max_conn_per_route, 1_000);
    let hello = client.get("hello").body::<String>().await.expect("body");
    assert_eq!(hello, "Hello, world!");
}

#[tokio::test]
async fn default_request_url_resolves_relative_urls() {
    let server = server().await;
    let base = server.url("/api/");
    let client = http_client! { default_request { url(&base) } }.expect("client");

    let received = received(&client, "headers").await;

    assert!(received.contains_key("host"), "{received:?}");
    assert_eq!(
        client
            .get("headers")
            .prepared()
            .expect("prepared")
            .url_ref()
            .to_string(),
        server.url("/api/headers")
    );
}

#[tokio::test]
async fn default_request_with_replace_in_a_derived_client_discards_the_parents_defaults() {
    let server = server().await;
    let base = server.url("/api/");
    let child_base = base.clone();
    let parent = http_client! {
        default_request {
            url(&base)
            header("authorization", "Bearer firstAuth")
        }
    }
    .expect("parent");
    let child = parent
        .config(move |cfg| {
            cfg.default_request(move |d| {
                d.url(&child_base);
                d.header("authorization", "Bearer secondAuth");
            })
            .replace(true);
        })
        .expect("child");

    assert_eq!(
        joined(&received(&child, "headers").await, "authorization"),
        "Bearer secondAuth"
    );
    assert_eq!(
        joined(&received(&parent, "headers").await, "authorization"),
        "Bearer firstAuth"
    );
}

#[tokio::test]
async fn default_request_replace_true_discards_earlier_blocks() {
    let server = server().await;
    let base = server.url("/api/");
    let client = http_client! {
        default_request { header("x-first", "1") }
        default_request(replace = true) {
            url(&base)
            header("x-second", "2")
        }
    }
    .expect("client");

    let received = received(&client, "headers").await;

    assert_eq!(joined(&received, "x-first"), "");
    assert_eq!(joined(&received, "x-second"), "2");
}

#[tokio::test]
async fn default_request_replace_false_chains_onto_earlier_blocks() {
    let server = server().await;
    let base = server.url("/api/");
    let client = http_client! {
        default_request { url(&base) header("x-first", "1") }
        default_request(replace = false) { header("x-second", "2") }
    }
    .expect("client");

    let received = received(&client, "headers").await;

    assert_eq!(joined(&received, "x-first"), "1");
    assert_eq!(joined(&received, "x-second"), "2");
}

#[tokio::test]
async fn install_plugin_blocks_chain() {
    let server = server().await;
    let base = server.url("/api/");
    let client = http_client! {
        install(DefaultRequest { url(&base) })
        install(DefaultRequest { header("x-chained", "yes") })
    }
    .expect("client");

    let received = received(&client, "headers").await;

    assert_eq!(joined(&received, "x-chained"), "yes");
    assert!(client.is_installed::<DefaultRequest>());
}
