//! [`CorsLayer`] and its service: Ktor's checks, preflight answers and response headers.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
};

use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use super::{origin, Settings, SIMPLE_CONTENT_TYPES};
use crate::{headers::insert_header, origin::Requested};

/// The tower layer of [`CORS`](super::CORS).
#[derive(Clone)]
pub struct CorsLayer {
    settings: Arc<Settings>,
}

impl std::fmt::Debug for CorsLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorsLayer").finish_non_exhaustive()
    }
}

impl CorsLayer {
    pub(crate) fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

impl<S> Layer<S> for CorsLayer {
    type Service = CorsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CorsService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`CorsLayer`].
#[derive(Clone)]
pub struct CorsService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> std::fmt::Debug for CorsService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CorsService").finish_non_exhaustive()
    }
}

/// What the layer decided about a request.
enum Decision {
    /// Not a CORS request (or a same-origin one): pass it on.
    Pass,
    /// Answer now.
    Respond(StatusCode, HeaderMap),
    /// Pass it on, then add these headers.
    Allow(HeaderMap),
}

impl Settings {
    fn vary(&self) -> bool {
        !self.any_host || self.allow_credentials
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_host {
            return true;
        }
        let normalized = origin::normalize(origin);
        self.hosts.contains(&normalized)
            || self.wildcards.iter().any(|(p, s)| {
                normalized.starts_with(p.as_str()) && normalized.ends_with(s.as_str())
            })
            || self.origin_predicates.iter().any(|p| p(origin))
    }

    fn header_allowed(&self, name: &str) -> bool {
        self.all_headers.contains(name) || self.header_predicates.iter().any(|p| p(name))
    }

