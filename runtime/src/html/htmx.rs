//! HTMX on the server: the [`HxRequest`] extractor (what an htmx request says about itself),
//! typed `HX-*` response headers, and [`HxRequest::fragment_or_page`] for a handler that answers
//! a whole page to a browser and only the fragment to htmx, with `Vary: HX-Request`.
use std::convert::Infallible;

use axum::{
    extract::FromRequestParts,
    response::{IntoResponse, IntoResponseParts, Response, ResponseParts},
};
use http::{
    header::{HeaderName, VARY},
    request::Parts,
    HeaderMap, HeaderValue, StatusCode,
};

use super::fragment::{html_response, HtmlFragment, HtmlPage};

/// Extractor: the `HX-*` request headers htmx sends. Never rejects: a request without them is
/// a plain browser request ([`is_htmx`](Self::is_htmx) is `false`).
///
/// See the [module docs](crate::html) for an example.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HxRequest {
    request: bool,
    boosted: bool,
    history_restore: bool,
    current_url: Option<String>,
    target: Option<String>,
    trigger: Option<String>,
    trigger_name: Option<String>,
    prompt: Option<String>,
}

impl HxRequest {
    /// Reads the `HX-*` headers of a request.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let flag = |name: &str| {
            headers
                .get(name)
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
        };
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Self {
            request: flag("hx-request"),
            boosted: flag("hx-boosted"),
            history_restore: flag("hx-history-restore-request"),
            current_url: text("hx-current-url"),
            target: text("hx-target"),
            trigger: text("hx-trigger"),
            trigger_name: text("hx-trigger-name"),
            prompt: text("hx-prompt"),
        }
    }

    /// `HX-Request: true`: htmx sent this request.
    pub fn is_htmx(&self) -> bool {
        self.request
    }

    /// `HX-Boosted: true`: a link or form boosted with `hx-boost`, which swaps in a whole page.
    pub fn is_boosted(&self) -> bool {
        self.boosted
    }

    /// `HX-History-Restore-Request: true`: htmx lost its history snapshot and asks for the
    /// whole page.
    pub fn is_history_restore(&self) -> bool {
        self.history_restore
    }

    /// Whether to answer only a fragment: an htmx request that is neither boosted nor a history
    /// restore (both of those swap in the whole page).
    pub fn wants_fragment(&self) -> bool {
        self.request && !self.boosted && !self.history_restore
    }

    /// `HX-Current-URL`: the browser's URL.
    pub fn current_url(&self) -> Option<&str> {
        self.current_url.as_deref()
    }

    /// `HX-Target`: the `id` of the target element.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// `HX-Trigger`: the `id` of the element that triggered the request.
    pub fn trigger(&self) -> Option<&str> {
        self.trigger.as_deref()
    }

    /// `HX-Trigger-Name`: the `name` of the element that triggered the request.
    pub fn trigger_name(&self) -> Option<&str> {
        self.trigger_name.as_deref()
    }

    /// `HX-Prompt`: the user's answer to an `hx-prompt`.
    pub fn prompt(&self) -> Option<&str> {
        self.prompt.as_deref()
    }

    /// Answers `fragment` alone to an htmx request that [wants a
    /// fragment](Self::wants_fragment), else the page `page` builds around it; either way with
    /// `Vary: HX-Request` so caches keep the two apart. `page` runs only when needed.
    pub fn fragment_or_page(
        &self,
        fragment: HtmlFragment,
        page: impl FnOnce(HtmlFragment) -> HtmlPage,
    ) -> FragmentOrPage {
        let body = if self.wants_fragment() {
            fragment.into_string()
        } else {
            page(fragment).into_string()
        };
        FragmentOrPage { body }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for HxRequest {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(Self::from_headers(&parts.headers))
    }
}

/// The response of [`HxRequest::fragment_or_page`]: HTML with `Vary: HX-Request`.
#[derive(Debug, Clone)]
pub struct FragmentOrPage {
    body: String,
}

impl FragmentOrPage {
    /// The HTML it responds with.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl IntoResponse for FragmentOrPage {
    fn into_response(self) -> Response {
        let mut res = html_response(StatusCode::OK, self.body);
        res.headers_mut()
            .append(VARY, HeaderValue::from_static("HX-Request"));
        res
    }
}

