//! Ports of Ktor's `DefaultRequestTest` and `ClientPluginsTest.testInstallOrReplace` (§14.3).
//! URL merging is checked on the prepared request (Ktor's mock engine echoes the URL); header
//! merging goes over a real socket to a server that echoes the headers it received.
#![cfg(feature = "client")]

mod client_support;

use std::collections::BTreeMap;

use axum::{http::HeaderMap, routing::get, Json, Router};
use client_support::{serve, TestServer};
use oxtor_runtime::client::{DefaultRequest, HttpClient};

fn client_with(
    block: impl Fn(&mut oxtor_runtime::client::DefaultRequestBuilder) + Send + Sync + 'static,
) -> HttpClient {
    HttpClient::configure(|cfg| {
        cfg.default_request(block);
    })
    .expect("client")
}

fn url_of(client: &HttpClient, url: &str) -> String {
    client
        .get(url)
        .prepared()
        .expect("prepared")
        .url_ref()
        .to_string()
}

#[test]
fn relative_urls_resolve_against_a_default_ending_in_a_slash() {
    let client = client_with(|d| {
        d.url("http://base.url/path/");
    });
    assert_eq!(url_of(&client, ""), "http://base.url/path/");
    assert_eq!(url_of(&client, "/"), "http://base.url/");
    assert_eq!(url_of(&client, "file"), "http://base.url/path/file");
    assert_eq!(url_of(&client, "/other_path"), "http://base.url/other_path");
    assert_eq!(
        url_of(&client, "//other.host/other_path"),
        "http://other.host/other_path"
    );
}

#[test]
fn relative_urls_replace_the_last_segment_of_a_default_file() {
    let client = client_with(|d| {
        d.url("http://base.url/path/default_file");
    });
    assert_eq!(url_of(&client, ""), "http://base.url/path/default_file");
    assert_eq!(url_of(&client, "file"), "http://base.url/path/file");
}

#[test]
fn without_a_default_url_the_origin_is_localhost() {
    let client = client_with(|d| {
        d.header("X-Only", "header");
    });
    assert_eq!(url_of(&client, ""), "http://localhost");
    assert_eq!(
        url_of(&client, "//other.host:80/other_path"),
        "http://other.host/other_path"
    );
}

#[test]
fn default_host_and_port_apply_unless_the_request_has_a_host() {
    let client = client_with(|d| {
        d.host("default.host").port(1234);
    });
    assert_eq!(url_of(&client, ""), "http://default.host:1234");
    let with_port = client
        .get("")
        .with(|r| {
            r.url_with(|u| {
                u.set_port(2345);
            });
        })
        .prepared()
        .expect("prepared");
    assert_eq!(with_port.url_ref().to_string(), "http://default.host:2345");
    assert_eq!(
        url_of(&client, "//other.host:2345/"),
        "http://other.host:2345/"
    );
}

#[test]
fn default_protocol_applies_only_to_requests_without_one() {
    let client = client_with(|d| {
        d.protocol("https");
    });
    assert_eq!(url_of(&client, ""), "https://localhost");
    assert_eq!(url_of(&client, "//other.host/"), "https://other.host/");
    assert_eq!(url_of(&client, "ws://other.host/"), "ws://other.host/");
    assert_eq!(url_of(&client, "http://other.host"), "http://other.host");
}

#[test]
fn an_absolute_url_is_unchanged_when_only_headers_are_defaulted() {
    let client = client_with(|d| {
        d.header("X-Only", "header");
    });
    assert_eq!(
        url_of(&client, "https://my-website.com:123/v2/api"),
        "https://my-website.com:123/v2/api"
    );
}

#[test]
fn request_query_parameters_and_fragment_override_the_defaults() {
    let client = client_with(|d| {
        d.url("http://base.url/?key=default&other=kept#default");
    });
    let url = url_of(&client, "path?key=custom#custom");
    assert_eq!(url, "http://base.url/path?key=custom&other=kept#custom");
    assert_eq!(
        url_of(&client, "path"),
        "http://base.url/path?key=default&other=kept#default"
    );
}

