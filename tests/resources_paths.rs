//! Ktor's path normalisation and content types for `respond_resource` and `static_resources`,
//! over a real socket: `~` segments, Windows device names, reserved and control characters and
//! trailing dots and spaces are dropped or stripped; `..` is still `400` before any of that,
//! and stripping never makes a `..`; `Content-Type` is Ktor's first choice for the extension.
#![deny(warnings)]

use axum::{body::Body, response::Response};
use http::{HeaderMap, Request, StatusCode};
use oxtor::{
    prelude::*,
    resources::ResourceError,
    routing::Routes,
    testing::{TestApplication, TestResponse},
};

static FIXTURES: Resources = resources!("tests/fixtures/resources");
static SHOWCASE: Resources = resources!("resources");
static TYPES: Resources = resources!("tests/fixtures/resource_types");

#[route(GET, "/resource/{*path}")]
async fn resource(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ResourceError> {
    Ok(respond_resource(&FIXTURES, &path)?.respond_to(&headers))
}

async fn server() -> TestApplication {
    let routes: Routes = routing! { resource };
    let routes = routes
        .merge(static_resources("/static", &SHOWCASE, "public"))
        .merge(static_resources("/types", &TYPES, ""));
    let mut app = Application::new(());
    app.routing(routes).expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

async fn get(server: &TestApplication, path: &str) -> TestResponse {
    let req = Request::get(path)
        .body(Body::empty())
        .expect("valid request");
    server.send(req).await.expect("response")
}

fn htmx() -> Vec<u8> {
    std::fs::read("resources/public/htmx.min.js").expect("showcase htmx")
}

fn test_html() -> Vec<u8> {
    std::fs::read("tests/fixtures/resources/testdir/test.html").expect("fixture")
}

#[tokio::test]
async fn respond_resource_drops_a_tilde_segment() {
    let server = server().await;
    let res = get(&server, "/resource/~/testdir/test.html").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(res.body().as_ref(), test_html().as_slice());
}

#[tokio::test]
async fn respond_resource_trims_trailing_dots_and_spaces() {
    let server = server().await;
    for path in [
        "/resource/testdir/test.html.",
        "/resource/testdir/test.html%20",
        "/resource/testdir./test.html.%20.",
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.body().as_ref(), test_html().as_slice(), "{path}");
    }
}

#[tokio::test]
async fn a_static_path_drops_a_tilde_segment() {
    let server = server().await;
    let res = get(&server, "/static/~/htmx.min.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.body().as_ref(), htmx().as_slice());
}

#[tokio::test]
async fn a_static_path_trims_a_trailing_dot_or_space() {
    let server = server().await;
    for path in ["/static/htmx.min.js.", "/static/htmx.min.js%20"] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(
            res.headers()["content-type"],
            "text/javascript; charset=utf-8",
            "{path}"
        );
        assert_eq!(res.body().as_ref(), htmx().as_slice(), "{path}");
    }
}

#[tokio::test]
async fn a_static_path_drops_windows_device_names() {
    let server = server().await;
    for path in [
        "/static/CON/htmx.min.js",
        "/static/nul/htmx.min.js",
        "/static/Com1/LPT9/htmx.min.js",
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.body().as_ref(), htmx().as_slice(), "{path}");
    }
    // Only a whole segment is a device name, as in Ktor.
    let res = get(&server, "/static/con.txt/htmx.min.js").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn reserved_and_control_characters_are_stripped() {
    let server = server().await;
    for path in [
        "/static/htmx%3A.min.js",
        "/static/%22htmx%22.min.js",
        "/static/ht*mx.min.js%3F",
        "/static/htmx.min%7C.js%3C%3E",
        "/static/htmx%00.min.js%09",
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.body().as_ref(), htmx().as_slice(), "{path}");
    }
}

#[tokio::test]
async fn dot_dot_is_still_400_before_normalisation() {
    let server = server().await;
    let res = get(&server, "/resource/~/CON/../logback-test.xml").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.text().expect("utf-8"),
        "Relative path should not contain path traversing characters: ~/CON/../logback-test.xml"
    );
    for path in [
        "/static/~/../Cargo.toml",
        "/static/CON/%2e%2e/Cargo.toml",
        "/static/~%5c..%5cCargo.toml",
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
    }
}

#[tokio::test]
async fn trimming_never_turns_a_segment_into_dot_dot() {
    let server = server().await;
    // Each of these would climb to `logback-test.xml` if it became `..`; it is dropped instead.
    for segment in [
        ".%20.", "..%20", "%20..", "..%2a", "..%3a", ".%00.", "...", ". . .",
    ] {
        let path = format!("/resource/testdir/{segment}/logback-test.xml").replace(' ', "%20");
        let res = get(&server, &path).await;
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(
            res.text()
                .expect("utf-8")
                .starts_with("Resource not found: testdir/"),
            "{path}"
        );
    }
    for path in [
        "/static/.%20./.%20./Cargo.toml",
        "/static/..%20/..%20/Cargo.toml",
    ] {
        let res = get(&server, path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn the_content_type_is_ktors_first_choice_for_the_extension() {
    let server = server().await;
    for (file, expected) in [
        ("feed.xml", "application/xml; charset=utf-8"),
        ("schema.dtd", "application/xml-dtd; charset=utf-8"),
        ("module.mjs", "text/javascript; charset=utf-8"),
        ("script.js", "text/javascript; charset=utf-8"),
        ("font.woff", "font/woff"),
        ("font.woff2", "font/woff2"),
        ("font.otf", "font/otf"),
        ("font.ttf", "font/ttf"),
        ("config.yaml", "application/yaml"),
        ("config.yml", "application/yaml"),
        ("sound.m4a", "audio/mp4"),
        ("movie.m4v", "video/mp4"),
        ("data.gz", "application/gzip"),
        ("data.gzip", "application/gzip"),
        ("archive.tgz", "application/gnutar"),
        ("module.wasm", "application/wasm"),
        ("data.json", "application/json"),
        ("logo.svg", "image/svg+xml; charset=utf-8"),
        ("notes.unknownext", "application/octet-stream"),
    ] {
        let res = get(&server, &format!("/types/{file}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{file}");
        assert_eq!(res.headers()["content-type"], expected, "{file}");
    }
}

#[tokio::test]
async fn the_extension_starts_at_the_first_dot_and_ignores_case() {
    let server = server().await;
    let res = get(&server, "/types/archive.tar.gz").await;
    assert_eq!(res.headers()["content-type"], "application/gzip");
    let res = get(&server, "/types/FONT.WOFF2").await;
    assert_eq!(res.headers()["content-type"], "font/woff2");
    let res = get(&server, "/resource/logback-test.xml").await;
    assert_eq!(
        res.headers()["content-type"],
        "application/xml; charset=utf-8"
    );
}
