//! `resources!`, `respond_resource` and `static_resources` over a real socket: Ktor's content
//! types and error responses, validators and `304`, ranges, directory index, precompressed
//! variants (also under the `Compression` plugin), and traversal attempts, encoded or not.
#![deny(warnings)]

use axum::{body::Body, response::Response};
use http::{HeaderMap, Request, StatusCode};
use oxtor::{
    plugins::compression::Compression,
    prelude::*,
    resources::{respond_resource_in, ResourceError},
    routing::Routes,
    testing::{TestApplication, TestResponse},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static RES: Resources = resources!("tests/fixtures/resources");

#[route(GET, "/resource/{*path}")]
async fn resource(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ResourceError> {
    Ok(respond_resource(&RES, &path)?.respond_to(&headers))
}

#[route(GET, "/plain")]
async fn plain() -> Result<oxtor::resources::Resource, ResourceError> {
    respond_resource(&RES, "testdir/testresource.txt")
}

#[route(GET, "/in-package/{package}/{file}")]
async fn in_package(
    Path((package, file)): Path<(String, String)>,
) -> Result<oxtor::resources::Resource, ResourceError> {
    respond_resource_in(&RES, &file, &package)
}

fn routes() -> Routes {
    let routes: Routes = routing! { resource, plain, in_package };
    routes.merge(static_resources("/static", &RES, "public"))
}

async fn server() -> TestApplication {
    let mut app = Application::new(());
    app.routing(routes()).expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

async fn get(server: &TestApplication, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    server
        .send(req.body(Body::empty()).expect("valid request"))
        .await
        .expect("response")
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("tests/fixtures/resources/{path}")).expect("fixture")
}

#[tokio::test]
async fn respond_resource_answers_the_file_with_ktors_content_type() {
    let server = server().await;
    let res = get(&server, "/resource/testdir/testresource.txt", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.headers()["content-length"], "21");
    assert_eq!(res.text().expect("utf-8"), "Test resource content");
    let res = get(&server, "/resource/testdir/test.json", &[]).await;
    assert_eq!(res.headers()["content-type"], "application/json");
    let res = get(&server, "/resource/testdir/test.html", &[]).await;
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    let res = get(&server, "/static/tiny.bin", &[]).await;
    assert_eq!(res.headers()["content-type"], "application/octet-stream");
}

#[tokio::test]
async fn a_resource_in_the_root_package() {
    let server = server().await;
    let res = get(&server, "/resource/logback-test.xml", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().expect("utf-8").contains("logback"));
}

#[tokio::test]
async fn a_missing_resource_is_ktors_500_with_message() {
    let server = server().await;
    let res = get(&server, "/resource/nonexistent.txt", &[]).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(
        res.text().expect("utf-8"),
        "Resource not found: nonexistent.txt"
    );
}

#[tokio::test]
async fn the_package_form_prepends_the_package() {
    let server = server().await;
    let res = get(&server, "/in-package/testdir/testresource.txt", &[]).await;
    assert_eq!(res.text().expect("utf-8"), "Test resource content");
    let res = get(&server, "/in-package/com.example/testresource.txt", &[]).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        res.text().expect("utf-8"),
        "Resource not found: testresource.txt in package com.example"
    );
}

#[tokio::test]
async fn the_plain_response_has_validators_and_no_coding() {
    let server = server().await;
    let res = get(&server, "/plain", &[("accept-encoding", "zstd, br")]).await;
    assert!(res.headers().get("content-encoding").is_none());
    assert!(res.headers()["etag"]
        .to_str()
        .expect("ascii")
        .starts_with('"'));
    assert!(res.headers().contains_key("last-modified"));
    assert_eq!(res.text().expect("utf-8"), "Test resource content");
}

#[tokio::test]
async fn a_missing_static_file_is_404() {
    let server = server().await;
    assert_eq!(
        get(&server, "/static/nope.css", &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    // Files outside the folder are not under the route, even though they are embedded.
    assert_eq!(
        get(&server, "/static/testdir/test.json", &[])
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_directory_answers_its_index_html() {
    let server = server().await;
    for path in ["/static", "/static/", "/static/index.html"] {
        assert_eq!(
            get(&server, path, &[]).await.text().expect("utf-8"),
            "<h1>public index</h1>",
            "{path}"
        );
    }
    for path in ["/static/docs", "/static/docs/"] {
        assert_eq!(
            get(&server, path, &[]).await.text().expect("utf-8"),
            "<h1>docs index</h1>",
            "{path}"
        );
    }
}

#[tokio::test]
async fn if_none_match_with_the_etag_is_304() {
    let server = server().await;
    let first = get(&server, "/static/app.js", &[]).await;
    let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
    let res = get(&server, "/static/app.js", &[("if-none-match", &etag)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    assert!(res.body().is_empty());
    assert_eq!(res.headers()["etag"], etag.as_str());
    let weak = format!("W/{etag}");
    let res = get(&server, "/static/app.js", &[("if-none-match", &weak)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = get(&server, "/static/app.js", &[("if-none-match", "\"other\"")]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn if_modified_since_last_modified_is_304() {
    let server = server().await;
    let first = get(&server, "/static/app.js", &[]).await;
    let lm = first.headers()["last-modified"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let res = get(&server, "/static/app.js", &[("if-modified-since", &lm)]).await;
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let old = "Thu, 01 Jan 1970 00:00:00 GMT";
    let res = get(&server, "/static/app.js", &[("if-modified-since", old)]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_single_range_is_206() {
    let server = server().await;
    let whole = fixture("public/app.js");
    let res = get(&server, "/static/app.js", &[("range", "bytes=10-19")]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 10-19/{}", whole.len()).as_str()
    );
    assert_eq!(res.body().as_ref(), &whole[10..20]);
    let res = get(&server, "/static/app.js", &[("range", "bytes=-5")]).await;
    assert_eq!(res.body().as_ref(), &whole[whole.len() - 5..]);
}

#[tokio::test]
async fn an_unsatisfiable_range_is_416_and_several_ranges_get_the_whole_file() {
    let server = server().await;
    let whole = fixture("public/app.js");
    let res = get(&server, "/static/app.js", &[("range", "bytes=999999-")]).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
    let res = get(&server, "/static/app.js", &[("range", "bytes=0-1,5-6")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body().len(), whole.len());
}

#[tokio::test]
async fn a_range_with_a_stale_if_range_gets_the_whole_file() {
    let server = server().await;
    let res = get(
        &server,
        "/static/app.js",
        &[("range", "bytes=0-9"), ("if-range", "\"stale\"")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_accepting_zstd_gets_the_precompressed_variant() {
    let server = server().await;
    let whole = fixture("public/app.js");
    let res = get(
        &server,
        "/static/app.js",
        &[("accept-encoding", "gzip, zstd")],
    )
    .await;
    assert_eq!(res.headers()["content-encoding"], "zstd");
    assert_eq!(res.headers()["vary"], "Accept-Encoding");
    assert!(res.headers()["etag"]
        .to_str()
        .expect("ascii")
        .ends_with("-zstd\""));
    assert!(res.body().len() < whole.len() / 2);
    assert_eq!(zstd::decode_all(res.body().as_ref()).expect("zstd"), whole);
}

#[tokio::test]
async fn a_client_preferring_br_gets_brotli_with_its_own_etag() {
    let server = server().await;
    let zstd = get(&server, "/static/app.js", &[("accept-encoding", "zstd")]).await;
    let br = get(
        &server,
        "/static/app.js",
        &[("accept-encoding", "zstd;q=0.5, br")],
    )
    .await;
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_ne!(br.headers()["etag"], zstd.headers()["etag"]);
    let plain = get(&server, "/static/app.js", &[]).await;
    assert!(plain.headers().get("content-encoding").is_none());
    assert_ne!(plain.headers()["etag"], br.headers()["etag"]);
}

#[tokio::test]
async fn a_file_that_does_not_shrink_has_no_variant() {
    let server = server().await;
    let res = get(
        &server,
        "/static/tiny.bin",
        &[("accept-encoding", "zstd, br")],
    )
    .await;
    assert!(res.headers().get("content-encoding").is_none());
    assert_eq!(res.body().as_ref(), fixture("public/tiny.bin").as_slice());
}

#[tokio::test]
async fn under_the_compression_plugin_a_variant_is_not_encoded_twice() {
    let mut app = Application::new(());
    app.install(install!(Compression { zstd { level = 3 } }))
        .expect("compression");
    app.routing(routes()).expect("routes");
    let server = TestApplication::start(app).await.expect("server starts");
    let whole = fixture("public/app.js");
    let res = get(&server, "/static/app.js", &[("accept-encoding", "zstd")]).await;
    assert_eq!(res.headers().get_all("content-encoding").iter().count(), 1);
    assert_eq!(zstd::decode_all(res.body().as_ref()).expect("zstd"), whole);
    assert!(res.headers()["etag"]
        .to_str()
        .expect("ascii")
        .ends_with("-zstd\""));
}

#[tokio::test]
async fn dot_dot_is_400_with_ktors_message() {
    let server = server().await;
    let res = get(&server, "/resource/testdir/../logback-test.xml", &[]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.text().expect("utf-8"),
        "Relative path should not contain path traversing characters: testdir/../logback-test.xml"
    );
}

#[tokio::test]
async fn traversal_attempts_never_escape_the_embedded_set() {
    let server = server().await;
    for path in [
        "/static/../Cargo.toml",
        "/static/%2e%2e/%2e%2e/Cargo.toml",
        "/static/%2E%2E%2FCargo.toml",
        "/static/docs/..%5c..%5cCargo.toml",
        "/static/..%2f..%2fsrc/lib.rs",
    ] {
        let res = get(&server, path, &[]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
    }
    for path in [
        "/static//etc/passwd",
        "/static/%2fetc%2fpasswd",
        "/static/C:%5cwindows",
    ] {
        let res = get(&server, path, &[]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_raw_backslash_path_is_rejected() {
    let server = server().await;
    let mut stream = server.connect().await.expect("connect");
    stream
        .write_all(
            b"GET /static/..\\..\\Cargo.toml HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await
        .expect("write");
    let mut out = String::new();
    stream.read_to_string(&mut out).await.expect("read");
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert!(!out.contains("[package]"), "{out}");
}

#[tokio::test]
async fn head_has_the_headers_and_no_body() {
    let server = server().await;
    let req = Request::head("/static/app.js")
        .header("accept-encoding", "br")
        .body(Body::empty())
        .expect("valid request");
    let res = server.send(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "br");
    assert!(res.body().is_empty());
}