#[test]
fn default_attributes_apply_unless_the_request_sets_its_own() {
    #[derive(Debug, PartialEq)]
    struct Tenant(&'static str);
    let client = client_with(|d| {
        d.attribute(Tenant("default"));
    });
    let defaulted = client.get("/").prepared().expect("prepared");
    let own = client
        .get("/")
        .with(|r| {
            r.attribute(Tenant("own"));
        })
        .prepared()
        .expect("prepared");
    assert_eq!(
        defaulted.attributes().get::<Tenant>(),
        Some(&Tenant("default"))
    );
    assert_eq!(own.attributes().get::<Tenant>(), Some(&Tenant("own")));
}

/// Echoes every received header: name → values.
async fn header_echo() -> TestServer {
    let router = Router::new().route(
        "/headers",
        get(|headers: HeaderMap| async move {
            let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (name, value) in &headers {
                out.entry(name.to_string())
                    .or_default()
                    .push(value.to_str().unwrap_or("?").to_owned());
            }
            Json(out)
        }),
    );
    serve("127.0.0.1", router, vec![]).await
}

async fn received(
    client: &HttpClient,
    f: impl FnOnce(&mut oxtor_runtime::client::HttpRequestBuilder),
) -> BTreeMap<String, Vec<String>> {
    client
        .get("/headers")
        .with(f)
        .await
        .expect("response")
        .json()
        .await
        .expect("json")
}

fn joined(headers: &BTreeMap<String, Vec<String>>, name: &str) -> String {
    headers.get(name).map(|v| v.join(", ")).unwrap_or_default()
}

#[tokio::test]
async fn user_header_values_come_first_then_missing_defaults() {
    let server = header_echo().await;
    let base = server.url("/");
    let client = client_with(move |d| {
        d.url(&base);
        d.headers(|h| {
            h.append("header-1", "value-default-1");
            h.append_if_name_absent("header-2", "value-default-2");
        });
    });

    let headers = received(&client, |r| {
        r.header("header-1", "value-1")
            .header("header-2", "value-2");
    })
    .await;

    let all = format!(
        "{}, {}",
        joined(&headers, "header-1"),
        joined(&headers, "header-2")
    );
    assert_eq!(all, "value-1, value-default-1, value-2");
}

#[tokio::test]
async fn cookies_are_sent_once_user_first() {
    let server = header_echo().await;
    let base = server.url("/");
    let client = client_with(move |d| {
        d.url(&base);
        d.cookie("first-cookie", "foo");
    });

    let headers = received(&client, |r| {
        r.cookie("second-cookie", "bar");
    })
    .await;

    assert_eq!(
        headers["cookie"],
        vec!["second-cookie=bar; first-cookie=foo"]
    );
}

#[tokio::test]
async fn the_request_content_type_wins_over_the_default() {
    let server = header_echo().await;
    let base = server.url("/");
    let client = client_with(move |d| {
        d.url(&base);
        d.content_type("application/json");
    });

    let headers = received(&client, |r| {
        r.content_type("application/xml");
    })
    .await;

    assert_eq!(headers["content-type"], vec!["application/xml"]);
}

#[tokio::test]
async fn default_request_with_replace_discards_the_parents_defaults() {
    let server = header_echo().await;
    let base = server.url("/");
    let parent = client_with(move |d| {
        d.url(&base);
        d.header("authorization", "Bearer firstAuth");
    });
    let base = server.url("/");
    let child = parent
        .config(|cfg| {
            cfg.default_request(move |d| {
                d.url(&base);
                d.header("authorization", "Bearer secondAuth");
            })
            .replace(true);
        })
        .expect("child");

    let headers = received(&child, |_| {}).await;

    assert_eq!(joined(&headers, "authorization"), "Bearer secondAuth");
    assert_eq!(child.runtime_handle().id(), parent.runtime_handle().id());
}

#[tokio::test]
async fn headers_blocks_take_effect_and_chain() {
    let server = header_echo().await;
    let base = server.url("/");
    let client = HttpClient::configure(|cfg| {
        cfg.default_request(move |d| {
            d.url(&base);
            d.headers(|h| {
                h.append("X-Multi", "value1");
                h.append("X-Multi", "value2");
            });
        });
        cfg.default_request(|d| {
            d.headers(|h| {
                h.append("X-Chained", "yes");
            });
        });
    })
    .expect("client");

    let headers = received(&client, |_| {}).await;

    assert_eq!(joined(&headers, "x-multi"), "value1, value2");
    assert_eq!(joined(&headers, "x-chained"), "yes");
}

#[tokio::test]
async fn install_in_a_derived_client_adds_to_the_parents_configuration() {
    let server = header_echo().await;
    let base = server.url("/");
    let parent = HttpClient::configure(|cfg| {
        cfg.install(DefaultRequest, move |d| {
            d.url(&base);
            d.header("CustomHeader1", "true");
        });
    })
    .expect("parent");
    let child = parent
        .config(|cfg| {
            cfg.install(DefaultRequest, |d| {
                d.header("CustomHeader2", "true");
            });
        })
        .expect("child");

    let headers = received(&child, |_| {}).await;

    assert_eq!(joined(&headers, "customheader1"), "true");
    assert_eq!(joined(&headers, "customheader2"), "true");
}

#[tokio::test]
async fn install_or_replace_discards_earlier_config_blocks() {
    let server = header_echo().await;
    let base = server.url("/");
    let parent = HttpClient::configure(|cfg| {
        cfg.install(DefaultRequest, move |d| {
            d.url(&base);
            d.header("CustomHeader1", "true");
        });
    })
    .expect("parent");
    let base = server.url("/");
    let child = parent
        .config(|cfg| {
            cfg.install_or_replace(DefaultRequest, move |d| {
                d.url(&base);
                d.header("CustomHeader2", "false");
                d.header("CustomHeader3", "true");
            });
        })
        .expect("child");

    let headers = received(&child, |_| {}).await;
    let from_parent = received(&parent, |_| {}).await;

    assert!(!headers.contains_key("customheader1"));
    assert_eq!(headers["customheader2"], vec!["false"]);
    assert_eq!(headers["customheader3"], vec!["true"]);
    assert_eq!(joined(&from_parent, "customheader1"), "true");
}

#[tokio::test]
async fn install_after_install_or_replace_chains_onto_the_replacement() {
    let client = HttpClient::configure(|cfg| {
        cfg.install(DefaultRequest, |d| {
            d.header("A", "1");
        });
        cfg.install_or_replace(DefaultRequest, |d| {
            d.header("B", "2");
        });
        cfg.install(DefaultRequest, |d| {
            d.header("C", "3");
        });
    })
    .expect("client");
    let req = client.get("/").prepared().expect("prepared");
    assert!(!req.headers_ref().contains("a"));
    assert_eq!(req.headers_ref().get("b"), Some("2"));
    assert_eq!(req.headers_ref().get("c"), Some("3"));
}
