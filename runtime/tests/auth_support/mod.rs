//! Shared pieces of the auth tests: serving routes behind an `AuthenticateLayer`, a client that
//! does not follow redirects, a hand-written token endpoint (as Ktor's OAuth2Test uses), and
//! the third-party authorization server `oauth2-mock-server` (npm, installed by
//! `scripts/test` into `runtime/tests/oauth_mock/node_modules`).
#![allow(dead_code, unreachable_pub)]

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::{Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::any,
    Router,
};
use oxtor_runtime::{
    plugins::auth::{AuthenticateBlocks, Authentication, ProviderNames},
    routing::{Blocks, Routes, RoutingBlock},
    testing::TestApplication,
    Application,
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpListener,
    process::{Child, Command},
};

/// Installs `auth` and serves `routes` in an `authenticate(names, optional = ..)` block (what
/// `routing!` expands it to), plus `open` unprotected.
pub async fn serve(
    auth: Authentication,
    names: impl ProviderNames,
    optional: bool,
    routes: Router,
    open: Router,
) -> TestApplication {
    let mut app = Application::new(());
    app.install(auth).expect("plugin installs");
    let mut block = Blocks.authenticate(names);
    block.optional(optional);
    let routes = block.wrap(Routes::from(routes)).merge(open);
    app.routing(routes).expect("providers installed");
    TestApplication::start(app).await.expect("server starts")
}

/// A client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The query parameters of `url`, in order.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

/// The first value of `key` in `url`'s query.
pub fn query_param(url: &str, key: &str) -> Option<String> {
    query_pairs(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// What the hand-written token endpoint answers.
#[derive(Clone)]
pub enum TokenReply {
    /// Status, content type, body.
    Raw(StatusCode, &'static str, String),
    /// Sleeps, then answers a valid token.
    Slow(Duration),
}

/// A token endpoint on 127.0.0.1 that records each request's method, query and body.
pub struct TokenEndpoint {
    pub url: String,
    pub seen: Arc<Mutex<Vec<SeenRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

/// One request the token endpoint received.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub headers: HeaderMap,
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn json_token() -> TokenReply {
    TokenReply::Raw(
        StatusCode::OK,
        "application/json",
        r#"{"access_token":"a1b2c3d4e5","token_type":"Bearer","expires_in":3600,"refresh_token":"r1","complex":{"x":[1]},"custom":"c"}"#.into(),
    )
}

impl TokenEndpoint {
    pub async fn start(reply: TokenReply) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = (reply, seen.clone());
        let app = Router::new()
            .route(
                "/token",
                any(
                    |State((reply, seen)): State<(TokenReply, Arc<Mutex<Vec<SeenRequest>>>)>,
                     method: axum::http::Method,
                     Query(query): Query<Vec<(String, String)>>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let form = serde_urlencoded::from_bytes(&body).unwrap_or_default();
                        seen.lock().unwrap().push(SeenRequest {
                            method: method.to_string(),
                            query,
                            form,
                            headers,
                        });
                        match reply {
                            TokenReply::Raw(status, ct, body) => {
                                (status, [(header::CONTENT_TYPE, ct)], body).into_response()
                            }
                            TokenReply::Slow(d) => {
                                tokio::time::sleep(d).await;
                                let r: Response = json_token_response();
                                r
                            }
                        }
                    },
                ),
            )
            .with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            url: format!("http://{addr}/token"),
            seen,
            task,
        }
    }

    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }
}

fn json_token_response() -> Response {
    match json_token() {
        TokenReply::Raw(s, ct, b) => (s, [(header::CONTENT_TYPE, ct)], b).into_response(),
        TokenReply::Slow(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// A port nothing listens on (bound, then released).
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

/// `oauth2-mock-server` running in node on 127.0.0.1. The node process is killed when this is
/// dropped (and exits by itself when its stdin closes, should the test process die first).
pub struct MockAuthServer {
    pub port: u16,
    child: Option<Child>,
}

/// How the mock authorization server misbehaves.
#[derive(Debug, Clone, Copy)]
pub enum MockMode {
    /// A normal server (auto-approves, checks PKCE).
    Ok,
    /// The token endpoint answers 500.
    Token500,
    /// The authorize endpoint redirects back with `error=access_denied`.
    AccessDenied,
}

fn mock_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oauth_mock")
}

impl MockAuthServer {
    pub async fn start(mode: MockMode) -> Self {
        let dir = mock_dir();
        assert!(
            dir.join("node_modules/oauth2-mock-server").is_dir(),
            "oauth2-mock-server is not installed in {}: run scripts/test (it runs `npm ci` there)",
            dir.display()
        );
        let mode = match mode {
            MockMode::Ok => "ok",
            MockMode::Token500 => "token-500",
            MockMode::AccessDenied => "access-denied",
        };
        let mut child = Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg(mode)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("read node output") {
                if let Some(port) = line.strip_prefix("LISTENING ") {
                    return port.trim().parse::<u16>().expect("port");
                }
            }
            panic!("oauth2-mock-server exited before listening");
        })
        .await
        .expect("oauth2-mock-server listens within 20 s");
        Self {
            port,
            child: Some(child),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Stops the server now and waits for the process to exit.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

impl Drop for MockAuthServer {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.start_kill();
        }
    }
}

#[cfg(feature = "auth-oauth")]
pub mod oauth;
