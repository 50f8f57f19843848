//! The server side of the client `Auth` tests (`client_auth_*.rs`): a real oxtor server whose
//! routes check `Authorization` by hand. A request carrying an accepted value gets
//! `200 ok:<value>`, any other gets `401` (`403` under `/forbidden/..`) with the configured
//! `WWW-Authenticate` challenge; every request is logged, so tests count what went over the
//! wire. Also: sending bounded in time, and call counters.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::any,
    Router,
};
use oxtor_runtime::{
    client::{HttpResponse, HttpStatement},
    testing::TestApplication,
    Application,
};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub authorization: Option<String>,
    /// The `x-*` headers as `name=value`, in the order they arrived.
    pub x_headers: Vec<String>,
    pub body: Bytes,
}

/// The server's rules and its request log.
#[derive(Clone, Default)]
pub struct Peer {
    accepted: Arc<Mutex<Vec<String>>>,
    challenge: Arc<Mutex<Option<String>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Peer {
    pub fn accept(&self, authorization: &str) -> &Self {
        lock(&self.accepted).push(authorization.to_owned());
        self
    }
    pub fn challenge(&self, value: &str) -> &Self {
        *lock(&self.challenge) = Some(value.to_owned());
        self
    }
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.seen).clone()
    }
    pub fn authorizations(&self) -> Vec<Option<String>> {
        self.seen().into_iter().map(|s| s.authorization).collect()
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn check(State(peer): State<Peer>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let x_headers = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-"))
        .map(|(name, value)| format!("{name}={}", value.to_str().unwrap_or("<not text>")))
        .collect();
    lock(&peer.seen).push(Seen {
        path: uri.path().to_owned(),
        authorization: authorization.clone(),
        x_headers,
        body,
    });
    // `/forbidden/..` rejects with 403 instead of 401.
    let rejection = if uri.path().starts_with("/forbidden") {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    };
    match authorization {
        Some(a) if lock(&peer.accepted).contains(&a) => format!("ok:{a}").into_response(),
        _ => match lock(&peer.challenge).clone() {
            Some(c) => (rejection, [("www-authenticate", c)]).into_response(),
            None => rejection.into_response(),
        },
    }
}

pub async fn server(peer: &Peer) -> TestApplication {
    let mut app = Application::new(peer.clone());
    app.routing(Router::new().route("/{*path}", any(check)))
        .expect("routes");
    TestApplication::start(app).await.expect("server starts")
}

/// Sends `statement`, bounded in time.
pub async fn send(statement: HttpStatement) -> HttpResponse {
    tokio::time::timeout(Duration::from_secs(10), statement)
        .await
        .expect("response in time")
        .expect("response")
}

pub async fn text(statement: HttpStatement) -> (StatusCode, String) {
    let response = send(statement).await;
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// A counter and a closure-friendly clone of it.
pub fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

pub fn count(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}
