//! Unit tests: the table's look-ups, what it hands a handler, and axum's values it borrows.
use axum::response::IntoResponse;

use super::*;

async fn hello() -> &'static str {
    "hi"
}

fn routes(paths: &[&str]) -> Vec<DirectRoute<()>> {
    paths
        .iter()
        .map(|path| {
            DirectRoute::new(
                path,
                DirectHandler::new(&[Method::GET, Method::HEAD], hello),
            )
        })
        .collect()
}

fn request(method: Method, path: &str) -> Request {
    Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("a valid request")
}

#[test]
fn a_boxed_handler_future_is_not_boxed_again() {
    let future: HandlerFuture = Box::pin(async { "hi".into_response() });
    let address = &*future as *const _ as *const ();
    let again = boxed(future);
    assert_eq!(&*again as *const _ as *const (), address);
}

#[test]
fn content_lengths_are_right_when_they_repeat_and_when_they_change() {
    for size in [13, 13, 5382, 0, 0, 13, u64::MAX] {
        let value = content_length(size).expect("a length");
        assert_eq!(value.to_str().expect("digits"), size.to_string());
    }
}

#[test]
fn paths_with_parameters_are_left_to_the_router() {
    assert!(DirectRoutes::build(routes(&["/books/{id}", "/files/{*rest}"]), &()).is_none());
    let table = DirectRoutes::build(routes(&["/books", "/books/{id}"]), &()).expect("a table");
    assert!(table.find(&request(Method::GET, "/books/7")).is_none());
    assert!(table.find(&request(Method::GET, "/books")).is_some());
}

/// As axum's matcher finds a static route: by the path's exact bytes. Anything else (a trailing
/// slash, another case, a percent-encoded letter, a query) is for the router to answer.
#[test]
fn a_path_is_found_only_by_its_exact_bytes() {
    let table = DirectRoutes::build(routes(&["/hello", "/user/me"]), &()).expect("a table");
    for other in [
        "/hello/", "/Hello", "/hell%6F", "/hello/x", "/hell", "/", "/user/42",
    ] {
        assert!(
            table.find(&request(Method::GET, other)).is_none(),
            "{other} was found"
        );
    }
    for path in ["/hello", "/hello?x=1", "/user/me"] {
        assert!(
            table.find(&request(Method::GET, path)).is_some(),
            "{path} was not found"
        );
    }
}

/// Paths of 63 bytes and more share one bit of the table's lengths: each is still found by its
/// own bytes.
#[test]
fn long_paths_are_found_by_their_exact_bytes() {
    let long = format!("/{}", "a".repeat(70));
    let table = DirectRoutes::build(routes(&[&long]), &()).expect("a table");
    let other_long = format!("/{}", "a".repeat(63));
    for (path, found) in [(long.as_str(), true), (&other_long, false), ("/a", false)] {
        assert_eq!(
            table.find(&request(Method::GET, path)).is_some(),
            found,
            "{path}"
        );
    }
}

/// Two routes on one path share its entry: each finds its own methods.
#[test]
fn a_path_given_twice_is_one_entry() {
    let mut both = routes(&["/hello"]);
    both.push(DirectRoute::new(
        "/hello",
        DirectHandler::new(&[Method::POST], hello),
    ));
    let table = DirectRoutes::build(both, &()).expect("a table");
    assert_eq!(table.entries.len(), 1);
    let methods = |method| {
        table
            .find(&request(method, "/hello"))
            .map(|f| f.direct.methods)
    };
    assert_eq!(methods(Method::POST), Some(&[Method::POST][..]));
    assert_eq!(methods(Method::GET), Some(&[Method::GET, Method::HEAD][..]));
}

/// Of two routes serving one method on a path, the first one given answers: the table is
/// deterministic even for a pair axum's router would refuse when it is built.
#[test]
fn the_first_route_for_a_method_is_the_one_called() {
    let mut both = routes(&["/hello"]);
    both.push(DirectRoute::new(
        "/hello",
        DirectHandler::new(&[Method::POST, Method::GET], hello),
    ));
    let table = DirectRoutes::build(both, &()).expect("a table");
    let found = table.find(&request(Method::GET, "/hello")).expect("found");
    assert_eq!(found.direct.methods, &[Method::GET, Method::HEAD]);
    let found = table.find(&request(Method::POST, "/hello")).expect("found");
    assert_eq!(found.direct.methods, &[Method::POST, Method::GET]);
}

#[test]
fn head_and_unserved_methods_are_left_to_the_router() {
    let table = DirectRoutes::build(routes(&["/hello"]), &()).expect("a table");
    assert!(table.find(&request(Method::HEAD, "/hello")).is_none());
    assert!(table.find(&request(Method::POST, "/hello")).is_none());
    assert!(table.find(&request(Method::GET, "/hello")).is_some());
}

#[test]
fn a_request_routed_by_an_outer_router_is_left_to_the_router() {
    let table = DirectRoutes::build(routes(&["/hello"]), &()).expect("a table");
    let mut req = request(Method::GET, "/hello");
    let uri = req.uri().clone();
    req.extensions_mut().insert(OriginalUri(uri));
    assert!(table.find(&req).is_none());
}

