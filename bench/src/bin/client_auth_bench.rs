//! The client side of `bench/client_auth.sh` (not a user example): the client `Auth` plugin with
//! a cached bearer token against the same client without it (the header set by hand: the same
//! bytes on the wire), side by side in one process.
//!
//! `client_auth_bench ROUNDS MILLIS`: each round runs, at 1 and at 64 concurrent requests, three
//! child processes one after another in an order rotating per round: the client with `Auth`, the
//! client without, and the client without again (`sample`, below); the median per-round ratio of
//! their requests/s is printed, and the ratio of the two runs without `Auth` as a check that the
//! harness favours neither side. Then a burst of 100 requests on an expired token is sent, which
//! must complete with exactly one refresh.
//!
//! `client_auth_bench sample auth|plain N MILLIS`: a local axum server on its own one-thread
//! runtime and one client on another, N concurrent requests in batches for MILLIS ms after a
//! warm-up of MILLIS / 4; prints requests/s and the CPU µs per request of the client's and the
//! server's threads.
//!
//! `client_auth_bench profile auth|plain SECS`: only one of the two clients, 64 concurrent, for
//! SECS seconds (to run under `perf record` or `valgrind --tool=dhat`).
//!
//! `client_auth_bench count auth|plain REQUESTS`: only one of the two clients, exactly REQUESTS
//! requests in batches of 64 (a multiple of 64 is sent). Two runs of different REQUESTS under
//! `valgrind --tool=callgrind` or `--tool=dhat` give instructions and allocations per request
//! from their difference, which do not depend on the machine's load (`COUNTS=1
//! bench/client_auth.sh`).
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use oxtor::client::{
    plugins::auth::{Auth, BearerTokens},
    ClientError, HttpClient,
};

const BURST: usize = 100;

/// The token the server accepts is `t<generation>`; `POST /token` hands out the current one.
#[derive(Clone, Default)]
struct Tokens {
    generation: Arc<AtomicUsize>,
}

impl Tokens {
    fn current(&self) -> String {
        format!("t{}", self.generation.load(Ordering::SeqCst))
    }
}

async fn hello(State(tokens): State<Tokens>, headers: HeaderMap) -> impl IntoResponse {
    let expected = format!("Bearer {}", tokens.current());
    match headers.get("authorization") {
        Some(v) if v.as_bytes() == expected.as_bytes() => {
            (StatusCode::OK, "Hello, world!").into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer realm=\"bench\"")],
        )
            .into_response(),
    }
}

fn error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Starts the server on its own runtime thread; its address.
fn serve(tokens: Tokens) -> Result<std::net::SocketAddr, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(error)?;
    listener.set_nonblocking(true).map_err(error)?;
    let addr = listener.local_addr().map_err(error)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(error)?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            let app = Router::new()
                .route("/hello", get(hello))
                .route(
                    "/token",
                    post(|State(t): State<Tokens>| async move { t.current() }),
                )
                .with_state(tokens);
            let listener = tokio::net::TcpListener::from_std(listener)?;
            axum::serve(listener, app).await
        })
    });
    Ok(addr)
}

/// A client whose `Auth` bearer provider loads `t0` and refreshes from `POST /token`, counting
/// refreshes in `refreshes`.
fn auth_client(token_url: String, refreshes: Arc<AtomicUsize>) -> Result<HttpClient, ClientError> {
    HttpClient::configure(move |cfg| {
        let (refreshes, token_url) = (refreshes.clone(), token_url.clone());
        cfg.install(Auth, move |auth| {
            let (refreshes, token_url) = (refreshes.clone(), token_url.clone());
            auth.bearer(move |b| {
                b.load_tokens(|| async { Some(BearerTokens::access("t0")) });
                b.refresh_tokens(move |params| {
                    refreshes.fetch_add(1, Ordering::SeqCst);
                    let token_url = token_url.clone();
                    async move {
                        let fresh = params
                            .client
                            .post(&token_url)
                            .mark_as_refresh_token_request()
                            .body::<String>()
                            .await?;
                        Ok::<_, ClientError>(Some(BearerTokens::access(fresh)))
                    }
                });
            });
        });
    })
}

/// Sends `n` concurrent requests and checks the answers; `header` is set by hand.
async fn batch(
    client: &HttpClient,
    url: &str,
    header: Option<&str>,
    n: usize,
) -> Result<(), String> {
    let calls = (0..n).map(|_| {
        let mut statement = client.get(url);
        if let Some(h) = header {
            statement = statement.header("authorization", h);
        }
        statement.body::<bytes::Bytes>()
    });
    for r in futures_util::future::join_all(calls).await {
        if r.map_err(error)?.len() != 13 {
            return Err("unexpected answer".into());
        }
    }
    Ok(())
}

