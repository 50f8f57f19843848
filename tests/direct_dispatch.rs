//! Direct dispatch (`oxtor::routing::direct`) over a real socket: a `#[route]` on a static path,
//! called without axum's routing, sees the request as axum's routing would hand it over, and
//! whatever wraps a route (a guard, a layer block, an enclosing router) still runs: guards
//! before the route, outermost first. Its response reaches the client with its `Content-Length`,
//! inserted by the route where a layer may read it, written by the engine where none does.
#![deny(warnings)]

mod routes_support;

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Extension, MatchedPath, OriginalUri, RawPathParams, Request},
    middleware::map_response,
    response::{IntoResponse, Response},
    Router,
};
use http::{header, HeaderValue, Method, StatusCode};
use oxtor::{
    plugins::{auto_head::AutoHeadResponse, default_headers::DefaultHeaders},
    prelude::*,
    routing::{Guarded, RouteGuard, Routes},
    testing::TestApplication,
};
use routes_support::{call, client, serve};
use tower::{util::MapResponseLayer, ServiceExt};

#[route(GET, "/where")]
async fn where_am_i(matched: MatchedPath, OriginalUri(original): OriginalUri) -> String {
    format!("{} {original}", matched.as_str())
}

#[route(GET, "/params")]
async fn params(params: RawPathParams) -> String {
    format!("{} parameters", params.iter().count())
}

#[route(GET | POST, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

#[route(GET, "/book")]
async fn read_book() -> &'static str {
    "reading"
}

#[route(PUT, "/book")]
async fn write_book(body: String) -> String {
    format!("wrote {body}")
}

#[route(GET, "/shelf")]
async fn shelf(State(shelf): State<Arc<str>>) -> String {
    shelf.to_string()
}

#[tokio::test]
async fn a_static_route_sees_its_matched_path_and_the_original_uri() {
    let server = serve(routing! { where_am_i }).await;
    let text = server.get_text("/where?shelf=2").await.unwrap();
    assert_eq!(text, "/where /where?shelf=2");
}

#[tokio::test]
async fn a_static_route_nested_in_a_group_sees_its_full_matched_path() {
    let server = serve(routing! { route("/api") { route("/v2") { where_am_i } } }).await;
    let text = server.get_text("/api/v2/where").await.unwrap();
    assert_eq!(text, "/api/v2/where /api/v2/where");
}

#[tokio::test]
async fn path_parameters_on_a_static_route_are_empty_as_under_axum() {
    let server = serve(routing! { params }).await;
    assert_eq!(server.get_text("/params").await.unwrap(), "0 parameters");
}

#[tokio::test]
async fn every_method_of_a_static_route_is_served() {
    let server = serve(routing! { hello }).await;
    for method in [Method::GET, Method::POST] {
        let res = call(&server, method.clone(), "/hello").await;
        assert_eq!(res.status(), StatusCode::OK, "{method}");
        assert_eq!(res.text().await.unwrap(), "Hello, world!", "{method}");
    }
}

#[tokio::test]
async fn two_routes_on_one_static_path_each_serve_their_method() {
    let mut app = Application::new(());
    app.routing(routing! { read_book }).expect("GET /book");
    app.routing(routing! { write_book }).expect("PUT /book");
    let server = TestApplication::start(app).await.expect("server starts");
    assert_eq!(server.get_text("/book").await.unwrap(), "reading");
    let res = client()
        .put(server.url("/book"))
        .body("a page")
        .send()
        .await
        .expect("PUT is answered");
    assert_eq!(res.text().await.unwrap(), "wrote a page");
}

#[tokio::test]
async fn another_method_on_a_static_route_gets_405_with_allow() {
    let server = serve(routing! { hello }).await;
    let res = call(&server, Method::DELETE, "/hello").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()[header::ALLOW], "GET,HEAD,POST");
}

