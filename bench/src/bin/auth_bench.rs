//! The server side of `bench/auth.sh` (not a user example).
//!
//! - `auth_bench serve PORT_AUTH PORT_PLAIN`: `GET /api/key` answering `Key: <key>` served by
//!   oxtor on a one-thread runtime, under `authenticate("my-api-key")` (API key checked with
//!   `ApiKeys::constant_time`) on the first port, and the same handler without `authenticate`
//!   on the second.
//! - `auth_bench oauth-callback N`: an oxtor server with an `oauth("login")` provider whose
//!   token endpoint is a local axum route; N flows are started (redirect → state, untimed),
//!   then N callbacks are timed one by one (state check + token exchange + the route): prints
//!   p50/p99/max.
use std::time::{Duration, Instant};

use axum::{extract::State, http::HeaderMap, Router};
use oxtor::{
    prelude::*,
    server::{Server, ServerConfig},
};

/// The same handler with and without `authenticate`.
#[route(GET, "/api/key")]
async fn key(headers: HeaderMap) -> String {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    format!("Key: {key}")
}

fn auth_app(authenticate: bool) -> oxtor::Result<Application> {
    let mut app = Application::new(());
    if authenticate {
        app.install(install!(Authentication {
            api_key("my-api-key") { validate = ApiKeys::constant_time(["secret-key"]) }
        }))?;
        app.routing(routing! { authenticate("my-api-key") { key } })?;
    } else {
        app.routing(routing! { key })?;
    }
    Ok(app)
}

async fn serve(ports: &[u16]) -> oxtor::Result<()> {
    let [with, without] = ports else {
        return Err(oxtor::Error::Other(
            "usage: serve PORT_AUTH PORT_PLAIN".into(),
        ));
    };
    let a = Server::new(auth_app(true)?, ServerConfig::local(*with))
        .start()
        .await?;
    let b = Server::new(auth_app(false)?, ServerConfig::local(*without))
        .start()
        .await?;
    println!("ready");
    oxtor::server::shutdown_signal().await;
    a.abort();
    b.abort();
    Ok(())
}

/// The OAuth-protected route.
#[route(GET, "/login")]
async fn login(token: Principal<OAuthAccessTokenResponse>) -> String {
    format!("Logged in {}", &token.access_token[..5])
}

async fn token_endpoint(State(()): State<()>) -> ([(&'static str, &'static str); 1], &'static str) {
    (
        [("content-type", "application/json")],
        r#"{"access_token":"at-123456","token_type":"Bearer","expires_in":3600}"#,
    )
}

async fn oauth_callback(n: usize) -> oxtor::Result<()> {
    let io = |what: &'static str| move |e: std::io::Error| oxtor::Error::io(what, e);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io("bind token endpoint"))?;
    let token_addr = listener.local_addr().map_err(io("token endpoint addr"))?;
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new()
                .route("/token", axum::routing::post(token_endpoint))
                .with_state(()),
        )
        .await
    });

    let token_url = format!("http://{token_addr}/token");
    let mut app = Application::new(());
    app.install(install!(Authentication {
        oauth("login") {
            authorize_url = "http://127.0.0.1:1/authorize"
            access_token_url = token_url
            client_id = "bench"
            client_secret = "secret"
            state_key = "benchmark state key of 32 bytes!"
            url_provider = |call| format!("http://{}/login", call.host().unwrap_or("localhost"))
        }
    }))?;
    app.routing(routing! { authenticate("login") { login } })?;
    let server = Server::new(app, ServerConfig::local(0)).start().await?;
    let base = format!("http://{}", server.local_addr());
    let client =
        oxtor::client::HttpClient::new().map_err(|e| oxtor::Error::Other(e.to_string()))?;
    let fail = |e: oxtor::client::ClientError| oxtor::Error::Other(e.to_string());

    let mut callbacks = Vec::with_capacity(n);
    for _ in 0..n {
        let res = client
            .get(&format!("{base}/login"))
            .send()
            .await
            .map_err(fail)?;
        let location = res.header("location").unwrap_or_default().to_owned();
        let state = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("state="))
            .ok_or_else(|| oxtor::Error::Other(format!("no state in {location:?}")))?
            .to_owned();
        callbacks.push(format!("{base}/login?code=c&state={state}"));
    }
    let mut latencies = Vec::with_capacity(n);
    for url in &callbacks {
        let start = Instant::now();
        let body = client.get(url).body::<String>().await.map_err(fail)?;
        latencies.push(start.elapsed());
        if body != "Logged in at-12" {
            return Err(oxtor::Error::Other(format!("unexpected answer {body:?}")));
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "OAuth callback (state check + token exchange + route) over {n} calls: p50 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
        ms(pct(0.50)),
        ms(pct(0.99)),
        ms(pct(1.0)),
    );
    server.shutdown().await
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match args.first().map(String::as_str) {
            Some("serve") => {
                let ports: Result<Vec<u16>, _> = args[1..].iter().map(|p| p.parse()).collect();
                match ports {
                    Ok(p) => serve(&p).await,
                    Err(e) => Err(oxtor::Error::Other(format!("bad port: {e}"))),
                }
            }
            Some("oauth-callback") => {
                let n = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
                oauth_callback(n).await
            }
            _ => Err(oxtor::Error::Other(
                "usage: auth_bench serve PORT_AUTH PORT_PLAIN | oauth-callback N".into(),
            )),
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