    fn allow_origin(&self, origin: &HeaderValue, out: &mut HeaderMap) {
        let value = if self.any_host && !self.allow_credentials {
            HeaderValue::from_static("*")
        } else {
            origin.clone()
        };
        insert_header(out, header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if self.allow_credentials {
            insert_header(
                out,
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }

    fn decide<B>(&self, req: &Request<B>) -> Decision {
        let mut origins = req.headers().get_all(header::ORIGIN).iter();
        let (Some(origin_value), None) = (origins.next(), origins.next()) else {
            return Decision::Pass;
        };
        let Ok(origin) = origin_value.to_str() else {
            return Decision::Pass;
        };
        if !origin::is_valid(origin) {
            return Decision::Pass;
        }
        let preflight = req.method() == Method::OPTIONS;
        let forbidden = || Decision::Respond(StatusCode::FORBIDDEN, HeaderMap::new());
        if self.allow_same_origin && is_same_origin(origin, req) {
            if !(preflight
                && req
                    .headers()
                    .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD))
            {
                return Decision::Pass;
            }
        } else if !self.origin_allowed(origin) {
            return forbidden();
        }
        if !self.allow_non_simple_content_types {
            if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
                let essence = ct
                    .to_str()
                    .unwrap_or("")
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if !SIMPLE_CONTENT_TYPES.contains(&essence.as_str()) {
                    return forbidden();
                }
            }
        }
        let mut out = HeaderMap::new();
        if preflight {
            let method = req
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
            if !method.is_some_and(|m| self.methods.contains(&m)) {
                return forbidden();
            }
            let requested: Vec<String> = req
                .headers()
                .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect();
            if !requested.iter().all(|h| self.header_allowed(h)) {
                return forbidden();
            }
            self.allow_origin(origin_value, &mut out);
            insert_header(
                &mut out,
                header::ACCESS_CONTROL_ALLOW_METHODS,
                self.methods_value.clone(),
            );
            let mut list: Vec<&str> = self.headers_list.iter().map(String::as_str).collect();
            list.extend(
                requested
                    .iter()
                    .filter(|h| self.header_predicates.iter().any(|p| p(h)))
                    .map(String::as_str),
            );
            list.sort_unstable();
            if let Ok(v) = HeaderValue::try_from(list.join(", ")) {
                insert_header(&mut out, header::ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
            if let Some(max_age) = &self.max_age_value {
                insert_header(&mut out, header::ACCESS_CONTROL_MAX_AGE, max_age.clone());
            }
            return Decision::Respond(StatusCode::OK, out);
        }
        if !self.methods.contains(req.method()) {
            return forbidden();
        }
        self.allow_origin(origin_value, &mut out);
        if let Some(exposed) = &self.exposed_value {
            insert_header(
                &mut out,
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                exposed.clone(),
            );
        }
        Decision::Allow(out)
    }
}

/// Ktor's `isSameOrigin`: the origin names this server (what the client asked for, as
/// [`RequestOrigin`](crate::origin::RequestOrigin) says: as a trusted proxy reported it when
/// `XForwardedHeaders` runs first).
fn is_same_origin<B>(origin: &str, req: &Request<B>) -> bool {
    let own = Requested::of(req);
    if own.host.is_empty() {
        return false;
    }
    // Equal normalized forms begin alike: the origin (lowercased, one trailing `/` removed)
    // starts as `scheme://host` does, as far as both go. Most CORS requests come from another
    // host and are told apart here, before either form is built.
    let asked = origin.strip_suffix('/').unwrap_or(origin).bytes();
    let prefix = own.scheme.bytes().chain(*b"://").chain(own.host.bytes());
    if !asked.zip(prefix).all(|(a, b)| a.eq_ignore_ascii_case(&b)) {
        return false;
    }
    let own = format!("{}://{}:{}", own.scheme, own.host, own.port);
    origin::normalize(&own) == origin::normalize(origin)
}

impl<S, B, ResB> Service<Request<B>> for CorsService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let vary = self.settings.vary();
        match self.settings.decide(&req) {
            Decision::Pass => ResponseFuture::inner(self.inner.call(req), HeaderMap::new(), vary),
            Decision::Allow(headers) => ResponseFuture::inner(self.inner.call(req), headers, vary),
            Decision::Respond(status, headers) => ResponseFuture {
                kind: Kind::Ready {
                    status: Some(status),
                },
                headers,
                vary,
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`CorsService`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
        headers: HeaderMap,
        vary: bool,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Ready { status: Option<StatusCode> },
    }
}

impl<F> ResponseFuture<F> {
    fn inner(future: F, headers: HeaderMap, vary: bool) -> Self {
        Self {
            kind: Kind::Inner { future },
            headers,
            vary,
        }
    }
}

impl<F> std::fmt::Debug for ResponseFuture<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, ResB, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = match this.kind.project() {
            KindProj::Inner { future } => ready!(future.poll(cx))?,
            KindProj::Ready { status } => {
                let mut res = Response::new(ResB::default());
                *res.status_mut() = status.take().unwrap_or(StatusCode::FORBIDDEN);
                res
            }
        };
        let headers = res.headers_mut();
        for (name, value) in this.headers.drain() {
            if let Some(name) = name {
                insert_header(headers, name, value);
            }
        }
        if *this.vary {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        Poll::Ready(Ok(res))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ktor's definition, built in full: what the early rejection must agree with.
    fn by_definition(origin: &str, host: &str) -> bool {
        let req = Request::get("/").header("host", host).body(()).unwrap();
        let own = crate::origin::RequestOrigin::of(&req);
        let own = format!("{}://{}:{}", own.scheme, own.host, own.port);
        origin::normalize(&own) == origin::normalize(origin)
    }

    #[test]
    fn same_origin_agrees_with_the_normalized_forms() {
        let hosts = [
            "example.com",
            "Example.COM:80",
            "example.com:8080",
            "[::1]:9",
            "h",
            "a/b",
        ];
        let origins = [
            "http://example.com",
            "HTTP://EXAMPLE.com/",
            "http://example.com:80",
            "http://example.com:8080",
            "https://example.com",
            "http://example.co",
            "http://example.com.evil",
            "http://[::1]:9",
            "http://h",
            "http://h:80/",
            "http://a/b",
            "null",
            "http://",
        ];
        for host in hosts {
            for origin in origins {
                let req = Request::get("/").header("host", host).body(()).unwrap();
                assert_eq!(
                    is_same_origin(origin, &req),
                    by_definition(origin, host),
                    "{origin} from {host}"
                );
            }
        }
        let req = Request::get("/")
            .header("host", "example.com")
            .body(())
            .unwrap();
        assert!(is_same_origin("http://example.com", &req));
        assert!(!is_same_origin("http://example.com:8080", &req));
    }
}