/// An `HX-*` response header whose value is not a valid header value (a newline in a URL);
/// responds 500 naming the header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for response header `{0}`")]
pub struct InvalidHxHeader(pub &'static str);

impl IntoResponse for InvalidHxHeader {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

macro_rules! hx_headers {
    ($($(#[$doc:meta])* $name:ident => $header:literal;)*) => {$(
        $(#[$doc])*
        ///
        /// Returned next to the body (`(header, fragment)`), it sets the header; a value that is
        /// not a valid header value makes the response [`InvalidHxHeader`].
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub String);

        impl $name {
            /// The header with `value`.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }
        }

        impl IntoResponseParts for $name {
            type Error = InvalidHxHeader;

            fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, InvalidHxHeader> {
                let value = HeaderValue::try_from(self.0).map_err(|_| InvalidHxHeader($header))?;
                res.headers_mut().insert(HeaderName::from_static($header), value);
                Ok(res)
            }
        }
    )*};
}

hx_headers! {
    /// `HX-Location`: a client-side redirect without a full reload (a path, or htmx's JSON form).
    HxLocation => "hx-location";
    /// `HX-Push-Url`: pushes a URL into the browser's history (`"false"` prevents it).
    HxPushUrl => "hx-push-url";
    /// `HX-Redirect`: a client-side redirect with a full reload.
    HxRedirect => "hx-redirect";
    /// `HX-Refresh`: `"true"` makes the client reload the whole page.
    HxRefresh => "hx-refresh";
    /// `HX-Replace-Url`: replaces the current URL in the location bar.
    HxReplaceUrl => "hx-replace-url";
    /// `HX-Reswap`: how the response is swapped in (`outerHTML`, `beforeend`, …).
    HxReswap => "hx-reswap";
    /// `HX-Retarget`: a CSS selector that replaces the target of the swap.
    HxRetarget => "hx-retarget";
    /// `HX-Reselect`: a CSS selector choosing which part of the response is swapped in.
    HxReselect => "hx-reselect";
    /// `HX-Trigger`: client-side events to trigger as soon as the response is received
    /// (`"bookAdded"`, `"a, b"`, or htmx's JSON form; see [`HxTrigger::json`]).
    HxTrigger => "hx-trigger";
    /// `HX-Trigger-After-Settle`: events to trigger after the settle step.
    HxTriggerAfterSettle => "hx-trigger-after-settle";
    /// `HX-Trigger-After-Swap`: events to trigger after the swap step.
    HxTriggerAfterSwap => "hx-trigger-after-swap";
}

impl HxTrigger {
    /// Events with details, in htmx's JSON form: `{"showMessage": "Saved"}`.
    pub fn json(events: &serde_json::Value) -> Self {
        Self(events.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn a_plain_request_is_not_htmx() {
        let hx = HxRequest::from_headers(&HeaderMap::new());
        assert!(!hx.is_htmx());
        assert!(!hx.wants_fragment());
    }

    #[test]
    fn an_htmx_request_wants_a_fragment_with_its_details() {
        let hx = HxRequest::from_headers(&headers(&[
            ("hx-request", "true"),
            ("hx-target", "books"),
            ("hx-trigger-name", "q"),
        ]));
        assert!(hx.wants_fragment());
        assert_eq!(hx.target(), Some("books"));
        assert_eq!(hx.trigger_name(), Some("q"));
    }

    #[test]
    fn a_history_restore_request_wants_the_page() {
        let hx = HxRequest::from_headers(&headers(&[
            ("hx-request", "true"),
            ("hx-history-restore-request", "true"),
        ]));
        assert!(hx.is_htmx() && hx.is_history_restore());
        assert!(!hx.wants_fragment());
    }

    #[test]
    fn a_boosted_request_wants_the_page() {
        let hx =
            HxRequest::from_headers(&headers(&[("hx-request", "true"), ("hx-boosted", "true")]));
        assert!(!hx.wants_fragment());
    }

    #[test]
    fn fragment_or_page_builds_the_page_only_when_needed_and_varies() {
        let page = |f: HtmlFragment| HtmlPage::new(f);
        let hx = HxRequest::from_headers(&headers(&[("hx-request", "true")]));
        let res = hx.fragment_or_page(HtmlFragment::pre_escaped("<li>x</li>"), |_| {
            unreachable!("an htmx request gets the fragment")
        });
        assert_eq!(res.body(), "<li>x</li>");
        let res =
            HxRequest::default().fragment_or_page(HtmlFragment::pre_escaped("<li>x</li>"), page);
        assert_eq!(res.body(), "<!DOCTYPE html><li>x</li>");
        assert_eq!(res.into_response().headers()[VARY], "HX-Request");
    }

    #[test]
    fn an_hx_header_with_a_newline_is_an_error_not_a_panic() {
        let res = (HxRedirect::new("/a\nb"), "body").into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let res = (HxTrigger::json(&serde_json::json!({"saved": 1})), "body").into_response();
        assert_eq!(res.headers()["hx-trigger"], r#"{"saved":1}"#);
    }
}
