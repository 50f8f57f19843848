//! Authentication through the DSL: `install!(Authentication { .. })`, `routing! {
//! authenticate(..) { .. } }` and `#[route]` handlers taking `Principal<T>`, served by the
//! engine over real sockets; start-up errors for a provider or a plugin that is missing.
#![cfg(feature = "auth")]

use axum::Router;
use oxtor::{prelude::*, testing::TestApplication};

#[route(GET, "/api/key")]
async fn api_key(key: Principal<UserIdPrincipal>) -> String {
    format!("Key: {}", key.name)
}

#[route(GET, "/maybe")]
async fn maybe(p: Option<Principal<UserIdPrincipal>>) -> String {
    p.map_or_else(|| "anonymous".to_owned(), |p| p.name.clone())
}

#[route(GET, "/open")]
async fn open() -> &'static str {
    "open"
}

fn install_auth(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(Authentication {
        api_key("my-api-key") {
            validate = ApiKeys::constant_time(["secret-key"])
        }
        bearer("t") {
            validate = |token| async move { (token == "tok").then(|| UserIdPrincipal::new("bearer")) }
        }
    }))
}

async fn server() -> TestApplication {
    let mut app = Application::new(());
    install_auth(&mut app).expect("plugin installs");
    app.routing(routing! {
        open,
        authenticate("my-api-key") { api_key },
        authenticate("my-api-key", "t", optional = true) { maybe },
    })
    .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

async fn get(server: &TestApplication, path: &str, header: Option<(&str, &str)>) -> (u16, String) {
    let mut req = reqwest::Client::new().get(server.url(path));
    if let Some((k, v)) = header {
        req = req.header(k, v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn authenticate_block_protects_its_routes_only() {
    let server = server().await;
    assert_eq!(get(&server, "/open", None).await, (200, "open".into()));
    assert_eq!(
        get(&server, "/api/key", Some(("X-Api-Key", "secret-key"))).await,
        (200, "Key: secret-key".into())
    );
    assert_eq!(get(&server, "/api/key", None).await, (401, String::new()));
    assert_eq!(
        get(&server, "/api/key", Some(("X-Api-Key", "nope"))).await,
        (401, String::new())
    );
}

#[tokio::test]
async fn optional_block_with_several_providers() {
    let server = server().await;
    assert_eq!(
        get(&server, "/maybe", None).await,
        (200, "anonymous".into())
    );
    assert_eq!(
        get(&server, "/maybe", Some(("Authorization", "Bearer tok"))).await,
        (200, "bearer".into())
    );
    assert_eq!(
        get(&server, "/maybe", Some(("Authorization", "Bearer bad")))
            .await
            .0,
        401
    );
}

#[test]
fn authenticate_naming_a_provider_not_installed_fails_at_start_up() {
    let mut app = Application::new(());
    install_auth(&mut app).unwrap();
    let err = app
        .routing(routing! { authenticate("my-api-kye") { api_key } })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authenticate(\"my-api-kye\"): no authentication provider `my-api-kye` is installed (installed: \"my-api-key\", \"t\")"
    );
}

#[test]
fn authenticate_without_the_plugin_fails_at_start_up() {
    let mut app = Application::new(());
    let err = app
        .routing(routing! { authenticate("my-api-key") { api_key } })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "authenticate(\"my-api-key\"): the `Authentication` plugin is not installed; install it (install!(Authentication { .. })) before adding these routes"
    );
}

#[test]
fn empty_authenticate_block_is_accepted() {
    let mut app = Application::new(());
    install_auth(&mut app).unwrap();
    app.routing(routing! { open, authenticate("my-api-key") {} })
        .unwrap();
}

#[tokio::test]
async fn block_served_without_application_routing_refuses_calls() {
    // `Router::from` drops the start-up checks, so the providers are never bound: the
    // protected route answers 500 rather than running unauthenticated.
    let router: Router = routing! { authenticate("my-api-key") { api_key } }.into();
    let mut app = Application::new(());
    app.routing(router).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert_eq!(
        get(&server, "/api/key", Some(("X-Api-Key", "secret-key")))
            .await
            .0,
        500
    );
}

/// Providers `outer` (header `X-Outer: o`, refuses with 403) and `inner` (header `X-Inner: i`,
/// a `validate` that waits once before answering, refuses with 409).
fn install_outer_and_inner(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(Authentication {
        api_key("outer") {
            header_name = "X-Outer"
            validate = ApiKeys::constant_time(["o"])
            challenge = |call| async move { call.respond(axum::http::StatusCode::FORBIDDEN) }
        }
        api_key("inner") {
            header_name = "X-Inner"
            validate = |key| async move {
                tokio::task::yield_now().await;
                (key == "i").then(|| UserIdPrincipal::new(key))
            }
            challenge = |call| async move { call.respond(axum::http::StatusCode::CONFLICT) }
        }
    }))
}

async fn get_with(server: &TestApplication, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = reqwest::Client::new().get(server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn nested_blocks_check_the_outer_block_first_then_the_inner_one() {
    let mut app = Application::new(());
    install_outer_and_inner(&mut app).unwrap();
    app.routing(routing! { authenticate("outer") { authenticate("inner") { api_key } } })
        .unwrap();
    let server = TestApplication::start(app).await.unwrap();
    let (outer, inner) = (("X-Outer", "o"), ("X-Inner", "i"));
    assert_eq!(get_with(&server, "/api/key", &[]).await.0, 403);
    assert_eq!(get_with(&server, "/api/key", &[inner]).await.0, 403);
    assert_eq!(get_with(&server, "/api/key", &[outer]).await.0, 409);
    // The inner provider waits before accepting; its principal is the route's.
    assert_eq!(
        get_with(&server, "/api/key", &[outer, inner]).await,
        (200, "Key: i".into())
    );
}

#[tokio::test]
async fn blocks_protect_route_groups_inside_and_around_them() {
    let mut app = Application::new(());
    install_auth(&mut app).unwrap();
    app.routing(routing! {
        route("/inside") { authenticate("my-api-key") { api_key } },
        authenticate("my-api-key") { route("/around") { api_key } },
    })
    .unwrap();
    let server = TestApplication::start(app).await.unwrap();
    for path in ["/inside/api/key", "/around/api/key"] {
        assert_eq!(
            get(&server, path, None).await,
            (401, String::new()),
            "{path}"
        );
        assert_eq!(
            get(&server, path, Some(("X-Api-Key", "secret-key"))).await,
            (200, "Key: secret-key".into()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn authenticate_without_names_uses_the_default_provider() {
    let mut app = Application::new(());
    app.install(install!(Authentication {
        api_key(None) { validate = ApiKeys::constant_time(["default-key"]) }
    }))
    .unwrap();
    app.routing(routing! { authenticate { api_key } }).unwrap();
    let server = TestApplication::start(app).await.unwrap();
    assert_eq!(get(&server, "/api/key", None).await, (401, String::new()));
    assert_eq!(
        get(&server, "/api/key", Some(("X-Api-Key", "default-key"))).await,
        (200, "Key: default-key".into())
    );
}
