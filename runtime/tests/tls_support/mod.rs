//! Shared by the TLS tests: throwaway certificates from `scripts/dev-certs`, an app that says
//! hello and who the client is, and the real peers (`curl`, `openssl s_client`).
#![allow(dead_code, unreachable_pub)]

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::Duration,
};

use axum::{routing::get, Router};
use oxtor_runtime::{
    origin::RequestOrigin,
    server::{
        tls::{PeerCertificates, Tls, TlsSettings},
        Connector, RunningServer, Server, ServerConfig,
    },
    Application,
};

pub const PASSWORD: &str = "changeit";

/// A directory of dev certificates, removed on drop.
pub struct Certs {
    pub dir: PathBuf,
}

impl Certs {
    /// Runs `scripts/dev-certs` into a fresh temp directory named after `name`.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("oxtor-tls-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/dev-certs");
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .arg(PASSWORD)
            .output()
            .expect("bash and openssl (scripts/test installs openssl)");
        assert!(
            out.status.success(),
            "dev-certs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self { dir }
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// The path as a string, for command lines and config files.
    pub fn arg(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }
}

/// A JKS store in `certs`' directory, written with the `jks` crate's encoder as Java's `keytool`
/// writes one, password [`PASSWORD`]: with `key` = (key file, chain files), the PKCS#8 key under
/// alias `mykey` with that chain; and each of `trusted` as a trusted certificate under its file
/// stem. Files are PEM.
pub fn jks_store(
    certs: &Certs,
    key: Option<(&str, &[&str])>,
    trusted: &[&str],
    out: &str,
) -> PathBuf {
    use rustls_pki_types::{pem::PemObject, CertificateDer, PrivatePkcs8KeyDer};
    let cert = |file: &str| jks::Certificate {
        cert_type: "X.509".into(),
        content: CertificateDer::from_pem_file(certs.path(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .to_vec(),
    };
    let mut store = jks::KeyStore::new();
    if let Some((key_file, chain)) = key {
        let key = PrivatePkcs8KeyDer::from_pem_file(certs.path(key_file))
            .unwrap_or_else(|e| panic!("{key_file}: {e}"));
        store
            .set_private_key_entry(
                "mykey",
                jks::PrivateKeyEntry {
                    creation_time: std::time::SystemTime::now(),
                    private_key: key.secret_pkcs8_der().to_vec(),
                    certificate_chain: chain.iter().map(|file| cert(file)).collect(),
                },
                PASSWORD.as_bytes(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for file in trusted {
        let alias = file.split('.').next().unwrap_or(file);
        store
            .set_trusted_certificate_entry(
                alias,
                jks::TrustedCertificateEntry {
                    creation_time: std::time::SystemTime::now(),
                    certificate: cert(file),
                },
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let path = certs.path(out);
    let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
    store
        .store(file, PASSWORD.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    path
}

/// The dev certificates' PKCS#12 key store (`server.p12`) with [`PASSWORD`] for both passwords.
pub fn p12_settings(certs: &Certs) -> TlsSettings {
    TlsSettings::new(certs.path("server.p12"))
        .key_store_password(PASSWORD)
        .private_key_password(PASSWORD)
}

/// [`Tls::load`], panicking with the error's message.
pub fn load(settings: TlsSettings) -> Tls {
    Tls::load(settings).unwrap_or_else(|e| panic!("{e}"))
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `GET /hello` → `Hello, world!`; `GET /scheme` → the request's scheme as [`RequestOrigin`] sees it; `GET /whoami` → the client certificate's subject, or
/// `anonymous`; `GET /admin` → only for a client certificate with CN=alice.
pub fn app() -> Application<()> {
    let mut app = Application::new(());
    let routes = Router::new()
        .route("/hello", get(|| async { "Hello, world!" }))
        .route(
            "/scheme",
            get(|origin: RequestOrigin| async move { origin.scheme }),
        )
        .route(
            "/whoami",
            get(|peer: Option<PeerCertificates>| async move {
                peer.map_or_else(|| "anonymous".to_owned(), |p| p.subject().to_owned())
            }),
        )
        .route(
            "/admin",
            get(|peer: PeerCertificates| async move {
                if peer.common_name() == Some("alice") {
                    Ok(format!("welcome {}", peer.subject_alt_names().join(",")))
                } else {
                    Err(http::StatusCode::FORBIDDEN)
                }
            }),
        );
    app.routing(routes).expect("routes");
    app
}

/// Serves [`app`] over TLS only, on a free port of 127.0.0.1.
pub async fn serve_tls(tls: Tls) -> RunningServer {
    Server::new(app(), ServerConfig::local(0))
        .connectors([Connector::https("127.0.0.1", 0, tls)])
        .start()
        .await
        .expect("server starts")
}

/// Runs a command with a deadline; its output.
pub fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn peer");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("peer output")
}

/// `curl -sS --cacert ca.pem https://127.0.0.1:PORT/PATH` plus `extra` arguments, off the async
/// runtime.
pub async fn curl(certs: &Certs, addr: SocketAddr, path: &str, extra: &[&str]) -> Output {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "10", "--cacert"])
        .arg(certs.path("ca.pem"))
        .args(extra)
        .arg(format!("https://127.0.0.1:{}{path}", addr.port()));
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("curl thread")
}

/// `openssl s_client` to `addr` with `extra` arguments; its output (assert on the status).
pub async fn s_client(certs: &Certs, addr: SocketAddr, extra: &[&str]) -> Output {
    let mut cmd = Command::new("openssl");
    cmd.args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{}", addr.port()))
        .arg("-CAfile")
        .arg(certs.path("ca.pem"))
        .args(["-verify_return_error", "-brief"])
        .args(extra);
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .expect("s_client thread")
}

pub fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The serial of the certificate the server at `addr` presents (`openssl s_client` piped into
/// `openssl x509`), e.g. `serial=2A99…`.
pub async fn served_serial(addr: SocketAddr) -> String {
    let script = format!(
        "openssl s_client -connect 127.0.0.1:{} </dev/null 2>/dev/null | openssl x509 -noout -serial",
        addr.port()
    );
    let out = tokio::task::spawn_blocking(move || run(Command::new("sh").args(["-c", &script])))
        .await
        .expect("thread");
    text(&out).trim().to_owned()
}

/// The serial of a PEM certificate file.
pub fn file_serial(path: &Path) -> String {
    let out = run(Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(path));
    text(&out).trim().to_owned()
}
