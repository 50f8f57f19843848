//! The showcase as a real process: where it listens (embedded defaults, `application.conf` /
//! `application.toml` in its working directory, `-port=`, `-P:`, `${?PORT}`), under which root
//! path (`-path=`), and how it refuses a bad configuration (non-zero exit, file and key on
//! stderr, nothing bound).
use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

/// Builds the showcase once (a no-op when `cargo test` already built it) and returns its path,
/// as cargo reports it.
fn showcase() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
        let out = Command::new(env!("CARGO"))
            .args(["build", "--example", "showcase", "--message-format=json"])
            .arg("--manifest-path")
            .arg(&manifest)
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build --example showcase failed"
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|msg| {
                msg["reason"] == "compiler-artifact" && msg["target"]["name"] == "showcase"
            })
            .find_map(|msg| msg["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no showcase executable")
    })
}

/// A scratch working directory, removed at drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("oxtor-showcase-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        Self(dir)
    }

    fn file(&self, name: &str, text: &str) -> &Self {
        std::fs::write(self.0.join(name), text).expect("write config file");
        self
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running showcase, killed at drop.
struct Running(Option<Child>);

impl Running {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("the showcase was already collected")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

fn command(dir: &Scratch, args: &[String]) -> Command {
    let mut cmd = Command::new(showcase());
    cmd.args(args)
        .current_dir(&dir.0)
        .env_remove("PORT")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    cmd
}

/// Starts the showcase and waits (at most 20 s) until `port` accepts connections.
fn start(dir: &Scratch, args: &[String], env: &[(&str, String)], port: u16) -> Running {
    let mut cmd = command(dir, args);
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let mut running = Running(Some(cmd.spawn().expect("spawn showcase")));
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if let Ok(Some(status)) = running.child().try_wait() {
            panic!("showcase exited with {status} before listening on {port}");
        }
        assert!(
            Instant::now() < deadline,
            "showcase not listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running
}

/// Runs the showcase expecting it to stop by itself (at most 20 s). Its output is a few lines,
/// well under a pipe's buffer, so it cannot block on a full pipe while we wait.
fn run_to_exit(dir: &Scratch, args: &[String]) -> Output {
    let child = command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn showcase");
    let mut running = Running(Some(child));
    let deadline = Instant::now() + Duration::from_secs(20);
    while running.child().try_wait().ok().flatten().is_none() {
        assert!(Instant::now() < deadline, "showcase did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let child = running
        .0
        .take()
        .expect("the showcase was already collected");
    child.wait_with_output().expect("collect showcase output")
}

/// Status and body of `GET path` on the showcase at `port` (10 s at most).
async fn fetch(port: u16, path: &str) -> (u16, String) {
    let get = async {
        let res = reqwest::get(format!("http://127.0.0.1:{port}{path}")).await?;
        let status = res.status().as_u16();
        Ok::<_, reqwest::Error>((status, res.text().await?))
    };
    tokio::time::timeout(Duration::from_secs(10), get)
        .await
        .unwrap_or_else(|_| panic!("GET {path} timed out"))
        // The whole chain (`{e:?}`): "error sending request" alone says nothing of the cause.
        .unwrap_or_else(|e| panic!("GET {path} failed: {e:?}"))
}

async fn get_hello(port: u16) -> String {
    fetch(port, "/hello").await.1
}

#[tokio::test]
async fn dash_port_serves_hello_on_that_port() {
    let dir = Scratch::new("dash-port");
    let port = free_port();
    let _server = start(&dir, &[format!("-port={port}")], &[], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn application_conf_in_the_working_directory_sets_the_port() {
    let port = free_port();
    let dir = Scratch::new("conf");
    dir.file(
        "application.conf",
        &format!("ktor {{\n  deployment {{\n    port = {port}\n  }}\n}}\n"),
    );
    let _server = start(&dir, &[], &[], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn application_toml_in_the_working_directory_sets_the_port() {
    let port = free_port();
    let dir = Scratch::new("toml");
    dir.file(
        "application.toml",
        &format!("[ktor.deployment]\nport = {port}\n"),
    );
    let _server = start(&dir, &[], &[], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn dash_config_file_sets_the_port() {
    let port = free_port();
    let dir = Scratch::new("dash-config");
    dir.file("prod.conf", &format!("ktor.deployment.port = {port}\n"));
    let _server = start(&dir, &["-config=prod.conf".into()], &[], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn dash_port_overrides_dash_p_port() {
    let port = free_port();
    let dir = Scratch::new("dash-p");
    let args = ["-P:ktor.deployment.port=1".into(), format!("-port={port}")];
    let _server = start(&dir, &args, &[], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn port_env_var_reaches_the_embedded_defaults_through_optional_substitution() {
    let port = free_port();
    let dir = Scratch::new("env");
    let _server = start(&dir, &[], &[("PORT", port.to_string())], port);
    assert_eq!(get_hello(port).await, "Hello, world!");
}

#[tokio::test]
async fn dash_path_serves_every_route_under_that_root() {
    let port = free_port();
    let dir = Scratch::new("dash-path");
    let _server = start(
        &dir,
        &[format!("-port={port}"), "-path=/app".into()],
        &[],
        port,
    );
    assert_eq!(
        fetch(port, "/app/hello").await,
        (200, "Hello, world!".into())
    );
    assert_eq!(fetch(port, "/hello").await.0, 404);
}

#[tokio::test]
async fn under_a_root_path_the_page_links_its_assets_under_it() {
    let port = free_port();
    let dir = Scratch::new("dash-path-page");
    let _server = start(
        &dir,
        &[format!("-port={port}"), "-path=/app".into()],
        &[],
        port,
    );
    let (status, page) = fetch(port, "/app").await;
    assert_eq!(status, 200);
    for link in [
        r#"href="/app/static/css/app.css""#,
        r#"src="/app/static/htmx.min.js""#,
        r#"hx-post="/app/books""#,
        r#"hx-get="/app/books/search""#,
    ] {
        assert!(page.contains(link), "{link} not in {page}");
    }
    assert_eq!(fetch(port, "/app/static/htmx.min.js").await.0, 200);
}

#[test]
fn a_root_path_with_a_parameter_exits_non_zero_naming_the_key() {
    let dir = Scratch::new("bad-path");
    let out = run_to_exit(&dir, &["-path=/api/{v}".into()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited with {}", out.status);
    assert!(
        stderr.contains("ktor.deployment.rootPath: `/api/{v}`: rootPath should be constant"),
        "{stderr}"
    );
}

#[test]
fn bad_value_in_application_conf_exits_non_zero_naming_file_line_and_key() {
    let dir = Scratch::new("bad-value");
    dir.file(
        "application.conf",
        "ktor {\n  deployment {\n    host = 127.0.0.1\n    port = \"abc\"\n  }\n}\n",
    );
    let out = run_to_exit(&dir, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited with {}", out.status);
    assert!(
        stderr.contains(r#"application.conf:4: ktor.deployment.port: "abc" is not a port number"#),
        "{stderr}"
    );
}

#[test]
fn syntax_error_exits_non_zero_naming_file_and_line() {
    let dir = Scratch::new("syntax");
    dir.file("application.toml", "[ktor.deployment]\nport = = 1\n");
    let out = run_to_exit(&dir, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited with {}", out.status);
    assert!(
        stderr.contains("application.toml:2: syntax error"),
        "{stderr}"
    );
}

#[test]
fn unknown_option_exits_non_zero_listing_the_known_ones() {
    let dir = Scratch::new("unknown-option");
    let out = run_to_exit(&dir, &["-prot=8080".into()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "exited with {}", out.status);
    assert!(stderr.contains("unknown option `-prot=8080`"), "{stderr}");
    assert!(stderr.contains("-port=N"), "{stderr}");
}
