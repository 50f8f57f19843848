//! Configuration sources and their priority, loaded from real files, and `EngineMain` serving
//! over a real socket with what they say.
use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

mod config_support;

use axum::{routing::get, Router};
use config_support::{config_arg, Scratch};
use oxtor_runtime::config::{keys, Config, EngineMain};

fn load(args: &[String]) -> EngineMain {
    EngineMain::from_iter(args.iter().cloned()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn hocon_file_sets_the_deployment() {
    let dir = Scratch::new("hocon");
    let file = dir.file(
        "app.conf",
        "ktor {\n  deployment {\n    host = \"::1\"\n    port = 9001\n    shutdownGracePeriod = 1500\n  }\n}\n",
    );
    let server = load(&[config_arg(&file)])
        .server_config()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((server.host.as_str(), server.port), ("::1", 9001));
    assert_eq!(server.shutdown_grace_period, Duration::from_millis(1500));
}

#[test]
fn toml_file_uses_the_same_keys() {
    let dir = Scratch::new("toml");
    let file = dir.file(
        "app.toml",
        "[ktor.deployment]\nhost = \"::1\"\nport = 9002\nshutdownGracePeriod = \"3s\"\n\n[app]\ngreeting = \"hi\"\n",
    );
    let main = load(&[config_arg(&file)]);
    let server = main.server_config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((server.host.as_str(), server.port), ("::1", 9002));
    assert_eq!(server.shutdown_grace_period, Duration::from_secs(3));
    assert_eq!(
        main.config()
            .string("app.greeting")
            .ok()
            .flatten()
            .as_deref(),
        Some("hi")
    );
}

#[test]
fn later_config_file_overrides_earlier_key_by_key() {
    let dir = Scratch::new("two-files");
    let first = dir.file("a.conf", "ktor.deployment { host = \"::1\", port = 1 }");
    let second = dir.file("b.toml", "[ktor.deployment]\nport = 2\n");
    let server = load(&[config_arg(&first), config_arg(&second)])
        .server_config()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((server.host.as_str(), server.port), ("::1", 2));
}

#[test]
fn dash_port_and_host_override_the_file() {
    let dir = Scratch::new("dash-port");
    let file = dir.file("a.conf", "ktor.deployment { host = \"::1\", port = 1 }");
    let server = load(&[
        config_arg(&file),
        "-port=3".into(),
        "-host=127.0.0.2".into(),
    ])
    .server_config()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((server.host.as_str(), server.port), ("127.0.0.2", 3));
}

#[test]
fn dash_port_overrides_dash_p_whatever_the_order() {
    let dir = Scratch::new("dash-p");
    let file = dir.file("a.conf", "ktor.deployment.port = 1");
    let server = load(&[
        "-port=3".into(),
        "-P:ktor.deployment.port=4".into(),
        config_arg(&file),
    ])
    .server_config()
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.port, 3);
}

#[test]
fn dash_p_overrides_the_config_file() {
    let dir = Scratch::new("dash-p-file");
    let file = dir.file("a.conf", "ktor.deployment.port = 1");
    let server = load(&["-P:ktor.deployment.port=4".into(), config_arg(&file)])
        .server_config()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.port, 4);
}

#[test]
fn optional_env_substitution_reads_the_process_environment() {
    // A variable no other test reads, so setting it cannot race with them.
    std::env::set_var("OXTOR_CONFIG_TEST_PORT", "9005");
    let dir = Scratch::new("env");
    let file = dir.file(
        "a.conf",
        "ktor.deployment.port = 1\nktor.deployment.port = ${?OXTOR_CONFIG_TEST_PORT}\n\
         ktor.deployment.sslPort = 2\nktor.deployment.sslPort = ${?OXTOR_CONFIG_TEST_UNSET}\n",
    );
    let main = load(&[config_arg(&file)]);
    assert_eq!(main.config().port(keys::PORT).ok(), Some(Some(9005)));
    assert_eq!(main.config().port(keys::SSL_PORT).ok(), Some(Some(2)));
}

#[test]
fn bad_value_names_file_line_and_key() {
    let dir = Scratch::new("bad-value");
    let file = dir.file(
        "application.conf",
        "ktor {\n  deployment {\n    port = \"abc\"\n  }\n}\n",
    );
    let err = EngineMain::from_iter([config_arg(&file)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: ktor.deployment.port: \"abc\" is not a port number",
            file.display()
        )
    );
}

#[test]
fn bad_value_in_toml_names_file_line_and_key() {
    let dir = Scratch::new("bad-toml-value");
    let file = dir.file(
        "a.toml",
        "[ktor.deployment]\nport = 8080\nshutdownGracePeriod = \"soon\"\n",
    );
    let err = EngineMain::from_iter([config_arg(&file)]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:3: ktor.deployment.shutdownGracePeriod: \"soon\" is not a duration (milliseconds, or e.g. `10s`)",
            file.display()
        )
    );
}

#[test]
fn hocon_syntax_error_names_file_and_line() {
    let dir = Scratch::new("hocon-syntax");
    let file = dir.file("a.conf", "a = 1\nb = [1, 2\nc = }\n");
    let err = EngineMain::from_iter([config_arg(&file)])
        .unwrap_err()
        .to_string();
    let prefix = format!("{}:", file.display());
    assert!(err.starts_with(&prefix), "{err}");
    assert!(err.contains(": syntax error: "), "{err}");
    let line: usize = err[prefix.len()..]
        .split(':')
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("no line in {err}"));
    assert!((2..=3).contains(&line), "{err}");
}

