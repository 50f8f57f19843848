//! End to end in headless Chromium (Debian's `chromium`, installed by `scripts/test`), driven
//! over the DevTools protocol: the showcase's HTMX page loads, a book added through the form is
//! swapped into the list without a reload, and the page's assets arrive zstd- or br-encoded.
//!
//! The browser runs in its own process group, killed when the test ends on any path (the
//! `Browser` guard's `Drop`), and the whole test is bounded by [`TEST_TIMEOUT`].
#![deny(warnings)]

#[path = "../examples/showcase/html.rs"]
mod html;
#[path = "../examples/showcase/resources.rs"]
mod resources;

use std::{
    path::PathBuf,
    process::Stdio,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use oxtor::{plugins::compression::Compression, prelude::*, testing::TestApplication};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
};
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

/// The most the whole test may take, browser start-up included.
const TEST_TIMEOUT: Duration = Duration::from_secs(90);
/// The most one wait inside the page may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn adding_a_book_swaps_the_row_in_without_a_reload_and_assets_are_precompressed() {
    tokio::time::timeout(TEST_TIMEOUT, run())
        .await
        .expect("the browser test finishes in time");
}

async fn run() {
    let mut app = Application::new(());
    app.install(install!(Compression { zstd { level = 3 } }))
        .expect("compression");
    app.routing(html::routes("")).expect("html routes");
    app.routing(resources::routes()).expect("resource routes");
    let server = TestApplication::start(app).await.expect("server starts");

    let mut browser = Browser::launch().await;
    let page = browser.new_page().await;
    browser.call(Some(&page), "Network.enable", json!({})).await;
    browser.call(Some(&page), "Page.enable", json!({})).await;
    browser
        .call(
            Some(&page),
            "Page.navigate",
            json!({ "url": server.url("/") }),
        )
        .await;
    browser.wait_event(&page, "Page.loadEventFired").await;
    browser
        .wait_until(
            &page,
            "typeof htmx === 'object' && htmx.version.startsWith('2.')",
        )
        .await;

    // Mark this document: a full reload would lose the mark.
    browser
        .evaluate(
            &page,
            r#"window.__oxtorMark = 'same document';
               const form = document.querySelector('#add');
               form.querySelector('[name=title]').value = 'Neuromancer';
               form.querySelector('[name=author]').value = 'William Gibson';
               form.requestSubmit();
               true"#,
        )
        .await;
    browser
        .wait_until(
            &page,
            "[...document.querySelectorAll('#books li strong')].some(e => e.textContent === 'Neuromancer')",
        )
        .await;
    let state = browser
        .evaluate(
            &page,
            r#"JSON.stringify({
                 mark: window.__oxtorMark,
                 rows: document.querySelectorAll('#books li').length,
                 title: document.querySelector('#add [name=title]').value,
               })"#,
        )
        .await;
    let state: Value = serde_json::from_str(state.as_str().expect("a string")).expect("json");
    assert_eq!(state["mark"], "same document", "the page was reloaded");
    assert_eq!(state["rows"], 4, "three books plus the new one");
    assert_eq!(state["title"], "", "htmx reset the form after the 201");

    let added = browser
        .response(&page, "/books")
        .expect("POST /books was sent");
    assert_eq!(added["status"], 201);
    for asset in ["/static/htmx.min.js", "/static/css/app.css"] {
        let response = browser.response(&page, asset).expect("asset loaded");
        let coding = header(&response, "content-encoding");
        assert!(
            matches!(coding.as_deref(), Some("zstd" | "br")),
            "{asset} arrived with content-encoding {coding:?}"
        );
    }
}

/// A header of a CDP `Network.Response`, case-insensitively.
fn header(response: &Value, name: &str) -> Option<String> {
    response["headers"].as_object()?.iter().find_map(|(k, v)| {
        k.eq_ignore_ascii_case(name)
            .then(|| v.as_str().unwrap_or_default().to_owned())
    })
}

/// Headless Chromium with a DevTools connection; killed (with its process group) on drop.
struct Browser {
    child: Child,
    user_data_dir: PathBuf,
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Events received while waiting for command results.
    events: Vec<Value>,
}

impl Browser {
    async fn launch() -> Self {
        let binary = chromium();
        let user_data_dir = std::env::temp_dir().join(format!(
            "oxtor-chromium-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        let mut child = Command::new(&binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", user_data_dir.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {binary:?} (scripts/test installs chromium): {e}")
            });
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = tokio::time::timeout(STEP_TIMEOUT, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    return Some(url.trim().to_owned());
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .expect("chromium prints its DevTools URL");
        // Keep draining stderr so the browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("DevTools websocket");
        Self {
            child,
            user_data_dir,
            ws,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// A new tab, attached; returns its session id.
    async fn new_page(&mut self) -> String {
        let target = self
            .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = self
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned()
    }

    /// Sends a command and returns its result; events that arrive meanwhile are kept.
    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .expect("send to DevTools");
        loop {
            let message = self.next_message().await;
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method}: {message}");
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    async fn next_message(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(STEP_TIMEOUT, self.ws.next())
                .await
                .expect("DevTools answers in time")
                .expect("DevTools connection open")
                .expect("DevTools message");
            if let Message::Text(text) = message {
                return serde_json::from_str(&text).expect("DevTools sends JSON");
            }
        }
    }

    /// Waits for an event of `method` in `session`.
    async fn wait_event(&mut self, session: &str, method: &str) -> Value {
        let matches = |e: &Value| e["method"] == method && e["sessionId"] == session;
        if let Some(i) = self.events.iter().position(matches) {
            return self.events.remove(i);
        }
        loop {
            let message = self.next_message().await;
            if matches(&message) {
                return message;
            }
            self.events.push(message);
        }
    }

    /// Evaluates `expression` in the page; returns its value.
    async fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        let result = self
            .call(
                Some(session),
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Polls `expression` until it is `true`.
    async fn wait_until(&mut self, session: &str, expression: &str) {
        let deadline = Instant::now() + STEP_TIMEOUT;
        while self.evaluate(session, expression).await != json!(true) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {expression}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The last `Network.Response` received for a URL ending in `path`.
    fn response(&self, session: &str, path: &str) -> Option<Value> {
        self.events
            .iter()
            .rev()
            .filter(|e| e["method"] == "Network.responseReceived" && e["sessionId"] == session)
            .map(|e| &e["params"]["response"])
            .find(|r| r["url"].as_str().is_some_and(|u| u.ends_with(path)))
            .cloned()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The browser and its helper processes share the process group we gave it.
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.user_data_dir);
    }
}

/// `$CHROMIUM`, else the first of `chromium`, `chromium-browser` found on `PATH`.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return path.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("chromium"))
}
