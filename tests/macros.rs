//! `#[route]`, `routing!` and `install!` over a real socket: the routes they declare answer the
//! right methods, paths and parameters; groups nest and layer only their routes; `install!` calls
//! the plugin's builder methods.
#![deny(warnings)]

mod routes_support;

use axum::{extract::Request, middleware::map_response, response::Response};
use http::{HeaderValue, Method, StatusCode};
use oxtor::{prelude::*, testing::TestApplication, ConfigError};
use routes_support::{call, client, serve};

#[route(GET, "/books/{id}")]
async fn book(Path(id): Path<u32>) -> String {
    format!("book {id}")
}

#[route(GET | HEAD, "/head")]
async fn head() -> &'static str {
    "not sent to HEAD"
}

#[route(PUT | DELETE | PATCH | OPTIONS | TRACE, "/verbs")]
async fn verbs(method: Method) -> String {
    method.to_string()
}

#[route(POST, "/echo/{a}/{b}")]
async fn echo(Path((a, b)): Path<(String, String)>, body: String) -> String {
    format!("{a}/{b}: {body}")
}

#[route(GET, "/files/{*rest}")]
async fn files(Path(rest): Path<String>) -> String {
    rest
}

mod handlers {
    use oxtor::prelude::*;

    #[route(GET, "/books")]
    pub(crate) async fn books() -> &'static str {
        "all books"
    }

    #[route(GET, "/plain")]
    pub(crate) async fn plain() -> &'static str {
        "plain"
    }

    #[route(GET, "/grouped")]
    pub(crate) async fn grouped() -> &'static str {
        "grouped"
    }
}

async fn mark_group(mut res: Response) -> Response {
    res.headers_mut()
        .insert("x-group", HeaderValue::from_static("yes"));
    res
}

#[tokio::test]
async fn route_serves_its_path_with_parameters() {
    let server = serve(routing! { book }).await;
    assert_eq!(server.get_text("/books/7").await.unwrap(), "book 7");
}

