//! `CORS` over real sockets: Ktor's CORSTest cases, and a preflight from `curl -X OPTIONS`.
#![cfg(feature = "cors")]

use axum::{
    body::Body,
    routing::{delete, get},
    Router,
};
use http::{Method, StatusCode};
use oxtor_runtime::{
    plugins::cors::{CorsConfig, CORS},
    testing::{TestApplication, TestResponse},
    Application,
};

async fn serve(f: impl FnOnce(&mut CorsConfig)) -> TestApplication {
    let mut app = Application::new(());
    app.install(CORS::configure(f)).unwrap();
    app.routing(
        Router::new()
            .route("/", get(|| async { "OK" }))
            .route("/", delete(|| async { "OK" })),
    )
    .unwrap();
    TestApplication::start(app).await.unwrap()
}

async fn send(server: &TestApplication, method: Method, headers: &[(&str, &str)]) -> TestResponse {
    let mut req = http::Request::builder().method(method).uri("/");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    server.send(req.body(Body::empty()).unwrap()).await.unwrap()
}

const ACAO: &str = "access-control-allow-origin";

/// Ktor `testNoOriginHeader`, `testWrongOriginHeader`, `testWrongOriginHeaderIsEmpty`.
#[tokio::test]
async fn requests_without_a_valid_origin_pass_untouched() {
    let server = serve(|cfg| {
        cfg.any_host();
    })
    .await;
    for headers in [&[][..], &[("origin", "invalid-host")], &[("origin", "")]] {
        let res = send(&server, Method::GET, headers).await;
        assert_eq!(res.status(), StatusCode::OK, "{headers:?}");
        assert_eq!(res.header(ACAO), None);
        assert_eq!(res.text().unwrap(), "OK");
    }
}

/// Ktor `testSimpleRequest`: an allowed origin is echoed, another is forbidden with no body.
#[tokio::test]
async fn simple_request_from_allowed_and_other_host() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host");
    })
    .await;
    let res = send(&server, Method::GET, &[("origin", "http://my-host")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header(ACAO), Some("http://my-host"));
    assert_eq!(res.header("vary"), Some("Origin"));
    let res = send(&server, Method::GET, &[("origin", "http://other-host")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.text().unwrap(), "");
}

/// Ktor `testSimpleRequestPort1`/`Port2`/`Https`: scheme and port are part of the origin.
#[tokio::test]
async fn scheme_and_port_are_part_of_the_origin() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host:90").schemes(["https"]);
    })
    .await;
    let ok = send(&server, Method::GET, &[("origin", "https://my-host:90")]).await;
    assert_eq!(ok.header(ACAO), Some("https://my-host:90"));
    for other in ["http://my-host:90", "https://my-host", "https://my-host:91"] {
        let res = send(&server, Method::GET, &[("origin", other)]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{other}");
    }
}

/// Ktor `testSimpleRequestExposed`.
#[tokio::test]
async fn exposed_headers_are_listed() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host");
        cfg.expose_header("X-Custom");
        cfg.expose_header("Content-Type"); // simple: never listed
    })
    .await;
    let res = send(&server, Method::GET, &[("origin", "http://my-host")]).await;
    assert_eq!(
        res.header("access-control-expose-headers"),
        Some("X-Custom")
    );
}

/// Ktor `testSimpleRequestSubDomains` and `originWithWildcard`.
#[tokio::test]
async fn subdomains_and_wildcards() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host").sub_domains(["a"]);
        cfg.allow_host("*.wild.com");
    })
    .await;
    for ok in [
        "http://my-host",
        "http://a.my-host",
        "https://x.wild.com",
        "http://x.y.wild.com",
    ] {
        let res = send(&server, Method::GET, &[("origin", ok)]).await;
        assert_eq!(res.header(ACAO), Some(ok), "{ok}");
    }
    for bad in ["http://b.my-host", "http://wild.com", "http://xwild.com"] {
        assert_eq!(
            send(&server, Method::GET, &[("origin", bad)])
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{bad}"
        );
    }
}

/// Ktor `testSimpleStar` and `testSimpleStarCredentials`: `*` unless credentials are allowed.
#[tokio::test]
async fn any_host_answers_star_unless_credentials() {
    let star = serve(|cfg| {
        cfg.any_host();
    })
    .await;
    let res = send(&star, Method::GET, &[("origin", "http://my-host")]).await;
    assert_eq!(res.header(ACAO), Some("*"));
    assert_eq!(res.header("vary"), None);

    let creds = serve(|cfg| {
        cfg.any_host();
        cfg.allow_credentials(true);
    })
    .await;
    let res = send(&creds, Method::GET, &[("origin", "http://my-host")]).await;
    assert_eq!(res.header(ACAO), Some("http://my-host"));
    assert_eq!(res.header("access-control-allow-credentials"), Some("true"));
    assert_eq!(res.header("vary"), Some("Origin"));
}

