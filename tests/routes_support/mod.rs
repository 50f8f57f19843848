//! What the route tests (`macros.rs`, `direct_dispatch.rs`) share: an application serving some
//! routes on 127.0.0.1, and a client calling it.
use std::time::Duration;

use http::Method;
use oxtor::{prelude::*, routing::Routes, testing::TestApplication};

/// A client that gives up after 10 s.
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client without TLS builds")
}

/// A stateless application serving `routes`, started.
pub(crate) async fn serve(routes: Routes) -> TestApplication {
    let mut app = Application::new(());
    app.routing(routes).expect("routes are distinct");
    TestApplication::start(app)
        .await
        .expect("test server starts")
}

/// `method path` on `server`, answered.
pub(crate) async fn call(
    server: &TestApplication,
    method: Method,
    path: &str,
) -> reqwest::Response {
    client()
        .request(method, server.url(path))
        .send()
        .await
        .expect("request is answered")
}