#[test]
fn toml_syntax_error_names_file_and_line() {
    let dir = Scratch::new("toml-syntax");
    let file = dir.file("a.toml", "[ktor.deployment]\nport = 80 80\n");
    let err = EngineMain::from_iter([config_arg(&file)])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}:2: syntax error: ", file.display())),
        "{err}"
    );
}

#[test]
fn unknown_extension_is_an_error_naming_the_file() {
    let dir = Scratch::new("yaml");
    let file = dir.file("a.yaml", "ktor: {}\n");
    let err = EngineMain::from_iter([config_arg(&file)])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: unknown config file type: use `.conf` (HOCON) or `.toml`",
            file.display()
        )
    );
}

#[test]
fn missing_config_file_is_an_error_naming_it() {
    let err = EngineMain::from_iter(["-config=/nonexistent/oxtor.conf"])
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("/nonexistent/oxtor.conf: cannot read: "),
        "{err}"
    );
}

#[test]
fn application_conf_in_the_search_dir_is_found_before_application_toml() {
    let dir = Scratch::new("search");
    dir.file("application.toml", "[ktor.deployment]\nport = 2\n");
    let none: [&str; 0] = [];
    let toml_only = EngineMain::from_iter_in(none, &dir.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(toml_only.config().port(keys::PORT).ok(), Some(Some(2)));
    dir.file("application.conf", "ktor.deployment.port = 1");
    let both = EngineMain::from_iter_in(none, &dir.0).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(both.config().port(keys::PORT).ok(), Some(Some(1)));
    assert_eq!(both.files(), [dir.0.join("application.conf")]);
}

#[test]
fn a_bad_defaults_value_is_reported_before_the_module_runs() {
    let defaults = Config::from_hocon_str("defaults.conf", "ktor.deployment.port = -1")
        .unwrap_or_else(|e| panic!("{e}"));
    let main = EngineMain::from_iter(["-host=127.0.0.1"])
        .unwrap_or_else(|e| panic!("{e}"))
        .with_defaults(defaults);
    let ran = AtomicBool::new(false);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let err = rt
        .block_on(main.start(|_, _| {
            ran.store(true, Ordering::SeqCst);
            Ok(())
        }))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "defaults.conf:1: ktor.deployment.port: -1 is not a port number"
    );
    assert!(
        !ran.load(Ordering::SeqCst),
        "the module ran with a bad config"
    );
}

#[tokio::test]
async fn engine_main_serves_the_module_with_the_configured_address() {
    let dir = Scratch::new("serve");
    let file = dir.file(
        "a.conf",
        "ktor.deployment { host = 127.0.0.1, port = 0 }\napp.greeting = \"Hello from the file\"\n",
    );
    let main = load(&[config_arg(&file)]);
    let server = main
        .start(|app, config| {
            let greeting = config.string("app.greeting")?.unwrap_or_default();
            app.routing(Router::new().route("/", get(move || async move { greeting })))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback(), "{addr}");
    let body = tokio::time::timeout(Duration::from_secs(10), async {
        reqwest::get(format!("http://{addr}/")).await?.text().await
    })
    .await
    .expect("request timed out")
    .expect("request failed");
    assert_eq!(body, "Hello from the file");
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn bad_ssl_port_on_the_command_line_is_reported_with_the_argument() {
    let err = EngineMain::from_iter(["-sslPort=443x"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ktor.deployment.sslPort: \"443x\" is not a port number (command line `-sslPort=443x`)"
    );
}

#[test]
fn grace_period_set_with_dash_p_accepts_a_hocon_duration() {
    let server = load(&["-P:ktor.deployment.shutdownGracePeriod=2 minutes".into()])
        .server_config()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.shutdown_grace_period, Duration::from_secs(120));
}

#[test]
fn ssl_keys_are_kept_for_the_tls_connector() {
    let dir = Scratch::new("ssl");
    let file = dir.file(
        "a.conf",
        "ktor.security.ssl {\n  keyStore = server.p12\n  enabledProtocols = [TLSv1.3]\n}\n",
    );
    let main = load(&[config_arg(&file), "-sslKeyStore=other.p12".into()]);
    let config = main.config();
    assert_eq!(
        config.string(keys::SSL_KEY_STORE).ok().flatten().as_deref(),
        Some("other.p12")
    );
    assert_eq!(
        config
            .string_list(keys::SSL_ENABLED_PROTOCOLS)
            .ok()
            .flatten(),
        Some(vec!["TLSv1.3".to_owned()])
    );
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_misspelt_ktor_key_is_a_start_up_warning_naming_file_line_and_nearest_key() {
    let dir = Scratch::new("unread");
    let file = dir.file(
        "a.conf",
        "ktor.deployment {\n  host = 127.0.0.1\n  port = 0\n  shutdownGracePeriod = 100\n  prot = 8080\n}\n",
    );
    let buffer = LogBuffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .without_time()
        .with_target(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runs on a current-thread runtime: the start-up logs on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = load(&[config_arg(&file)])
        .start(|app, _| app.routing(Router::new()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    server.shutdown().await.unwrap_or_else(|e| panic!("{e}"));
    let logs = String::from_utf8_lossy(&buffer.0.lock().expect("log buffer")).into_owned();
    let warning = format!(
        "WARN {}:5: ktor.deployment.prot: oxtor does not read this key; did you mean `port`?",
        file.display()
    );
    assert!(logs.contains(&warning), "{warning}\nnot in\n{logs}");
}
