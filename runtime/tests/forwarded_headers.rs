//! `XForwardedHeaders` and `HSTS` over real sockets: Ktor's XForwardedHeaders behaviour and
//! HSTSTest cases (HSTS sees the scheme and port a trusted proxy reports).
#![cfg(feature = "forwarded-headers")]

use axum::{body::Body, routing::get, Router};
use oxtor_runtime::{
    origin::RequestOrigin,
    plugins::forwarded_headers::{XForwardedHeaders, XForwardedHeadersConfig},
    testing::{TestApplication, TestResponse},
    Application,
};

async fn describe(o: RequestOrigin) -> String {
    format!(
        "{}://{}:{} from {}",
        o.scheme, o.host, o.port, o.remote_host
    )
}

async fn serve(f: impl FnOnce(&mut XForwardedHeadersConfig)) -> TestApplication {
    let mut app = Application::new(());
    app.install(XForwardedHeaders::configure(f)).unwrap();
    app.routing(Router::new().route("/", get(describe)))
        .unwrap();
    TestApplication::start(app).await.unwrap()
}

async fn get_with(server: &TestApplication, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = http::Request::get("/");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    server.send(req.body(Body::empty()).unwrap()).await.unwrap()
}

/// Without forwarded headers a handler sees the connection itself.
#[tokio::test]
async fn without_headers_the_origin_is_the_connection() {
    let server = serve(|_| {}).await;
    let own = format!("http://127.0.0.1:{} from 127.0.0.1", server.addr().port());
    assert_eq!(get_with(&server, &[]).await.text().unwrap(), own);
}

/// From a trusted proxy (loopback by default) the scheme, host, port and client change; the
/// first value is used by default.
#[tokio::test]
async fn trusted_proxy_headers_change_the_origin() {
    let server = serve(|_| {}).await;
    let res = get_with(
        &server,
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "example.com:8443"),
            ("x-forwarded-for", "203.0.113.7, 10.0.0.1"),
        ],
    )
    .await;
    assert_eq!(
        res.text().unwrap(),
        "https://example.com:8443 from 203.0.113.7"
    );
    let res = get_with(
        &server,
        &[("x-forwarded-ssl", "on"), ("x-forwarded-port", "9443")],
    )
    .await;
    assert!(res.text().unwrap().starts_with("https://127.0.0.1:9443"));
}

/// Headers from a client that is not a trusted proxy are ignored.
#[tokio::test]
async fn untrusted_client_headers_are_ignored() {
    let server = serve(|cfg| {
        cfg.trusted_proxies(["10.0.0.0/8"]);
    })
    .await;
    let res = get_with(
        &server,
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-for", "1.2.3.4"),
        ],
    )
    .await;
    assert!(res.text().unwrap().starts_with("http://127.0.0.1:"));
}

/// Ktor's `useLastProxy`, `skipLastProxies` and `skipKnownProxies`.
#[tokio::test]
async fn proxy_selection_strategies() {
    let chain = [("x-forwarded-for", "client, proxy1, proxy2")];
    let last = serve(|cfg| {
        cfg.use_last_proxy();
    })
    .await;
    assert!(get_with(&last, &chain)
        .await
        .text()
        .unwrap()
        .ends_with("from proxy2"));
    let skip = serve(|cfg| {
        cfg.skip_last_proxies(2);
    })
    .await;
    assert!(get_with(&skip, &chain)
        .await
        .text()
        .unwrap()
        .ends_with("from client"));
    let known = serve(|cfg| {
        cfg.skip_known_proxies(["proxy2"]);
    })
    .await;
    assert!(get_with(&known, &chain)
        .await
        .text()
        .unwrap()
        .ends_with("from proxy1"));
}

#[cfg(feature = "hsts")]
mod hsts {
    use super::*;
    use oxtor_runtime::plugins::hsts::{HstsConfig, HSTS};

    async fn serve(f: impl FnOnce(&mut HstsConfig)) -> TestApplication {
        let mut app = Application::new(());
        app.install(XForwardedHeaders::default()).unwrap();
        app.install(HSTS::configure(f)).unwrap();
        app.routing(Router::new().route("/", get(|| async { "ok" })))
            .unwrap();
        TestApplication::start(app).await.unwrap()
    }

    const STS: &str = "strict-transport-security";

    /// Ktor `testHttp`.
    #[tokio::test]
    async fn plain_http_gets_no_header() {
        let server = serve(|_| {}).await;
        assert_eq!(get_with(&server, &[]).await.header(STS), None);
    }

    /// Ktor `testHttps`.
    #[tokio::test]
    async fn https_gets_the_default_header() {
        let server = serve(|_| {}).await;
        let res = get_with(
            &server,
            &[("x-forwarded-proto", "https"), ("x-forwarded-host", "some")],
        )
        .await;
        assert_eq!(res.header(STS), Some("max-age=31536000; includeSubDomains"));
    }

    /// Ktor `testCustomPort` and `testSetCustomPort`.
    #[tokio::test]
    async fn other_port_needs_a_filter() {
        let https_8443 = [
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "some:8443"),
        ];
        let server = serve(|_| {}).await;
        assert_eq!(get_with(&server, &https_8443).await.header(STS), None);
        let server = serve(|cfg| {
            cfg.filter(|o| o.scheme == "https" && o.port == 8443);
        })
        .await;
        assert!(get_with(&server, &https_8443).await.header(STS).is_some());
    }

    /// Ktor `testHttpsCustomDirectiveNoValue`, `testHttpsMaxAgeOnly`, `testHttpsHostOverride`.
    #[tokio::test]
    async fn directives_and_host_override() {
        let server = serve(|cfg| {
            cfg.max_age_in_seconds(10);
            cfg.include_sub_domains(false);
            cfg.preload(true);
            cfg.custom_directive("redirectHttpToHttps", None);
            cfg.custom_directive("x", Some("a b"));
            cfg.with_host("my-host", |cfg| {
                cfg.max_age_in_seconds(20);
                cfg.include_sub_domains(false);
            });
        })
        .await;
        let res = get_with(
            &server,
            &[("x-forwarded-proto", "https"), ("x-forwarded-host", "some")],
        )
        .await;
        assert_eq!(
            res.header(STS),
            Some("max-age=10; preload; redirectHttpToHttps; x=\"a b\"")
        );
        let res = get_with(
            &server,
            &[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "my-host"),
            ],
        )
        .await;
        assert_eq!(res.header(STS), Some("max-age=20"));
    }
}