/// CPU time used so far by the calling thread (`thread`) or the whole process, in ns.
fn cpu_ns(thread: bool) -> f64 {
    let clock = if thread {
        libc::CLOCK_THREAD_CPUTIME_ID
    } else {
        libc::CLOCK_PROCESS_CPUTIME_ID
    };
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and `clock` a clock id every Linux has.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 * 1e9 + ts.tv_nsec as f64
}

/// One timed run of a client: requests/s, and CPU µs per request of the client's thread and
/// of the rest of the process (the server's thread).
#[derive(Clone, Copy)]
struct Sample {
    rate: f64,
    client_us: f64,
    server_us: f64,
}

/// Requests/s of `n` concurrent requests in batches for `millis` ms; `header` is set by hand.
async fn rate(
    client: &HttpClient,
    url: &str,
    header: Option<&str>,
    n: usize,
    millis: u64,
) -> Result<Sample, String> {
    let (thread0, process0) = (cpu_ns(true), cpu_ns(false));
    let start = Instant::now();
    let mut sent = 0usize;
    while start.elapsed() < Duration::from_millis(millis) {
        batch(client, url, header, n).await?;
        sent += n;
    }
    let wall = start.elapsed().as_secs_f64();
    let client_ns = cpu_ns(true) - thread0;
    let server_ns = cpu_ns(false) - process0 - client_ns;
    let sent = sent as f64;
    Ok(Sample {
        rate: sent / wall,
        client_us: client_ns / sent / 1e3,
        server_us: server_ns / sent / 1e3,
    })
}

/// A server of its own and one client for it: with `auth`, the Auth plugin (no header by hand),
/// otherwise a plain client and the `Authorization` value to set by hand; the `/hello` URL.
fn alone(auth: bool) -> Result<(HttpClient, String, Option<String>), String> {
    let tokens = Tokens::default();
    let addr = serve(tokens.clone())?;
    let hello_url = format!("http://{addr}/hello");
    if auth {
        let client = auth_client(format!("http://{addr}/token"), Arc::default()).map_err(error)?;
        Ok((client, hello_url, None))
    } else {
        let header = format!("Bearer {}", tokens.current());
        Ok((HttpClient::new().map_err(error)?, hello_url, Some(header)))
    }
}

/// One client (`auth`: the Auth plugin; otherwise the header by hand) alone in this process with
/// its own server: a warm-up of `millis / 4` ms, then one timed run of `millis` ms at `n`
/// concurrent requests; prints `rate client_us server_us` for the parent ([`run`]).
async fn sample(auth: bool, n: usize, millis: u64) -> Result<(), String> {
    let (client, hello_url, header) = alone(auth)?;
    let header = header.as_deref();
    rate(&client, &hello_url, header, n, millis / 4).await?;
    let s = rate(&client, &hello_url, header, n, millis).await?;
    println!("{} {} {}", s.rate, s.client_us, s.server_us);
    Ok(())
}