/// Ktor `testSimpleNull`: the `null` origin is allowed by `any_host`.
#[tokio::test]
async fn null_origin_with_any_host() {
    let server = serve(|cfg| {
        cfg.any_host();
    })
    .await;
    let res = send(&server, Method::GET, &[("origin", "null")]).await;
    assert_eq!(
        (res.status(), res.header(ACAO)),
        (StatusCode::OK, Some("*"))
    );
}

/// Ktor `testSameOriginEnabled`: the server's own origin passes, another port is forbidden,
/// a same-origin preflight is answered.
#[tokio::test]
async fn same_origin_passes() {
    let server = serve(|_| {}).await;
    let own = format!("http://{}", server.addr());
    let other = format!("http://127.0.0.1:{}", server.addr().port().wrapping_add(1));
    for method in [Method::GET, Method::DELETE] {
        let res = send(&server, method, &[("origin", &own)]).await;
        assert_eq!((res.status(), res.header(ACAO)), (StatusCode::OK, None));
    }
    assert_eq!(
        send(&server, Method::GET, &[("origin", &other)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let res = send(
        &server,
        Method::OPTIONS,
        &[("origin", &own), ("access-control-request-method", "GET")],
    )
    .await;
    assert_eq!(
        (res.status(), res.header(ACAO)),
        (StatusCode::OK, Some(own.as_str()))
    );
    // OPTIONS without Access-Control-Request-Method falls through to routing.
    let res = send(&server, Method::OPTIONS, &[("origin", &own)]).await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Ktor `testSameOriginDisabled`.
#[tokio::test]
async fn same_origin_disabled_is_forbidden() {
    let server = serve(|cfg| {
        cfg.allow_same_origin(false);
    })
    .await;
    let own = format!("http://{}", server.addr());
    assert_eq!(
        send(&server, Method::GET, &[("origin", &own)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// Ktor `testMultipleDomainsOriginNotSupported`: two `Origin` headers are not CORS.
#[tokio::test]
async fn two_origins_pass_untouched() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host");
    })
    .await;
    let res = send(
        &server,
        Method::GET,
        &[("origin", "http://my-host"), ("origin", "http://other")],
    )
    .await;
    assert_eq!((res.status(), res.header(ACAO)), (StatusCode::OK, None));
}

/// Ktor `testNonSimpleContentTypeNotAllowedByDefault`.
#[tokio::test]
async fn non_simple_content_type_is_forbidden_by_default() {
    let server = serve(|cfg| {
        cfg.any_host();
    })
    .await;
    let json = [
        ("origin", "http://my-host"),
        ("content-type", "application/json"),
    ];
    assert_eq!(
        send(&server, Method::GET, &json).await.status(),
        StatusCode::FORBIDDEN
    );
    let text = [
        ("origin", "http://my-host"),
        ("content-type", "text/plain; charset=utf-8"),
    ];
    assert_eq!(
        send(&server, Method::GET, &text).await.status(),
        StatusCode::OK
    );
    let allowed = serve(|cfg| {
        cfg.any_host();
        cfg.allow_header("Content-Type");
    })
    .await;
    assert_eq!(
        send(&allowed, Method::GET, &json).await.status(),
        StatusCode::OK
    );
}

/// Ktor `testPreFlight`.
#[tokio::test]
async fn preflight() {
    let server = serve(|cfg| {
        cfg.any_host();
        cfg.allow_header("Range");
    })
    .await;
    let pre = |extra: &'static [(&'static str, &'static str)]| {
        let mut h = vec![("origin", "http://my-host")];
        h.extend_from_slice(extra);
        h
    };
    let res = send(
        &server,
        Method::OPTIONS,
        &pre(&[("access-control-request-method", "GET")]),
    )
    .await;
    assert_eq!(
        (res.status(), res.header(ACAO), res.header("vary")),
        (StatusCode::OK, Some("*"), None)
    );
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("GET, HEAD, POST")
    );
    assert_eq!(res.header("access-control-max-age"), Some("86400"));
    let put = pre(&[("access-control-request-method", "PUT")]);
    assert_eq!(
        send(&server, Method::OPTIONS, &put).await.status(),
        StatusCode::FORBIDDEN
    );
    let accept = pre(&[
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "Accept"),
    ]);
    assert_eq!(
        send(&server, Method::OPTIONS, &accept).await.status(),
        StatusCode::OK
    );
    let ct = pre(&[
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "Content-Type"),
    ]);
    assert_eq!(
        send(&server, Method::OPTIONS, &ct).await.status(),
        StatusCode::FORBIDDEN
    );
    let alpn = pre(&[
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "ALPN"),
    ]);
    assert_eq!(
        send(&server, Method::OPTIONS, &alpn).await.status(),
        StatusCode::FORBIDDEN
    );
    let range = pre(&[
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "range"),
    ]);
    let res = send(&server, Method::OPTIONS, &range).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.header("access-control-allow-headers"), Some("Range"));
}