#[tokio::test]
async fn route_rejects_other_methods_with_405() {
    let server = serve(routing! { book }).await;
    let res = call(&server, Method::POST, "/books/7").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn get_or_head_answers_head_without_a_body() {
    let server = serve(routing! { head }).await;
    let res = call(&server, Method::HEAD, "/head").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-length"], "16");
    assert_eq!(res.text().await.unwrap(), "");
}

#[tokio::test]
async fn every_listed_method_is_served_and_no_other() {
    let server = serve(routing! { verbs }).await;
    for method in [
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
    ] {
        let res = call(&server, method.clone(), "/verbs").await;
        assert_eq!(res.status(), StatusCode::OK, "{method}");
        assert_eq!(res.text().await.unwrap(), method.as_str());
    }
    let res = call(&server, Method::GET, "/verbs").await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn parts_extractors_and_a_body_combine() {
    let server = serve(routing! { echo }).await;
    let res = client()
        .post(server.url("/echo/x/y"))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(res.text().await.unwrap(), "x/y: payload");
}

#[tokio::test]
async fn catch_all_parameter_takes_the_rest_of_the_path() {
    let server = serve(routing! { files }).await;
    assert_eq!(server.get_text("/files/a/b.css").await.unwrap(), "a/b.css");
}

#[tokio::test]
async fn route_group_nests_under_its_prefix() {
    let server = serve(routing! { route("/api") { handlers::books } }).await;
    assert_eq!(server.get_text("/api/books").await.unwrap(), "all books");
    let res = call(&server, Method::GET, "/books").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nested_groups_compose_their_prefixes() {
    let server = serve(routing! { route("/api") { route("/v1") { handlers::books }, book } }).await;
    assert_eq!(server.get_text("/api/v1/books").await.unwrap(), "all books");
    assert_eq!(server.get_text("/api/books/3").await.unwrap(), "book 3");
}

#[tokio::test]
async fn layer_block_applies_only_to_its_routes() {
    let server = serve(routing! {
        handlers::plain,
        layer(map_response(mark_group)) { handlers::grouped }
    })
    .await;
    let grouped = call(&server, Method::GET, "/grouped").await;
    assert_eq!(grouped.headers()["x-group"], "yes");
    assert_eq!(grouped.text().await.unwrap(), "grouped");
    let plain = call(&server, Method::GET, "/plain").await;
    assert!(plain.headers().get("x-group").is_none());
}

#[tokio::test]
async fn empty_layer_and_lifecycle_blocks_wrap_nothing() {
    let server = serve(routing! {
        handlers::plain,
        layer(map_response(mark_group)) {},
        lifecycle(cancel_call_on_close = false) {}
    })
    .await;
    let plain = call(&server, Method::GET, "/plain").await;
    assert!(plain.headers().get("x-group").is_none());
    assert_eq!(plain.text().await.unwrap(), "plain");
}

#[derive(Clone)]
struct Library {
    name: &'static str,
}

#[route(GET, "/library/{shelf}")]
async fn library(State(lib): State<Library>, Path(shelf): Path<u8>, request: Request) -> String {
    format!("{} shelf {shelf} {}", lib.name, request.method())
}

#[tokio::test]
async fn route_reads_the_state_of_a_stateful_application() {
    let mut app = Application::new(Library { name: "city" });
    app.routing(routing! { library }).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert_eq!(
        server.get_text("/library/4").await.unwrap(),
        "city shelf 4 GET"
    );
}

/// A tiny plugin configured through builder methods; it records every call so the test can check
/// exactly what `install!` desugared to.
struct Greeting {
    calls: Vec<String>,
    text: String,
}

#[derive(Default)]
struct GreetingConfig {
    calls: Vec<String>,
    text: String,
}

#[derive(Default)]
struct HeaderConfig {
    value: String,
}

impl GreetingConfig {
    fn text(&mut self, text: &str) {
        self.calls.push(format!("text({text})"));
        self.text = text.to_owned();
    }
    fn header(&mut self, name: &str, f: impl FnOnce(&mut HeaderConfig)) {
        let mut header = HeaderConfig::default();
        f(&mut header);
        self.calls
            .push(format!("header({name}, value={})", header.value));
    }
    fn shout(&mut self, f: impl FnOnce(&mut HeaderConfig)) {
        let mut header = HeaderConfig::default();
        f(&mut header);
        self.calls.push(format!("shout(value={})", header.value));
    }
    fn repeat(&mut self, what: &str, times: usize) {
        self.calls.push(format!("repeat({what}, {times})"));
    }
    fn transform(&mut self, f: impl Fn(&str) -> String) {
        self.calls.push(format!("transform -> {}", f("x")));
    }
}

impl HeaderConfig {
    fn value(&mut self, value: &str) {
        self.value = value.to_owned();
    }
}

impl Greeting {
    fn configure(f: impl FnOnce(&mut GreetingConfig)) -> Result<Self, ConfigError> {
        let mut cfg = GreetingConfig::default();
        f(&mut cfg);
        if cfg.text.is_empty() {
            return Err(ConfigError::new("Greeting.text", "must not be empty"));
        }
        Ok(Self {
            calls: cfg.calls,
            text: cfg.text,
        })
    }
}

impl<S: Clone + Send + Sync + 'static> Plugin<S> for Greeting {
    const NAME: &'static str = "Greeting";

    fn install(self, app: &mut Application<S>) -> oxtor::Result<()> {
        let text = HeaderValue::from_str(&self.text)
            .map_err(|e| ConfigError::new("Greeting.text", e.to_string()))?;
        app.layer(axum::middleware::map_response(move |mut res: Response| {
            let text = text.clone();
            async move {
                res.headers_mut().insert("x-greeting", text);
                res
            }
        }));
        Ok(())
    }
}

#[test]
fn install_calls_the_builder_methods_in_order() {
    let greeting = install!(Greeting {
        text = "hello"
        header("x-a") { value = "1" }
        shout { value = "2" }
        repeat("ab", 2)
        transform = |s| s.to_uppercase()
    })
    .unwrap();
    assert_eq!(
        greeting.calls,
        [
            "text(hello)",
            "header(x-a, value=1)",
            "shout(value=2)",
            "repeat(ab, 2)",
            "transform -> X"
        ]
    );
}

#[test]
fn install_reports_the_plugins_configuration_error() {
    let mut app = Application::new(());
    let err = app.install(install!(Greeting { text = "" })).unwrap_err();
    assert_eq!(err.to_string(), "Greeting.text: must not be empty");
}

#[tokio::test]
async fn installed_plugin_applies_to_the_served_routes() {
    let mut app = Application::new(());
    app.install(install!(Greeting { text = "hi" })).unwrap();
    app.routing(routing! { handlers::plain }).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let res = call(&server, Method::GET, "/plain").await;
    assert_eq!(res.headers()["x-greeting"], "hi");
}

#[route(GET | POST, "/books")]
async fn books_form() -> &'static str {
    "form"
}

#[test]
fn the_same_route_twice_in_one_routing_block_is_a_route_conflict() {
    let routes = routing! { book, handlers::books, book };
    assert_eq!(
        routes.conflict().map(|c| c.to_string()),
        Some("`GET /books/{id}` is already routed".to_owned())
    );
    let err = Application::new(()).routing(routes).unwrap_err();
    assert!(matches!(err, oxtor::Error::RouteConflict(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "cannot add routes: `GET /books/{id}` is already routed"
    );
}

#[test]
fn a_route_colliding_with_one_already_mounted_names_the_shared_methods() {
    let mut app = Application::new(());
    app.routing(routing! { route("/api") { handlers::books } })
        .unwrap();
    let err = app
        .routing(routing! { route("/api") { books_form } })
        .unwrap_err();
    let oxtor::Error::RouteConflict(conflict) = &err else {
        panic!("not a route conflict: {err:?}");
    };
    assert_eq!(conflict.methods(), [Method::GET]);
    assert_eq!(conflict.path(), "/api/books");
    // Other methods on the same path are not a conflict.
    app.routing(routing! { route("/api") { echo_books } })
        .unwrap();
}

#[route(POST, "/books")]
async fn echo_books(body: String) -> String {
    body
}