/// Runs `client_auth_bench sample CLIENT N MILLIS` as a child process and parses its line.
fn sample_in_child(client: &str, n: usize, millis: u64) -> Result<Sample, String> {
    let exe = std::env::current_exe().map_err(error)?;
    let out = std::process::Command::new(exe)
        .args(["sample", client, &n.to_string(), &millis.to_string()])
        .output()
        .map_err(error)?;
    if !out.status.success() {
        return Err(format!(
            "sample {client} {n}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("sample {client} {n}: `{}`: {e}", text.trim()))?;
    match fields[..] {
        [rate, client_us, server_us] => Ok(Sample {
            rate,
            client_us,
            server_us,
        }),
        _ => Err(format!("sample {client} {n}: `{}`", text.trim())),
    }
}

async fn run(rounds: usize, millis: u64) -> Result<(), String> {
    for n in [1usize, 64] {
        // Per round: the Auth client, the plain client and the plain client again, each in a
        // fresh process, in an order rotating per round. Two clients in one process measured
        // up to 15 % apart even when both were the same plain client (which of them ran fast
        // depended on allocation order); the plain-vs-plain ratio printed below checks that
        // this harness has no such bias.
        let mut rows = Vec::with_capacity(rounds);
        for round in 0..rounds {
            let mut row = [None; 3];
            for k in 0..3 {
                let which = (round + k) % 3;
                let client = if which == 0 { "auth" } else { "plain" };
                row[which] = Some(sample_in_child(client, n, millis)?);
            }
            match row {
                [Some(a), Some(p), Some(q)] => rows.push((a, p, q)),
                _ => return Err("a round is missing a sample".into()),
            }
        }
        let stat = |f: &dyn Fn(&(Sample, Sample, Sample)) -> f64| {
            median(&mut rows.iter().map(f).collect::<Vec<_>>())
        };
        println!(
            "requests/s at {n:>2} concurrent: Auth (cached bearer) {:8.0}  no Auth {:8.0}  median per-round ratio = {:.3} (target >= 0.97)",
            stat(&|(a, _, _)| a.rate),
            stat(&|(_, p, _)| p.rate),
            stat(&|(a, p, _)| a.rate / p.rate),
        );
        println!(
            "  CPU us per request at {n:>2} concurrent, client thread: Auth {:.2}  no Auth {:.2}  ratio no Auth / Auth = {:.3};  server thread: Auth {:.2}  no Auth {:.2}",
            stat(&|(a, _, _)| a.client_us),
            stat(&|(_, p, _)| p.client_us),
            stat(&|(a, p, _)| p.client_us / a.client_us),
            stat(&|(a, _, _)| a.server_us),
            stat(&|(_, p, _)| p.server_us),
        );
        println!(
            "  harness check at {n:>2} concurrent, no Auth / no Auth (two runs of the same client): median per-round ratio = {:.3}",
            stat(&|(_, p, q)| q.rate / p.rate),
        );
    }

    let tokens = Tokens::default();
    let addr = serve(tokens.clone())?;
    let hello_url = format!("http://{addr}/hello");
    let refreshes = Arc::new(AtomicUsize::new(0));
    let with_auth =
        auth_client(format!("http://{addr}/token"), refreshes.clone()).map_err(error)?;
    // Load the token once, as the rounds used to.
    batch(&with_auth, &hello_url, None, 1).await?;

    // The burst: expire the token, send 100 requests at once; one refresh serves them all.
    tokens.generation.fetch_add(1, Ordering::SeqCst);
    let before = refreshes.load(Ordering::SeqCst);
    let start = Instant::now();
    let calls = (0..BURST).map(|_| with_auth.get(&hello_url).body::<bytes::Bytes>());
    for r in futures_util::future::join_all(calls).await {
        if r.map_err(error)?.len() != 13 {
            return Err("unexpected answer in the burst".into());
        }
    }
    let elapsed = start.elapsed();
    let count = refreshes.load(Ordering::SeqCst) - before;
    println!(
        "100-request burst on an expired token: {:.2} ms, {count} refresh(es)",
        elapsed.as_secs_f64() * 1e3
    );
    if count != 1 {
        return Err(format!("expected one refresh in the burst, saw {count}"));
    }
    Ok(())
}

/// One client alone, for a profiler.
async fn profile(auth: bool, secs: u64) -> Result<(), String> {
    let (client, hello_url, header) = alone(auth)?;
    let rps = rate(&client, &hello_url, header.as_deref(), 64, secs * 1000)
        .await?
        .rate;
    println!(
        "{}: {rps:.0} requests/s, {:.0} requests",
        if auth { "Auth" } else { "no Auth" },
        rps * secs as f64
    );
    Ok(())
}

/// One client alone for exactly `requests` requests (rounded down to batches of 64).
async fn count(auth: bool, requests: usize) -> Result<(), String> {
    let (client, hello_url, header) = alone(auth)?;
    let header = header.as_deref();
    for _ in 0..requests / 64 {
        batch(&client, &hello_url, header, 64).await?;
    }
    println!("{} requests", requests / 64 * 64);
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str);
    if mode == Some("sample") {
        let auth = args.get(1).map(String::as_str) == Some("auth");
        let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(64);
        let millis = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(300);
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(error)
            .and_then(|rt| rt.block_on(sample(auth, n, millis)));
        return exit(result);
    }
    if mode == Some("profile") || mode == Some("count") {
        let auth = args.get(1).map(String::as_str) == Some("auth");
        let n = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5);
        let result = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(error)
            .and_then(|rt| {
                if mode == Some("count") {
                    rt.block_on(count(auth, n as usize))
                } else {
                    rt.block_on(profile(auth, n))
                }
            });
        return exit(result);
    }
    let rounds = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
    let millis = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(error)
        .and_then(|rt| rt.block_on(run(rounds, millis)));
    exit(result)
}

fn exit(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