/// Ktor `testPreFlightCustomMethod` and `testPreflightCustomMaxAge`; an actual request with a
/// method that is not allowed is forbidden.
#[tokio::test]
async fn custom_method_and_max_age() {
    let server = serve(|cfg| {
        cfg.any_host();
        cfg.allow_method(Method::DELETE);
        cfg.max_age_in_seconds(100);
    })
    .await;
    let res = send(
        &server,
        Method::OPTIONS,
        &[
            ("origin", "http://h"),
            ("access-control-request-method", "DELETE"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("access-control-allow-methods"),
        Some("DELETE, GET, HEAD, POST")
    );
    assert_eq!(res.header("access-control-max-age"), Some("100"));
    assert_eq!(
        send(&server, Method::DELETE, &[("origin", "http://h")])
            .await
            .status(),
        StatusCode::OK
    );

    let strict = serve(|cfg| {
        cfg.any_host();
    })
    .await;
    assert_eq!(
        send(&strict, Method::DELETE, &[("origin", "http://h")])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

/// Ktor `testAnyHeaderWithPrefix*`: prefixed headers are allowed case-insensitively, listed
/// with the configured ones.
#[tokio::test]
async fn headers_with_prefix() {
    let server = serve(|cfg| {
        cfg.any_host();
        cfg.allow_headers_prefixed("custom-");
        cfg.allow_header("X-Other");
    })
    .await;
    let ok = [
        ("origin", "http://h"),
        ("access-control-request-method", "GET"),
        (
            "access-control-request-headers",
            "Custom-Header1, custom-header2",
        ),
    ];
    let res = send(&server, Method::OPTIONS, &ok).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("X-Other, custom-header1, custom-header2")
    );
    let bad = [
        ("origin", "http://h"),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "other-header"),
    ];
    assert_eq!(
        send(&server, Method::OPTIONS, &bad).await.status(),
        StatusCode::FORBIDDEN
    );
}

/// Ktor `testCorsValidationWithTrailingSlashOrigin` and `testOriginPredicatesSimpleRequest`.
#[tokio::test]
async fn trailing_slash_and_origin_predicates() {
    let server = serve(|cfg| {
        cfg.allow_host("my-host");
        cfg.allow_origins(|o| o.ends_with(".example.org"));
    })
    .await;
    let res = send(&server, Method::GET, &[("origin", "http://my-host/")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(&server, Method::GET, &[("origin", "https://a.example.org")]).await;
    assert_eq!(res.header(ACAO), Some("https://a.example.org"));
}

/// A preflight from curl (`curl -X OPTIONS`), as a browser sends it.
#[tokio::test]
async fn curl_preflight() {
    let server = serve(|cfg| {
        cfg.allow_host("example.com").schemes(["https"]);
        cfg.allow_header("X-Token");
        cfg.allow_method(Method::DELETE);
        cfg.allow_credentials(true);
    })
    .await;
    let out = tokio::process::Command::new("curl")
        .args(["-sS", "-i", "--max-time", "10", "-X", "OPTIONS"])
        .args(["-H", "Origin: https://example.com"])
        .args(["-H", "Access-Control-Request-Method: DELETE"])
        .args(["-H", "Access-Control-Request-Headers: x-token"])
        .arg(server.url("/"))
        .output()
        .await
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(text.starts_with("http/1.1 200"), "{text}");
    for line in [
        "access-control-allow-origin: https://example.com",
        "access-control-allow-credentials: true",
        "access-control-allow-methods: delete, get, head, post",
        "access-control-allow-headers: x-token",
        "vary: origin",
    ] {
        assert!(text.contains(line), "missing `{line}` in {text}");
    }
}
