//! Ktor's `rootPath` over a real socket: `ktor.deployment.rootPath` or `-path=` puts every route
//! under a prefix, as `Application::set_root_path` does by hand; a bad root stops the start-up
//! naming the key and the file.
mod config_support;

use std::time::Duration;

use axum::{
    extract::OriginalUri, http::Uri, middleware::map_response, response::Response, routing::get,
    Router,
};
use config_support::{config_arg, Scratch};
use http::{HeaderValue, StatusCode};
use oxtor_runtime::{
    config::{keys, EngineMain},
    testing::TestApplication,
    Application,
};

fn hello_routes() -> Router {
    Router::new()
        .route("/", get(|| async { "root" }))
        .route("/hello", get(|| async { "Hello, world!" }))
}

/// Status and body of `GET path` on `addr`, with reqwest (10 s at most).
async fn fetch(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let get = async {
        let res = reqwest::get(format!("http://{addr}{path}")).await?;
        let status = res.status().as_u16();
        Ok::<_, reqwest::Error>((status, res.text().await?))
    };
    tokio::time::timeout(Duration::from_secs(10), get)
        .await
        .expect("request timed out")
        .expect("request failed")
}

async fn serve_with(args: Vec<String>) -> oxtor_runtime::server::RunningServer {
    let mut args = args;
    args.extend(["-host=127.0.0.1".into(), "-port=0".into()]);
    EngineMain::from_iter(args)
        .unwrap_or_else(|e| panic!("{e}"))
        .start(|app, _| app.routing(hello_routes()))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_config_root_path_puts_every_route_under_it() {
    let dir = Scratch::new("config");
    let conf = config_arg(&dir.file("a.conf", "ktor.deployment.rootPath = /api\n"));
    let server = serve_with(vec![conf]).await;
    let addr = server.local_addr();
    assert_eq!(
        fetch(addr, "/api/hello").await,
        (200, "Hello, world!".into())
    );
    assert_eq!(fetch(addr, "/hello").await.0, 404);
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn the_root_itself_reaches_the_slash_route() {
    let server = serve_with(vec!["-path=/api".into()]).await;
    assert_eq!(
        fetch(server.local_addr(), "/api").await,
        (200, "root".into())
    );
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_path_that_only_starts_like_the_root_is_not_under_it() {
    let server = serve_with(vec!["-path=/api".into()]).await;
    assert_eq!(fetch(server.local_addr(), "/apihello").await.0, 404);
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn dash_path_wins_over_the_config_file_and_dash_p() {
    let dir = Scratch::new("dash-path");
    let conf = config_arg(&dir.file("a.conf", "ktor.deployment.rootPath = /from-file\n"));
    let args = vec![
        conf,
        "-P:ktor.deployment.rootPath=/from-p".into(),
        "-path=/v2".into(),
    ];
    let server = serve_with(args).await;
    let addr = server.local_addr();
    assert_eq!(fetch(addr, "/v2/hello").await.0, 200);
    assert_eq!(fetch(addr, "/from-file/hello").await.0, 404);
    assert_eq!(fetch(addr, "/from-p/hello").await.0, 404);
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn an_empty_or_slash_root_path_changes_nothing() {
    for root in ["-path=", "-path=/"] {
        let server = serve_with(vec![root.into()]).await;
        assert_eq!(fetch(server.local_addr(), "/hello").await.0, 200, "{root}");
        server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_root_path_with_a_parameter_names_the_file_line_and_key() {
    let dir = Scratch::new("bad");
    let file = dir.file(
        "bad.conf",
        "ktor.deployment {\n  rootPath = \"/api/{version}\"\n}\n",
    );
    let err = EngineMain::from_iter([config_arg(&file)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: ktor.deployment.rootPath: `/api/{{version}}`: rootPath should be constant, \
             no wildcards supported",
            file.display()
        )
    );
}

#[test]
fn a_root_path_that_needs_encoding_on_the_command_line_is_refused() {
    let err = EngineMain::from_iter(["-path=/my app"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ktor.deployment.rootPath: `/my app`: ' ' cannot be in a URL path; percent-encode it \
         (command line `-path=/my app`)"
    );
}

#[tokio::test]
async fn the_module_sees_the_root_path_engine_main_set() {
    let server = EngineMain::from_iter(["-host=127.0.0.1", "-port=0", "-path=api/v1/"])
        .unwrap_or_else(|e| panic!("{e}"))
        .start(|app, config| {
            assert_eq!(app.root_path(), Some("/api/v1"));
            assert_eq!(
                config.root_path().ok().flatten().as_deref(),
                Some("/api/v1")
            );
            assert!(config.contains(keys::ROOT_PATH));
            app.routing(hello_routes())
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(fetch(server.local_addr(), "/api/v1/hello").await.0, 200);
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test]
async fn a_handler_sees_its_uri_without_the_root_and_the_original_uri_with_it() {
    let mut app = Application::new(());
    app.set_root_path("/api").unwrap_or_else(|e| panic!("{e}"));
    let echo =
        |uri: Uri, OriginalUri(original): OriginalUri| async move { format!("{uri} {original}") };
    app.routing(Router::new().route("/where", get(echo)))
        .unwrap_or_else(|e| panic!("{e}"));
    let test = TestApplication::start(app)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let text = test
        .get_text("/api/where?x=1")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(text, "/where?x=1 /api/where?x=1");
}

#[tokio::test]
async fn app_wide_layers_also_see_requests_outside_the_root() {
    async fn tag(mut res: Response) -> Response {
        res.headers_mut()
            .insert("x-plugin", HeaderValue::from_static("ran"));
        res
    }
    let mut app = Application::new(());
    app.set_root_path("/api").unwrap_or_else(|e| panic!("{e}"));
    app.layer(map_response(tag));
    app.routing(hello_routes())
        .unwrap_or_else(|e| panic!("{e}"));
    let test = TestApplication::start(app)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let outside = test
        .get("/elsewhere")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
    assert_eq!(outside.header("x-plugin"), Some("ran"));
}

#[tokio::test]
async fn an_application_without_routes_under_a_root_starts_and_answers_404() {
    let mut app = Application::new(());
    app.set_root_path("/api").unwrap_or_else(|e| panic!("{e}"));
    let test = TestApplication::start(app)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for path in ["/api", "/api/x", "/x"] {
        let res = test.get(path).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_router_fallback_answers_for_paths_under_the_root_only() {
    let mut app = Application::new(());
    app.set_root_path("/api").unwrap_or_else(|e| panic!("{e}"));
    app.routing(hello_routes().fallback(|| async { (StatusCode::IM_A_TEAPOT, "fallback") }))
        .unwrap_or_else(|e| panic!("{e}"));
    let test = TestApplication::start(app)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let under = test
        .get("/api/missing")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(under.status(), StatusCode::IM_A_TEAPOT);
    let outside = test.get("/missing").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outside.status(), StatusCode::NOT_FOUND);
}
