//! `DefaultRequest`: a URL, headers and attributes merged into every request, with Ktor's rules.
//!
//! The config block runs **per request**, on a [`DefaultRequestBuilder`] whose headers start as
//! the request's own (so `append_if_name_absent` sees them).
//!
//! URL (`mergeUrls`): a request without a protocol takes the default's. If the request URL has a
//! host (absolute or `//host/..`), nothing else is merged. Otherwise the result is the default URL
//! with the request's port (if not 0), the path resolved as RFC 3986 does (empty → default,
//! absolute → request, relative → default's directory + request), the request's fragment if
//! non-empty, and the request's query plus default parameters whose keys it lacks.
//!
//! Headers: for each header the user set, the user's values come first, then default values not
//! already present; headers only in the defaults are added. `Cookie` is left as the block built it
//! (user cookies, then default cookies, in one header). oxtor differs from Ktor in one place:
//! single-valued headers (`Content-Type`, `Content-Length`, `Host`) keep only the user's value
//! rather than sending two values on the wire (Ktor's `headers[name]` reads the user's too).
//!
//! Attributes: default attributes are copied when the request has none of that type.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::HttpClient;
//!
//! # fn main() -> Result<(), oxtor_runtime::client::ClientError> {
//! let client = HttpClient::configure(|cfg| {
//!     cfg.default_request(|d| {
//!         d.url("http://base.url/path/");
//!         d.headers(|h| { h.append("X-Default", "1"); });
//!     });
//! })?;
//! let req = client.get("file").prepared()?;
//! assert_eq!(req.url_ref().to_string(), "http://base.url/path/file");
//! assert_eq!(req.headers_ref().get("x-default"), Some("1"));
//! # Ok(()) }
//! ```
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST};

use super::{ClientPlugin, ConfigBlocks, PluginScope};
use crate::client::{
    error::ClientError,
    request::{Attributes, Headers, HttpRequestBuilder},
    url::UrlBuilder,
};

/// The `DefaultRequest` plugin; see the [module docs](self).
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultRequest;

/// The builder a `default_request { .. }` block edits, once per request.
#[derive(Debug, Clone, Default)]
pub struct DefaultRequestBuilder {
    url: UrlBuilder,
    headers: Headers,
    attributes: Attributes,
}

impl DefaultRequestBuilder {
    /// Merges `url` (parsed) into the default URL: set parts replace the current ones.
    pub fn url(&mut self, url: &str) -> &mut Self {
        let parsed = UrlBuilder::parse(url);
        self.url = parsed.merged_onto(&self.url);
        self
    }
    /// Edits the default URL in place.
    pub fn url_with(&mut self, f: impl FnOnce(&mut UrlBuilder)) -> &mut Self {
        f(&mut self.url);
        self
    }
    /// Sets the default host.
    pub fn host(&mut self, host: &str) -> &mut Self {
        self.url.set_host(host);
        self
    }
    /// Sets the default port.
    pub fn port(&mut self, port: u16) -> &mut Self {
        self.url.set_port(port);
        self
    }
    /// Sets the default protocol (`http`, `https`, ..).
    pub fn protocol(&mut self, protocol: &str) -> &mut Self {
        self.url.set_protocol(protocol);
        self
    }
    /// Edits the headers (they start as the request's own).
    pub fn headers(&mut self, f: impl FnOnce(&mut Headers)) -> &mut Self {
        f(&mut self.headers);
        self
    }
    /// Appends a default header value.
    pub fn header(&mut self, name: &str, value: &str) -> &mut Self {
        self.headers.append(name, value);
        self
    }
    /// Adds a default cookie.
    pub fn cookie(&mut self, name: &str, value: &str) -> &mut Self {
        self.headers.cookie(name, value);
        self
    }
    /// Sets the default `Content-Type`.
    pub fn content_type(&mut self, value: &str) -> &mut Self {
        self.headers.set("content-type", value);
        self
    }
    /// Stores a default attribute.
    pub fn attribute<T: Send + Sync + 'static>(&mut self, value: T) -> &mut Self {
        self.attributes.insert(value);
        self
    }
    /// The headers as built so far.
    pub fn headers_ref(&self) -> &Headers {
        &self.headers
    }
}

impl ClientPlugin for DefaultRequest {
    type Config = DefaultRequestBuilder;
    const NAME: &'static str = "DefaultRequest";

    fn install(
        blocks: ConfigBlocks<DefaultRequestBuilder>,
        scope: &mut PluginScope,
    ) -> Result<(), ClientError> {
        scope.on_request(move |req| {
            merge(&blocks, req);
            Ok(())
        });
        Ok(())
    }
}

fn merge(blocks: &ConfigBlocks<DefaultRequestBuilder>, req: &mut HttpRequestBuilder) {
    let mut defaults = DefaultRequestBuilder {
        url: UrlBuilder::new(),
        headers: req.headers.clone(),
        attributes: Attributes::default(),
    };
    blocks.apply(&mut defaults);

    req.url = req.url.merged_onto(&defaults.url);

    let user = &req.headers.map;
    let mut merged = user.clone();
    for name in defaults.headers.map.keys() {
        let produced = defaults.headers.map.get_all(name);
        if name == COOKIE || !user.contains_key(name) {
            merged.remove(name);
            for v in produced {
                merged.append(name.clone(), v.clone());
            }
        } else if name != CONTENT_TYPE && name != CONTENT_LENGTH && name != HOST {
            let user_values: Vec<_> = user.get_all(name).iter().collect();
            for v in produced {
                if !user_values.contains(&v) {
                    merged.append(name.clone(), v.clone());
                }
            }
        }
    }
    req.headers.map = merged;
    if req.headers.invalid.is_none() {
        req.headers.invalid = defaults.headers.invalid;
    }
    req.attributes.fill_from(&defaults.attributes);
}
