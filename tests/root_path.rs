//! Ktor's `rootPath` with the DSL over a real socket: `#[route]` handlers (static paths, which
//! are otherwise called without axum's routing, and path parameters), `authenticate(..) { .. }`
//! blocks and `static_resources` all answer under the root, and nothing answers outside it.
#![cfg(all(feature = "auth", feature = "resources"))]
#![deny(warnings)]

use axum::extract::MatchedPath;
use oxtor::{prelude::*, testing::TestApplication};

static RES: Resources = resources!("tests/fixtures/resources");

#[route(GET, "/where")]
async fn where_am_i(matched: MatchedPath) -> String {
    matched.as_str().to_owned()
}

#[route(GET, "/user/{id}")]
async fn user(Path(id): Path<u32>) -> String {
    format!("user {id}")
}

#[route(GET, "/api/key")]
async fn api_key(key: Principal<UserIdPrincipal>) -> String {
    format!("Key: {}", key.name)
}

async fn server() -> TestApplication {
    let mut app = Application::new(());
    app.set_root_path("/app").expect("a constant root");
    app.install(install!(Authentication {
        api_key("my-api-key") {
            validate = ApiKeys::constant_time(["secret-key"])
        }
    }))
    .expect("plugin installs");
    let routes: oxtor::routing::Routes = routing! {
        where_am_i,
        user,
        authenticate("my-api-key") { api_key },
    };
    app.routing(routes.merge(static_resources("/static", &RES, "public")))
        .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

/// Status and body of `GET path`, with `X-Api-Key: key` if given.
async fn get(server: &TestApplication, path: &str, key: Option<&str>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(server.url(path));
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    let res = req.send().await.expect("answered");
    (res.status().as_u16(), res.text().await.expect("body"))
}

#[tokio::test]
async fn a_static_route_answers_under_the_root_with_the_whole_matched_path() {
    let server = server().await;
    assert_eq!(
        get(&server, "/app/where", None).await,
        (200, "/app/where".into())
    );
    assert_eq!(get(&server, "/where", None).await.0, 404);
}

#[tokio::test]
async fn a_route_with_a_parameter_answers_under_the_root() {
    let server = server().await;
    assert_eq!(
        get(&server, "/app/user/42", None).await,
        (200, "user 42".into())
    );
    assert_eq!(get(&server, "/user/42", None).await.0, 404);
}

#[tokio::test]
async fn an_authenticate_block_guards_its_routes_under_the_root() {
    let server = server().await;
    assert_eq!(get(&server, "/app/api/key", None).await.0, 401);
    let with_key = get(&server, "/app/api/key", Some("secret-key")).await;
    assert_eq!(with_key, (200, "Key: secret-key".into()));
}

#[tokio::test]
async fn static_resources_answer_under_the_root() {
    let server = server().await;
    let (status, body) = get(&server, "/app/static/index.html", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("<h1>public index</h1>"), "{body}");
    assert_eq!(get(&server, "/static/index.html", None).await.0, 404);
}
