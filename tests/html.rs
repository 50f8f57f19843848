//! `html_fragment!`, `html_page!` and the HTMX helpers, rendered and served over a real socket:
//! Ktor's exact fragment output, escaping, maud interop both ways, statuses, `HX-*` headers, one
//! handler answering a page or a fragment, and no partial HTML when building it fails.
#![deny(warnings)]

use axum::{body::Body, response::IntoResponse};
use http::{Request, StatusCode};
use oxtor::{
    html::{HxPushUrl, HxRetarget, HxTrigger},
    prelude::*,
    testing::TestApplication,
};

struct Book {
    title: String,
    year: u16,
}

fn books() -> Vec<Book> {
    vec![
        Book {
            title: "Dune".into(),
            year: 1965,
        },
        Book {
            title: "<script>alert(1)</script>".into(),
            year: 2024,
        },
    ]
}

fn book_list(books: &[Book]) -> HtmlFragment {
    html_fragment! {
        ul #books {
            @for b in books { li data-year=(b.year) { (b.title) } }
        }
    }
}

#[test]
fn a_fragment_is_exactly_ktors_output() {
    let f = html_fragment! { div { "This is an HTML fragment" } };
    assert_eq!(f.as_str(), "<div>This is an HTML fragment</div>");
}

#[test]
fn sibling_roots_and_bare_text_are_back_to_back() {
    let f = html_fragment! { span { "a" } "text & more" span { "b" } };
    assert_eq!(f.as_str(), "<span>a</span>text &amp; more<span>b</span>");
}

#[test]
fn a_script_title_is_escaped() {
    let f = book_list(&books());
    assert_eq!(
        f.as_str(),
        concat!(
            r#"<ul id="books"><li data-year="1965">Dune</li>"#,
            r#"<li data-year="2024">&lt;script&gt;alert(1)&lt;/script&gt;</li></ul>"#
        )
    );
}

#[test]
fn attribute_values_are_escaped() {
    let v = "\"><script>";
    let f = html_fragment! { a href=(v) title="a\"b" { "x" } };
    assert_eq!(
        f.as_str(),
        "<a href=\"&quot;&gt;&lt;script&gt;\" title=\"a&quot;b\">x</a>"
    );
}

#[test]
fn htmx_and_alpine_attribute_names_pass_through() {
    let f = html_fragment! {
        button hx-post="/books" hx-target="#books" hx-swap="beforeend" hx-on:click="x()"
            hx-on::after-request="this.reset()" "@click.prevent"="open = !open" x-data="{open: false}"
            :class="{ 'on': open }" @click="go()" { "Add" }
    };
    assert_eq!(
        f.as_str(),
        concat!(
            r##"<button hx-post="/books" hx-target="#books" hx-swap="beforeend" hx-on:click="x()" "##,
            r#"hx-on::after-request="this.reset()" @click.prevent="open = !open" x-data="{open: false}" "#,
            r#":class="{ 'on': open }" @click="go()">Add</button>"#
        )
    );
}

#[test]
fn classes_ids_toggles_and_optional_attributes() {
    let (on, off, href): (bool, bool, Option<&str>) = (true, false, Some("/x"));
    let none: Option<&str> = None;
    let f = html_fragment! {
        div.a.b[on].c[off] #main data-n=(42) { }
        p.x[off].y[on] { }
        p.z[off] { }
        a href=[href] title=[none] { }
        input type="checkbox" checked[on] disabled[off];
        a href={ "/books/" (7) "?q=" (on) } { }
    };
    assert_eq!(
        f.as_str(),
        concat!(
            r#"<div class="a b" id="main" data-n="42"></div>"#,
            r#"<p class="y"></p><p class=""></p>"#,
            r#"<a href="/x"></a>"#,
            r#"<input type="checkbox" checked>"#,
            r#"<a href="/books/7?q=true"></a>"#
        )
    );
}

#[test]
fn control_flow() {
    let items = [1, 2, 3];
    let pick: Option<&str> = Some("s");
    let f = html_fragment! {
        @for i in &items {
            @if *i == 1 { "one" } @else if *i == 2 { "two" } @else { (i) }
        }
        @if let Some(p) = pick { b { (p) } }
        @let n = items.len();
        @match n { 3 => "three", _ => { "other" } }
        @let mut it = [0, 1].into_iter();
        @while let Some(k) = it.next() { i { (k) } }
        (std::net::Ipv4Addr::LOCALHOST)
    };
    assert_eq!(f.as_str(), "onetwo3<b>s</b>three<i>0</i><i>1</i>127.0.0.1");
}

#[test]
fn maud_components_splice_in_and_fragments_splice_into_maud() {
    let inner = html_fragment! { em { "mine" } };
    let from_maud = maud::html! { p { (inner) } };
    assert_eq!(from_maud.into_string(), "<p><em>mine</em></p>");
    let component = maud::html! { strong { "maud" } };
    let ours = html_fragment! { div { (component) } };
    assert_eq!(ours.as_str(), "<div><strong>maud</strong></div>");
}

