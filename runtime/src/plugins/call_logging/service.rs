//! [`CallLoggingLayer`] and its service: the `call` span around the inner service, one event
//! when the response head is ready.
use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{ready, Context, Poll},
    time::Instant,
};

use http::{header, Request, Response};
use tower_http::request_id::RequestId;
use tower_layer::Layer;
use tower_service::Service;
use tracing::{Level, Span};

use super::{LoggedCall, Settings};

const TARGET: &str = "oxtor::call_logging";

/// `$mac!(target: TARGET, <level>, ..)` for a level known only at run time.
macro_rules! at_level {
    ($level:expr, $mac:ident ! ( $($args:tt)* )) => {
        match $level {
            Level::ERROR => tracing::$mac!(target: TARGET, Level::ERROR, $($args)*),
            Level::WARN => tracing::$mac!(target: TARGET, Level::WARN, $($args)*),
            Level::INFO => tracing::$mac!(target: TARGET, Level::INFO, $($args)*),
            Level::DEBUG => tracing::$mac!(target: TARGET, Level::DEBUG, $($args)*),
            _ => tracing::$mac!(target: TARGET, Level::TRACE, $($args)*),
        }
    };
}

/// The tower layer of [`CallLogging`](super::CallLogging).
#[derive(Clone)]
pub struct CallLoggingLayer {
    settings: Arc<Settings>,
}

impl std::fmt::Debug for CallLoggingLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallLoggingLayer").finish_non_exhaustive()
    }
}

impl CallLoggingLayer {
    pub(crate) fn new(settings: Arc<Settings>) -> Self {
        Self { settings }
    }
}

impl<S> Layer<S> for CallLoggingLayer {
    type Service = CallLoggingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallLoggingService {
            inner,
            settings: self.settings.clone(),
        }
    }
}

/// The service of [`CallLoggingLayer`].
#[derive(Clone)]
pub struct CallLoggingService<S> {
    inner: S,
    settings: Arc<Settings>,
}

impl<S> std::fmt::Debug for CallLoggingService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallLoggingService").finish_non_exhaustive()
    }
}

impl<S, B, ResB> Service<Request<B>> for CallLoggingService<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let settings = &self.settings;
        if !at_level!(settings.level, enabled!()) {
            return ResponseFuture {
                inner: self.inner.call(req),
                state: None,
            };
        }
        let start = Instant::now();
        let (parts, body) = req.into_parts();
        let call_id = parts
            .extensions
            .get::<RequestId>()
            .and_then(|id| id.header_value().to_str().ok())
            .map(str::to_owned);
        let mut mdc: Vec<(&'static str, String)> = settings
            .mdc
            .iter()
            .filter_map(|(name, provider)| {
                // A provider that panics gives no value; the call goes on (Ktor's
                // `mdc exception does not crash request`).
                let value =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| provider(&parts)));
                value.ok().flatten().map(|v| (*name, v))
            })
            .collect();
        if let (Some(name), Some(id)) = (settings.call_id_mdc, &call_id) {
            mdc.push((name, id.clone()));
        }
        let mdc_field = (!mdc.is_empty()).then(|| {
            mdc.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join(" ")
        });
        let span = at_level!(
            settings.level,
            span!(
                "call",
                method = %parts.method,
                path = %parts.uri.path(),
                call_id = call_id.as_deref().map(tracing::field::display),
                mdc = mdc_field.as_deref().map(tracing::field::display),
            )
        );
        let call = LoggedCall {
            method: parts.method.clone(),
            uri: parts.uri.clone(),
            version: parts.version,
            status: http::StatusCode::OK,
            latency: std::time::Duration::ZERO,
            call_id,
            location: None,
            mdc,
        };
        let req = Request::from_parts(parts, body);
        let inner = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        ResponseFuture {
            inner,
            state: Some(State {
                span,
                start,
                call,
                settings: settings.clone(),
            }),
        }
    }
}

struct State {
    span: Span,
    start: Instant,
    call: LoggedCall,
    settings: Arc<Settings>,
}

pin_project_lite::pin_project! {
    /// The response future of [`CallLoggingService`].
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        state: Option<State>,
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
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(state) = this.state.as_mut() else {
            return this.inner.poll(cx);
        };
        let result = {
            let _entered = state.span.enter();
            ready!(this.inner.poll(cx))
        };
        if let (Ok(res), Some(state)) = (&result, this.state.take()) {
            log(state, res);
        }
        Poll::Ready(result)
    }
}

fn log<B>(state: State, res: &Response<B>) {
    let State {
        span,
        start,
        mut call,
        settings,
    } = state;
    call.latency = start.elapsed();
    call.status = res.status();
    call.location = res.headers().get(header::LOCATION).cloned();
    if !settings.filters.is_empty() && !settings.filters.iter().any(|f| f(&call)) {
        return;
    }
    let line = match &settings.format {
        Some(format) => format(&call),
        None => call.default_format(),
    };
    let _entered = span.enter();
    at_level!(
        settings.level,
        event!(
            status = call.status.as_u16(),
            method = %call.method,
            path = %call.path(),
            latency_ms = call.latency.as_secs_f64() * 1000.0,
            call_id = call.call_id.as_deref().map(tracing::field::display),
            "{line}"
        )
    );
}
