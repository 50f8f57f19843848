//! [`HtmlFragment`] and [`HtmlPage`]: rendered HTML that responds as
//! `text/html; charset=utf-8`, and [`HtmlResponse`] for the same with a chosen status.
use std::fmt;

use axum::{
    body::Body,
    response::{IntoResponse, Response},
};
use http::{header::CONTENT_TYPE, HeaderValue, StatusCode};
use maud::{Markup, PreEscaped, Render};

/// The `Content-Type` of every HTML response: `text/html; charset=utf-8`.
pub const TEXT_HTML_UTF_8: &str = "text/html; charset=utf-8";

/// A piece of HTML (any number of roots, or bare text): what `html_fragment! { .. }` builds,
/// Ktor's `respondHtmlFragment`.
///
/// It responds `200 OK` with `text/html; charset=utf-8` and a known `Content-Length`; use
/// [`respond_html_fragment`] or [`with_status`](Self::with_status) for another status. It is a
/// maud [`Render`] value, so it can be spliced into another fragment or into maud's `html!`, and
/// maud's [`Markup`] converts into it. See the [module docs](crate::html).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct HtmlFragment(String);

impl HtmlFragment {
    /// An empty fragment.
    pub const fn empty() -> Self {
        Self(String::new())
    }

    /// Wraps HTML that is already escaped. Nothing is checked: the caller vouches for it (maud's
    /// [`PreEscaped`]).
    pub fn pre_escaped(html: impl Into<String>) -> Self {
        Self(html.into())
    }

    /// The HTML text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The HTML text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// The same fragment as maud's [`Markup`].
    pub fn into_markup(self) -> Markup {
        PreEscaped(self.0)
    }

    /// This fragment answered with `status` (Ktor's `respondHtmlFragment(status)`).
    pub fn with_status(self, status: StatusCode) -> HtmlResponse {
        respond_html_fragment(status, self)
    }
}

impl fmt::Debug for HtmlFragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HtmlFragment").field(&self.0).finish()
    }
}

impl Render for HtmlFragment {
    fn render_to(&self, buffer: &mut String) {
        buffer.push_str(&self.0);
    }
}

impl From<Markup> for HtmlFragment {
    fn from(markup: Markup) -> Self {
        Self(markup.0)
    }
}

impl From<HtmlFragment> for Markup {
    fn from(fragment: HtmlFragment) -> Self {
        fragment.into_markup()
    }
}

impl IntoResponse for HtmlFragment {
    fn into_response(self) -> Response {
        html_response(StatusCode::OK, self.0)
    }
}

/// A whole HTML document, starting with `<!DOCTYPE html>`: what `html_page! { .. }` builds,
/// Ktor's `respondHtml`.
///
/// Unlike Ktor's `respondHtml` the document is not pretty-printed: it is sent exactly as written
/// (no indentation, no newlines added), like a fragment. It responds `200 OK` with
/// `text/html; charset=utf-8`; see [`respond_html`] for another status.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct HtmlPage(String);

impl HtmlPage {
    /// The doctype every page starts with.
    pub const DOCTYPE: &'static str = "<!DOCTYPE html>";

    /// A page whose content after `<!DOCTYPE html>` is `body` (usually an `html` element).
    pub fn new(body: impl Render) -> Self {
        let mut out = String::from(Self::DOCTYPE);
        body.render_to(&mut out);
        Self(out)
    }

    /// Wraps a whole document that is already escaped and starts with its doctype. Nothing is
    /// checked.
    pub fn pre_escaped(document: impl Into<String>) -> Self {
        Self(document.into())
    }

    /// The document text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document text, owned.
    pub fn into_string(self) -> String {
        self.0
    }

    /// This page answered with `status`.
    pub fn with_status(self, status: StatusCode) -> HtmlResponse {
        respond_html(status, self)
    }
}

impl fmt::Debug for HtmlPage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HtmlPage").field(&self.0).finish()
    }
}

impl IntoResponse for HtmlPage {
    fn into_response(self) -> Response {
        html_response(StatusCode::OK, self.0)
    }
}

/// An HTML fragment or page with its status, as built by [`respond_html_fragment`] and
/// [`respond_html`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlResponse {
    status: StatusCode,
    body: String,
}

impl HtmlResponse {
    /// The status it responds with.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The HTML it responds with.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl IntoResponse for HtmlResponse {
    fn into_response(self) -> Response {
        html_response(self.status, self.body)
    }
}

/// Ktor's `respondHtmlFragment(status) { .. }`: `fragment` as `text/html; charset=utf-8` with
/// `status`. The fragment is rendered before anything is sent, so a handler that fails while
/// building it (`?` inside `html_fragment!`) sends its error response and no partial HTML.
pub fn respond_html_fragment(status: StatusCode, fragment: HtmlFragment) -> HtmlResponse {
    HtmlResponse {
        status,
        body: fragment.0,
    }
}

/// Ktor's `respondHtml(status) { .. }`: a whole `page` as `text/html; charset=utf-8` with
/// `status`.
pub fn respond_html(status: StatusCode, page: HtmlPage) -> HtmlResponse {
    HtmlResponse {
        status,
        body: page.0,
    }
}

/// A complete `text/html; charset=utf-8` response; the body's length is known, so it is sent
/// with `Content-Length`.
pub(crate) fn html_response(status: StatusCode, body: String) -> Response {
    let mut res = Response::new(Body::from(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_HTML_UTF_8));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_renders_unescaped_inside_markup() {
        let inner = HtmlFragment::pre_escaped("<b>x</b>");
        let mut out = String::new();
        inner.render_to(&mut out);
        assert_eq!(out, "<b>x</b>");
        assert_eq!(Markup::from(inner).into_string(), "<b>x</b>");
    }

    #[test]
    fn page_starts_with_the_doctype() {
        let page = HtmlPage::new(HtmlFragment::pre_escaped("<html></html>"));
        assert_eq!(page.as_str(), "<!DOCTYPE html><html></html>");
    }

    #[test]
    fn fragment_with_status_keeps_body_and_status() {
        let res =
            HtmlFragment::pre_escaped("<span>Created!</span>").with_status(StatusCode::CREATED);
        assert_eq!(res.status(), StatusCode::CREATED);
        assert_eq!(res.body(), "<span>Created!</span>");
        let res = res.into_response();
        assert_eq!(res.headers()[CONTENT_TYPE], TEXT_HTML_UTF_8);
    }
}