#[test]
fn a_page_starts_with_the_doctype() {
    let name = "John";
    let page = html_page! { html { body { h1 { "Hello, " (name) } } } };
    assert_eq!(
        page.as_str(),
        "<!DOCTYPE html><html><body><h1>Hello, John</h1></body></html>"
    );
}

#[route(GET, "/fragment")]
async fn fragment() -> HtmlFragment {
    html_fragment! { div { "This is an HTML fragment" } }
}

#[route(POST, "/created")]
async fn created() -> impl IntoResponse {
    (
        HxTrigger::new("bookAdded"),
        HxPushUrl::new("/books/1"),
        HxRetarget::new("#books"),
        respond_html_fragment(StatusCode::CREATED, html_fragment! { span { "Created!" } }),
    )
}

#[route(GET, "/page")]
async fn page() -> HtmlPage {
    html_page! { html { body { "hi" } } }
}

#[route(GET, "/books.html")]
async fn book_page(hx: HxRequest) -> impl IntoResponse {
    hx.fragment_or_page(book_list(&books()), |list| {
        html_page! { html { head { title { "Books" } } body { h1 { "Books" } (list) } } }
    })
}

/// An error the application turns into Ktor's default error response: 500 and the message.
struct AppError(String);

impl IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.0).into_response()
    }
}

fn load(i: u32) -> Result<String, AppError> {
    if i < 2 {
        Ok(format!("row {i}"))
    } else {
        Err(AppError(format!("cannot load row {i}")))
    }
}

#[route(GET, "/failing")]
async fn failing() -> Result<HtmlFragment, AppError> {
    Ok(html_fragment! { ul { @for i in 0..3 { li { (load(i)?) } } } })
}

async fn server() -> TestApplication {
    let mut app = Application::new(());
    app.routing(routing! { fragment, created, page, book_page, failing })
        .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

fn get(path: &str, htmx: bool) -> Request<Body> {
    let mut req = Request::get(path);
    if htmx {
        req = req.header("HX-Request", "true");
    }
    req.body(Body::empty()).expect("valid request")
}

#[tokio::test]
async fn a_fragment_responds_text_html_with_content_length() {
    let server = server().await;
    let res = server.get("/fragment").await.expect("response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(res.headers()["content-length"], "35");
    assert_eq!(
        res.text().expect("utf-8"),
        "<div>This is an HTML fragment</div>"
    );
}

#[tokio::test]
async fn a_fragment_with_status_created_and_hx_headers() {
    let server = server().await;
    let req = Request::post("/created")
        .body(Body::empty())
        .expect("valid request");
    let res = server.send(req).await.expect("response");
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(res.headers()["hx-trigger"], "bookAdded");
    assert_eq!(res.headers()["hx-push-url"], "/books/1");
    assert_eq!(res.headers()["hx-retarget"], "#books");
    assert_eq!(res.text().expect("utf-8"), "<span>Created!</span>");
}

#[tokio::test]
async fn a_page_responds_with_the_doctype() {
    let server = server().await;
    let res = server.get("/page").await.expect("response");
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        res.text().expect("utf-8"),
        "<!DOCTYPE html><html><body>hi</body></html>"
    );
}

#[tokio::test]
async fn one_handler_answers_the_page_or_the_fragment_and_varies() {
    let server = server().await;
    let page = server
        .send(get("/books.html", false))
        .await
        .expect("response");
    assert_eq!(page.headers()["vary"], "HX-Request");
    let page = page.text().expect("utf-8");
    assert!(
        page.starts_with("<!DOCTYPE html><html><head><title>Books</title>"),
        "{page}"
    );
    assert!(page.contains("<ul id=\"books\">"), "{page}");

    let fragment = server
        .send(get("/books.html", true))
        .await
        .expect("response");
    assert_eq!(fragment.headers()["vary"], "HX-Request");
    assert!(fragment
        .text()
        .expect("utf-8")
        .starts_with("<ul id=\"books\">"));
}

#[tokio::test]
async fn a_history_restore_request_gets_the_whole_page() {
    let server = server().await;
    let mut req = get("/books.html", true);
    req.headers_mut().insert(
        "HX-History-Restore-Request",
        http::HeaderValue::from_static("true"),
    );
    let res = server.send(req).await.expect("response");
    assert!(res.text().expect("utf-8").starts_with("<!DOCTYPE html>"));
}

#[tokio::test]
async fn a_failure_while_building_sends_the_error_and_no_partial_html() {
    let server = server().await;
    let res = server.get("/failing").await.expect("response");
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(res.text().expect("utf-8"), "cannot load row 2");
}
