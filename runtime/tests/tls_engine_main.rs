//! `EngineMain` with `ktor.security.ssl`: a child process (this test binary, entry point
//! `engine_main_child`) loads a real config file, so start-up errors are exit codes and
//! messages, SIGHUP reaches a real process, and `port` + `sslPort` serve side by side.
#![cfg(all(feature = "tls", unix))]

mod tls_support;

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use axum::{routing::get, Router};
use oxtor_runtime::config::EngineMain;
use tls_support::{curl, describe, file_serial, served_serial, text, Certs, PASSWORD};

const ARGS_VAR: &str = "OXTOR_TLS_CHILD_ARGS";

/// Child-process entry point: runs `EngineMain` with the arguments in `OXTOR_TLS_CHILD_ARGS`
/// (one per line), prints `LISTENING addr...` once bound, serves until SIGTERM. A start-up error
/// is printed to stderr and exits with status 1, as a `main` would.
#[test]
#[ignore = "child process of the tests in this file"]
fn engine_main_child() {
    let Ok(args) = std::env::var(ARGS_VAR) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let result: oxtor_runtime::Result<()> = runtime.block_on(async {
        let main = EngineMain::from_iter(args.lines())?;
        let server = main
            .start(|app, _config| {
                app.routing(Router::new().route("/hello", get(|| async { "Hello, world!" })))
            })
            .await?;
        let addrs: Vec<String> = server.local_addrs().iter().map(|a| a.to_string()).collect();
        println!("LISTENING {}", addrs.join(" "));
        oxtor_runtime::server::shutdown_signal().await;
        server.shutdown().await
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

struct ChildServer {
    child: Child,
    addrs: Vec<SocketAddr>,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn child(args: &[String]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")));
    cmd.args(["--ignored", "--exact", "engine_main_child", "--nocapture"])
        .env(ARGS_VAR, args.join("\n"))
        .stdin(Stdio::null());
    cmd
}

/// Starts the child and waits for its `LISTENING` line.
fn start(args: &[String]) -> ChildServer {
    let mut child = child(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("stdout"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addrs) = line.strip_prefix("LISTENING ") {
                let _ = tx.send(addrs.to_owned());
            }
        }
    });
    let mut server = ChildServer {
        child,
        addrs: Vec::new(),
    };
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("the child did not start"));
    server.addrs = line
        .split_whitespace()
        .map(|a| a.parse().unwrap_or_else(|e| panic!("{a}: {e}")))
        .collect();
    server
}

/// Runs the child to its exit; (status code, stderr).
fn fail(args: &[String]) -> (Option<i32>, String) {
    let out = tls_support::run(&mut child(args));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Writes `application.conf` with `ssl` inside `ktor.security.ssl { }` and sslPort 0.
fn conf(certs: &Certs, ssl: &str) -> (PathBuf, Vec<String>) {
    let path = certs.path("application.conf");
    let text = format!(
        "ktor {{\n  deployment {{\n    host = 127.0.0.1\n    sslPort = 0\n  }}\n  security {{\n    ssl {{\n{ssl}\n    }}\n  }}\n}}\n"
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let args = vec![format!("-config={}", path.display())];
    (path, args)
}

fn p12_lines(certs: &Certs, store: &str, store_password: &str) -> String {
    format!(
        "      keyStore = \"{}\"\n      keyStorePassword = {store_password}\n      privateKeyPassword = {PASSWORD}",
        certs.arg(store)
    )
}

#[test]
fn wrong_password_exits_non_zero_naming_the_key_and_both_files() {
    let certs = Certs::new("em-password");
    let (conf_path, args) = conf(&certs, &p12_lines(&certs, "server.p12", "wrong"));
    let (code, stderr) = fail(&args);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("ktor.security.ssl.keyStorePassword"),
        "{stderr}"
    );
    assert!(stderr.contains(&certs.arg("server.p12")), "{stderr}");
    assert!(
        stderr.contains(&conf_path.display().to_string()),
        "{stderr}"
    );
}

#[test]
fn missing_alias_exits_non_zero_with_ktors_message() {
    let certs = Certs::new("em-alias");
    let ssl = p12_lines(&certs, "server.p12", PASSWORD) + "\n      keyAlias = nope";
    let (_, args) = conf(&certs, &ssl);
    let (code, stderr) = fail(&args);
    assert_ne!(code, Some(0), "{stderr}");
    let expected = format!(
        "ktor.security.ssl.keyAlias: The specified key nope doesn't exist in the key store {}",
        certs.arg("server.p12")
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn unknown_protocol_exits_non_zero_naming_the_key_the_file_and_the_allowed_values() {
    let certs = Certs::new("em-protocol");
    let ssl = p12_lines(&certs, "server.p12", PASSWORD)
        + "\n      enabledProtocols = [\"TLSv1.2\", \"TLSv1.1\"]";
    let (conf_path, args) = conf(&certs, &ssl);
    let (code, stderr) = fail(&args);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:11: ktor.security.ssl.enabledProtocols: \"TLSv1.1\"",
            conf_path.display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("\"TLSv1.2\", \"TLSv1.3\""), "{stderr}");
}

#[test]
fn missing_key_store_file_exits_non_zero_naming_the_key_and_the_file() {
    let certs = Certs::new("em-missing");
    let (_, args) = conf(&certs, &p12_lines(&certs, "nothing-here.p12", PASSWORD));
    let (code, stderr) = fail(&args);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(stderr.contains("ktor.security.ssl.keyStore:"), "{stderr}");
    assert!(stderr.contains(&certs.arg("nothing-here.p12")), "{stderr}");
}

#[test]
fn neither_port_nor_ssl_port_is_ktors_start_up_error() {
    let certs = Certs::new("em-neither");
    let path = certs.path("application.conf");
    std::fs::write(&path, "ktor.deployment.host = 127.0.0.1\n").unwrap_or_else(|e| panic!("{e}"));
    let (code, stderr) = fail(&[format!("-config={}", path.display())]);
    assert_ne!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("Neither port nor sslPort specified"),
        "{stderr}"
    );
}

#[tokio::test]
async fn port_and_ssl_port_both_answer_hello() {
    let certs = Certs::new("em-both");
    let (_, mut args) = conf(&certs, &p12_lines(&certs, "server.p12", PASSWORD));
    args.push("-port=0".to_owned());
    let server = start(&args);
    let [plain, secure] = server.addrs[..] else {
        panic!("two connectors: {:?}", server.addrs);
    };
    let body = reqwest::get(format!("http://{plain}/hello"))
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"))
        .text()
        .await
        .unwrap_or_default();
    assert_eq!(body, "Hello, world!");
    let out = curl(&certs, secure, "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(text(&out), "Hello, world!");
}

fn sighup(server: &ChildServer) {
    let status = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
}

/// Waits until the server at `addr` presents a certificate with `serial`; what it presented last.
async fn await_serial(addr: SocketAddr, serial: &str) -> String {
    let mut served = String::new();
    for _ in 0..50 {
        served = served_serial(addr).await;
        if served == serial {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    served
}

#[tokio::test]
async fn sighup_reloads_the_key_store_and_a_broken_one_keeps_the_old() {
    let certs = Certs::new("em-hup-a");
    let other = Certs::new("em-hup-b");
    let live = certs.path("live.p12");
    std::fs::copy(certs.path("server.p12"), &live).unwrap_or_else(|e| panic!("{e}"));
    let (_, args) = conf(&certs, &p12_lines(&certs, "live.p12", PASSWORD));
    let server = start(&args);
    let addr = server.addrs[0];
    let first = file_serial(&certs.path("server.crt"));
    assert_eq!(served_serial(addr).await, first);

    // A new certificate: new connections see its serial after SIGHUP.
    std::fs::copy(other.path("server.p12"), &live).unwrap_or_else(|e| panic!("{e}"));
    sighup(&server);
    let second = file_serial(&other.path("server.crt"));
    assert_eq!(await_serial(addr, &second).await, second);

    // A broken replacement: logged, and the last good certificate stays in service.
    std::fs::write(&live, b"\x30\x03\x02\x01\x03").unwrap_or_else(|e| panic!("{e}"));
    sighup(&server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(served_serial(addr).await, second);
    let out = curl(&other, addr, "/hello", &[]).await;
    assert!(out.status.success(), "{}", describe(&out));
}
