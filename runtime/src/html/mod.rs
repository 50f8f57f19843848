//! HTML responses (feature `html`): [`HtmlFragment`] (Ktor's `respondHtmlFragment`), whole
//! pages ([`HtmlPage`], Ktor's `respondHtml`), and HTMX support ([`HxRequest`], the `HX-*`
//! response headers, one handler answering a page or a fragment).
//!
//! The facade's `html_fragment! { .. }` and `html_page! { .. }` macros build these values with
//! maud's syntax (`div.books { @for b in &books { li { (b.title) } } }`); they parse it
//! themselves and expand to maud's runtime ([`maud::Render`], its escaping), so an application
//! needs no maud dependency, and maud components (`impl Render`) splice in both ways.
//!
//! - Both respond `text/html; charset=utf-8` with a `Content-Length`, `200 OK` unless given a
//!   status ([`respond_html_fragment`], [`respond_html`], `with_status`).
//! - A fragment may have several roots or bare text; nothing is added around it
//!   (`<div>This is an HTML fragment</div>`). A page is `<!DOCTYPE html>` followed by its content,
//!   not pretty-printed (Ktor's `respondHtml` indents; oxtor sends what was written).
//! - The HTML is rendered before the response starts: a handler returning
//!   `Result<HtmlFragment, E>` that fails half-way sends `E`'s response and no partial HTML.
//!
//! # Example
//! ```
//! use oxtor_runtime::{html::{HtmlFragment, HxRequest, HxTrigger, respond_html_fragment}, Application, testing::TestApplication};
//! use axum::{routing::{get, post}, Router};
//! use http::StatusCode;
//!
//! async fn add() -> (HxTrigger, oxtor_runtime::html::HtmlResponse) {
//!     let row = HtmlFragment::pre_escaped("<li>Dune</li>");
//!     (HxTrigger::new("bookAdded"), respond_html_fragment(StatusCode::CREATED, row))
//! }
//! async fn books(hx: HxRequest) -> impl axum::response::IntoResponse {
//!     let list = HtmlFragment::pre_escaped("<ul id=\"books\"></ul>");
//!     hx.fragment_or_page(list, |list| oxtor_runtime::html::HtmlPage::new(list))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.routing(Router::new().route("/books", post(add).get(books)))?;
//! let server = TestApplication::start(app).await?;
//!
//! let req = http::Request::post("/books").body(axum::body::Body::empty()).expect("valid request");
//! let res = server.send(req).await?;
//! assert_eq!(res.status(), StatusCode::CREATED);
//! assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
//! assert_eq!(res.headers()["hx-trigger"], "bookAdded");
//! assert_eq!(res.text()?, "<li>Dune</li>");
//!
//! let page = server.get("/books").await?;
//! assert_eq!(page.headers()["vary"], "HX-Request");
//! assert_eq!(page.text()?, "<!DOCTYPE html><ul id=\"books\"></ul>");
//! let req = http::Request::get("/books").header("hx-request", "true").body(axum::body::Body::empty()).expect("valid request");
//! assert_eq!(server.send(req).await?.text()?, "<ul id=\"books\"></ul>");
//! # Ok(()) }
//! ```
mod fragment;
mod htmx;
#[doc(hidden)]
pub mod splice;

#[doc(inline)]
pub use fragment::{
    respond_html, respond_html_fragment, HtmlFragment, HtmlPage, HtmlResponse, TEXT_HTML_UTF_8,
};
#[doc(inline)]
pub use htmx::{
    FragmentOrPage, HxLocation, HxPushUrl, HxRedirect, HxRefresh, HxReplaceUrl, HxRequest,
    HxReselect, HxReswap, HxRetarget, HxTrigger, HxTriggerAfterSettle, HxTriggerAfterSwap,
    InvalidHxHeader,
};
/// maud's rendering trait and pre-escaped wrapper, for components: `impl Render for MyWidget`
/// splices into `html_fragment!` as `(widget)`.
#[doc(no_inline)]
pub use maud::{Markup, PreEscaped, Render};
