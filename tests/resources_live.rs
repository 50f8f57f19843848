//! Live editing: in a debug build with `OXTOR_RESOURCES_DIR` set, resources are read from that
//! directory at each request. One test in its own binary, because the variable is read once
//! per process.
#![deny(warnings)]

use oxtor::{prelude::*, resources::RESOURCES_DIR_ENV, testing::TestApplication};

static RES: Resources = resources!("tests/fixtures/resources");

#[tokio::test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "live reading is a debug-build feature"
)]
async fn with_the_env_var_files_are_read_from_disk_and_edits_show_up() {
    let dir = std::env::temp_dir().join(format!("oxtor-live-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("public")).expect("temp dir");
    std::fs::write(dir.join("public/app.js"), "let v = 1;").expect("write");
    std::fs::write(dir.join("secret.txt"), "outside the folder").expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/hostname", dir.join("public/escape")).expect("symlink");
    // Set before the first request, the only time it is read; no other test runs in this binary.
    std::env::set_var(RESOURCES_DIR_ENV, &dir);

    let mut app = Application::new(());
    app.routing(static_resources("/static", &RES, "public"))
        .expect("routes");
    let server = TestApplication::start(app).await.expect("server starts");

    let first = server.get("/static/app.js").await.expect("get");
    assert_eq!(first.text().expect("utf-8"), "let v = 1;");
    std::fs::write(dir.join("public/app.js"), "let v = 2;").expect("write");
    let second = server.get("/static/app.js").await.expect("get");
    assert_eq!(second.text().expect("utf-8"), "let v = 2;");
    // Same length, same second: still a new validator.
    assert_ne!(first.headers()["etag"], second.headers()["etag"]);
    // Embedded, but not on disk: the disk is what is served.
    assert_eq!(
        server
            .get("/static/index.html")
            .await
            .expect("get")
            .status(),
        404
    );
    // A link out of the directory, and a file outside the route's folder.
    assert_eq!(
        server.get("/static/escape").await.expect("get").status(),
        404
    );
    assert_eq!(
        server
            .get("/static/%2e%2e/secret.txt")
            .await
            .expect("get")
            .status(),
        400
    );

    std::fs::remove_dir_all(&dir).expect("clean up");
}