/// Passes after adding its name to the request's trail; its response gets `x-after-NAME`.
struct Tag(&'static str);

#[derive(Clone, Default)]
struct Trail(Vec<&'static str>);

impl RouteGuard for Tag {
    fn check(&self, mut request: Request) -> guard::Guarded {
        let name = self.0;
        let mut trail = request
            .extensions_mut()
            .remove::<Trail>()
            .unwrap_or_default();
        trail.0.push(name);
        request.extensions_mut().insert(trail);
        guard::Guarded::Pass {
            request,
            after: Some(Box::new(move |mut response: Response| {
                let header = format!("x-after-{name}");
                response.headers_mut().insert(
                    http::HeaderName::try_from(header).expect("a header name"),
                    HeaderValue::from_static("1"),
                );
                response
            })),
        }
    }
}

async fn trail(axum::Extension(trail): axum::Extension<Trail>) -> String {
    trail.0.join(",")
}

fn guarded_table(guards: &[&'static str]) -> DirectRoutes {
    let mut route = DirectRoute::new("/trail", DirectHandler::new(&[Method::GET], trail));
    for name in guards.iter().rev() {
        route.guard(&(Arc::new(Tag(name)) as Arc<dyn RouteGuard>));
    }
    DirectRoutes::build(vec![route], &()).expect("a table")
}

async fn answer(table: &DirectRoutes, req: Request) -> Response {
    match table.find(&req) {
        Some(found) => found.call(req, true).await,
        None => panic!("{} is not called directly", req.uri()),
    }
}

#[tokio::test]
async fn a_guarded_route_is_called_directly_after_its_guards_outermost_first() {
    let table = guarded_table(&["outer", "inner"]);
    let res = answer(&table, request(Method::GET, "/trail")).await;
    assert_eq!(res.headers()["x-after-outer"], "1");
    assert_eq!(res.headers()["x-after-inner"], "1");
    let body = axum::body::to_bytes(res.into_body(), 64)
        .await
        .expect("a body");
    assert_eq!(body, "outer,inner");
}

#[tokio::test]
async fn a_guard_answer_replaces_the_route_and_gets_its_content_length() {
    struct Refuse;
    impl RouteGuard for Refuse {
        fn check(&self, _request: Request) -> guard::Guarded {
            guard::Guarded::Respond((http::StatusCode::FORBIDDEN, "no").into_response())
        }
    }
    let mut route = DirectRoute::new("/trail", DirectHandler::new(&[Method::GET], trail));
    route.guard(&(Arc::new(Refuse) as Arc<dyn RouteGuard>));
    let table = DirectRoutes::build(vec![route], &()).expect("a table");
    let res = answer(&table, request(Method::GET, "/trail")).await;
    assert_eq!(res.status(), http::StatusCode::FORBIDDEN);
    assert_eq!(res.headers()[CONTENT_LENGTH], "2");
}

#[tokio::test]
async fn a_guard_that_waits_lets_the_route_run_once_it_passes() {
    struct Later;
    impl RouteGuard for Later {
        fn check(&self, request: Request) -> guard::Guarded {
            guard::Guarded::Wait(Box::pin(async move {
                tokio::task::yield_now().await;
                Tag("later").check(request)
            }))
        }
    }
    let mut route = DirectRoute::new("/trail", DirectHandler::new(&[Method::GET], trail));
    route.guard(&(Arc::new(Tag("inner")) as Arc<dyn RouteGuard>));
    route.guard(&(Arc::new(Later) as Arc<dyn RouteGuard>));
    let table = DirectRoutes::build(vec![route], &()).expect("a table");
    let res = answer(&table, request(Method::GET, "/trail")).await;
    assert_eq!(res.headers()["x-after-later"], "1");
    let body = axum::body::to_bytes(res.into_body(), 64)
        .await
        .expect("a body");
    assert_eq!(body, "later,inner");
}

#[tokio::test]
async fn a_guard_sees_the_matched_path_even_before_a_handler_without_arguments() {
    struct Where;
    impl RouteGuard for Where {
        fn check(&self, request: Request) -> guard::Guarded {
            let matched = request
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_owned());
            guard::Guarded::Respond(matched.unwrap_or_default().into_response())
        }
    }
    let mut route = DirectRoute::new(
        "/hello",
        DirectHandler::without_arguments(&[Method::GET], hello),
    );
    route.guard(&(Arc::new(Where) as Arc<dyn RouteGuard>));
    let table = DirectRoutes::build(vec![route], &()).expect("a table");
    let res = answer(&table, request(Method::GET, "/hello")).await;
    let body = axum::body::to_bytes(res.into_body(), 64)
        .await
        .expect("a body");
    assert_eq!(body, "/hello");
}

#[test]
fn axum_matches_the_path_and_adds_its_url_parameters() {
    let (matched, rest) = routed_by_axum("/api/v2/books").expect("axum routes it");
    assert_eq!(matched.as_str(), "/api/v2/books");
    assert!(rest.is_some_and(|rest| rest.get::<OriginalUri>().is_none()));
}