#[tokio::test]
async fn head_on_a_static_get_route_is_answered_without_a_body() {
    let server = serve(routing! { hello }).await;
    let res = call(&server, Method::HEAD, "/hello").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_LENGTH], "13");
    assert_eq!(res.bytes().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_static_route_reads_the_application_state() {
    let mut app = Application::new(Arc::<str>::from("poetry"));
    app.routing(routing! { shelf }).expect("one route");
    let server = TestApplication::start(app).await.expect("server starts");
    assert_eq!(server.get_text("/shelf").await.unwrap(), "poetry");
}

async fn mark(mut res: Response) -> Response {
    res.headers_mut()
        .insert("x-layered", HeaderValue::from_static("yes"));
    res
}

#[tokio::test]
async fn a_static_route_in_a_layer_block_runs_the_layer() {
    let server = serve(routing! { hello, layer(map_response(mark)) { where_am_i } }).await;
    let res = call(&server, Method::GET, "/where").await;
    assert_eq!(res.headers()["x-layered"], "yes");
    let res = call(&server, Method::GET, "/hello").await;
    assert!(res.headers().get("x-layered").is_none());
}

/// Answers 401 to every call.
struct Refuse;

impl RouteGuard for Refuse {
    fn check(&self, _request: Request) -> Guarded {
        Guarded::Respond(StatusCode::UNAUTHORIZED.into_response())
    }
}

#[tokio::test]
async fn a_guarded_static_route_runs_its_guard() {
    let server = serve(Routes::new().merge(routing! { hello }.guard(Arc::new(Refuse)))).await;
    let res = call(&server, Method::GET, "/hello").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn head_on_a_guarded_static_route_runs_its_guard() {
    let server = serve(Routes::new().merge(routing! { hello }.guard(Arc::new(Refuse)))).await;
    let res = call(&server, Method::HEAD, "/hello").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

/// Answers 403 with the request's matched path (`-` without one).
struct ShowMatchedPath;

impl RouteGuard for ShowMatchedPath {
    fn check(&self, request: Request) -> Guarded {
        let matched = request.extensions().get::<MatchedPath>();
        let body = matched.map_or("-".to_owned(), |m| m.as_str().to_owned());
        Guarded::Respond((StatusCode::FORBIDDEN, body).into_response())
    }
}

#[tokio::test]
async fn a_guard_before_a_static_route_without_arguments_sees_its_matched_path() {
    let guarded = routing! { hello }.guard(Arc::new(ShowMatchedPath));
    let server = serve(Routes::new().nest("/api", guarded)).await;
    let res = call(&server, Method::GET, "/api/hello").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.text().await.unwrap(), "/api/hello");
}

/// The names of the guards a request passed, in order.
#[derive(Clone, Default)]
struct Trail(Vec<&'static str>);

/// Passes after adding its name to the request's `Trail`; the route's response gets
/// `x-after-NAME`.
struct Tag(&'static str);

impl RouteGuard for Tag {
    fn check(&self, mut request: Request) -> Guarded {
        let name = self.0;
        let mut trail = request
            .extensions_mut()
            .remove::<Trail>()
            .unwrap_or_default();
        trail.0.push(name);
        request.extensions_mut().insert(trail);
        Guarded::Pass {
            request,
            after: Some(Box::new(move |mut res: Response| {
                let header = header::HeaderName::try_from(format!("x-after-{name}"));
                res.headers_mut().insert(
                    header.expect("a header name"),
                    HeaderValue::from_static("1"),
                );
                res
            })),
        }
    }
}

#[route(GET, "/trail")]
async fn trail(Extension(trail): Extension<Trail>) -> String {
    trail.0.join(",")
}

#[tokio::test]
async fn nested_guards_run_outermost_first_before_a_static_route() {
    let inner = routing! { trail }.guard(Arc::new(Tag("inner")));
    let routes = Routes::new().merge(inner).guard(Arc::new(Tag("outer")));
    let server = serve(routes).await;
    let res = call(&server, Method::GET, "/trail").await;
    assert_eq!(res.headers()["x-after-outer"], "1");
    assert_eq!(res.headers()["x-after-inner"], "1");
    assert_eq!(res.text().await.unwrap(), "outer,inner");
}

#[tokio::test]
async fn an_application_nested_in_an_axum_router_sees_the_outer_matched_path() {
    let mut app = Application::new(());
    app.routing(routing! { where_am_i }).expect("one route");
    let outer = Router::new().nest_service("/v1", app.into_service());
    let req = Request::get("/v1/where").body(Body::empty()).unwrap();
    let res = outer.oneshot(req).await.unwrap();
    let body = axum::body::to_bytes(res.into_body(), 1024).await.unwrap();
    assert_eq!(body, "/v1/where /v1/where");
}

#[tokio::test]
async fn a_response_of_known_size_gets_its_content_length_in_process() {
    let mut app = Application::new(());
    app.routing(routing! { hello }).expect("one route");
    let req = Request::get("/hello").body(Body::empty()).unwrap();
    let res = app.into_service().oneshot(req).await.unwrap();
    assert_eq!(res.headers()[header::CONTENT_LENGTH], "13");
}

/// Copies the `Content-Length` the layer sees into `x-seen-length` ("none" without one).
fn seen_length(mut res: Response) -> Response {
    let seen = res
        .headers()
        .get(header::CONTENT_LENGTH)
        .cloned()
        .unwrap_or(HeaderValue::from_static("none"));
    res.headers_mut().insert("x-seen-length", seen);
    res
}

/// `seen_length` as a layer that calls the service within in its own `call`, as oxtor's plugins
/// do (axum's `map_response` calls it from its future, where the route inserts the header).
fn seen_length_layer() -> MapResponseLayer<fn(Response) -> Response> {
    MapResponseLayer::new(seen_length)
}

/// `app`, started.
async fn start(app: Application) -> TestApplication {
    TestApplication::start(app)
        .await
        .expect("test server starts")
}

/// An application serving `hello`, with `seen_length` added app-wide through `layer` or, if
/// `ignoring`, through `layer_ignoring_content_length`; started.
async fn serve_layered(ignoring: bool) -> TestApplication {
    let mut app = Application::new(());
    if ignoring {
        app.layer_ignoring_content_length(seen_length_layer());
    } else {
        app.layer(seen_length_layer());
    }
    app.routing(routing! { hello }).expect("one route");
    start(app).await
}

/// The `Content-Length` `seen_length` saw.
fn seen(headers: &http::HeaderMap) -> Option<&str> {
    headers.get("x-seen-length").and_then(|v| v.to_str().ok())
}

/// How a response's body was framed: its `Content-Length` and `Transfer-Encoding`.
fn framing(headers: &http::HeaderMap) -> (Option<&str>, Option<&str>) {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    (
        text(header::CONTENT_LENGTH),
        text(header::TRANSFER_ENCODING),
    )
}

#[tokio::test]
async fn a_static_route_without_layers_is_sent_with_its_content_length() {
    let server = serve(routing! { hello }).await;
    let res = server.get("/hello").await.unwrap();
    assert_eq!(framing(res.headers()), (Some("13"), None));
}

#[tokio::test]
async fn an_app_wide_layer_sees_the_content_length_of_a_static_route_under_the_engine() {
    let server = serve_layered(false).await;
    let res = server.get("/hello").await.unwrap();
    assert_eq!(res.headers()["x-seen-length"], "13");
}

#[tokio::test]
async fn under_layers_ignoring_content_length_the_engine_writes_it_for_http1() {
    let server = serve_layered(true).await;
    let res = server.get("/hello").await.unwrap();
    // The route left the header out (the layer saw none); hyper wrote it from the body's size.
    assert_eq!(
        (seen(res.headers()), framing(res.headers())),
        (Some("none"), (Some("13"), None))
    );
}

#[tokio::test]
async fn under_layers_ignoring_content_length_the_engine_writes_it_for_h2c() {
    let server = serve_layered(true).await;
    let req = Request::get("/hello").body(Body::empty()).unwrap();
    let res = server.send_h2c(req).await.unwrap();
    assert_eq!(
        (seen(res.headers()), framing(res.headers()).0),
        (Some("none"), Some("13"))
    );
}

#[tokio::test]
async fn a_layer_ignoring_content_length_that_calls_from_its_future_sees_it() {
    async fn copy_seen(res: Response) -> Response {
        seen_length(res)
    }
    let mut app = Application::new(());
    app.layer_ignoring_content_length(map_response(copy_seen));
    app.routing(routing! { hello }).expect("one route");
    let res = start(app).await.get("/hello").await.unwrap();
    assert_eq!(res.headers()["x-seen-length"], "13");
}

#[tokio::test]
async fn under_oxtor_plugins_a_static_route_is_sent_with_its_content_length() {
    let mut app = Application::new(());
    app.install(install!(Compression {})).expect("installs");
    app.install(install!(DefaultHeaders {})).expect("installs");
    app.routing(routing! { hello }).expect("one route");
    let res = start(app).await.get("/hello").await.unwrap();
    assert_eq!(framing(res.headers()), (Some("13"), None));
}

#[tokio::test]
async fn head_under_auto_head_response_gets_the_content_length_of_get() {
    let mut app = Application::new(());
    app.install(install!(AutoHeadResponse {}))
        .expect("installs");
    app.routing(routing! { hello }).expect("one route");
    let server = start(app).await;
    let res = server.request(Method::HEAD, "/hello").send().await.unwrap();
    assert_eq!(
        (framing(res.headers()), res.body().len()),
        ((Some("13"), None), 0)
    );
}

#[tokio::test]
async fn a_layer_ignoring_content_length_sees_it_when_called_in_process() {
    let mut app = Application::new(());
    app.layer_ignoring_content_length(seen_length_layer());
    app.routing(routing! { hello }).expect("one route");
    let req = Request::get("/hello").body(Body::empty()).unwrap();
    let res = app.into_service().oneshot(req).await.unwrap();
    assert_eq!(res.headers()["x-seen-length"], "13");
}

#[route(GET, "/bug")]
async fn bug() -> &'static str {
    panic!("a bug in a directly dispatched route (this panic is expected by the test)")
}

/// The engine's answer to a panic holds for a route called without axum's routing too.
#[tokio::test]
async fn a_static_route_that_panics_answers_500_and_its_server_serves_on() {
    let server = serve(routing! { bug, hello }).await;
    let res = server.get("/bug").await.unwrap();
    assert_eq!(
        (res.status(), res.body().len()),
        (StatusCode::INTERNAL_SERVER_ERROR, 0)
    );
    assert_eq!(server.get_text("/hello").await.unwrap(), "Hello, world!");
}
