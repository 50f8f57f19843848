//! `HeaderMapExt::get_split_values`: property tests against a transliteration of Ktor's
//! algorithm, and the split applied to field lines a real HTTP/1.1 peer sends.
use std::time::Duration;

use axum::{routing::get, Json, Router};
use http::{HeaderMap, HeaderValue};
use oxtor_runtime::{
    headers::{is_kotlin_whitespace, split_header_value, value_text, HeaderMapExt},
    testing::TestApplication,
    Application,
};
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Ktor 3.4's `splitHeaderValue`, transliterated index by index (the oracle).
fn ktor_split(value: &str, separator: char, split_inside_quotes: bool) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let trim = |s: &[char]| -> String {
        s.iter()
            .collect::<String>()
            .trim_matches(is_kotlin_whitespace)
            .to_owned()
    };
    if split_inside_quotes {
        return chars
            .split(|&c| c == separator)
            .map(trim)
            .filter(|s| !s.is_empty())
            .collect();
    }
    let mut result = Vec::new();
    let (mut start, mut i, mut in_quotes, mut escape) = (0, 0, false, false);
    let mut emit = |start: usize, end: usize| {
        let token = trim(&chars[start..end]);
        if !token.is_empty() {
            result.push(token);
        }
    };
    while i < chars.len() {
        let ch = chars[i];
        if in_quotes {
            if escape {
                escape = false;
            } else if ch == '\\' {
                escape = true;
            } else if ch == '"' {
                in_quotes = false;
            }
            i += 1;
            continue;
        }
        if ch == '"' {
            in_quotes = true;
        } else if ch == separator {
            emit(start, i);
            start = i + 1;
        }
        i += 1;
    }
    emit(start, chars.len());
    result
}

/// Bytes a `HeaderValue` accepts: HTAB, SP, visible ASCII and obs-text.
fn field_value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            12 => prop::sample::select(b"\t \",;\\=aZ".to_vec()),
            2 => 0x21u8..=0x7e,
            1 => 0x80u8..=0xff,
        ],
        0..24,
    )
}

fn separator() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![',', ';', '=', ' ', '"', '\\', 'a']),
        1 => any::<char>(),
    ]
}

/// A token with no separator, no quote, not empty, not starting or ending in whitespace.
fn token() -> impl Strategy<Value = String> {
    "[!#-+\\--~\\p{L}]([ !#-+\\--~\\p{L}]{0,8}[!#-+\\--~\\p{L}])?"
}

fn map_of(lines: &[Vec<u8>]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for line in lines {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            map.append("x-list", value);
        }
    }
    map
}

proptest! {
    #[test]
    fn matches_ktors_algorithm(value in field_value(), sep in separator(), inside in any::<bool>()) {
        let Ok(value) = HeaderValue::from_bytes(&value) else { return Ok(()) };
        let text = value_text(&value);
        let ours: Vec<&str> = split_header_value(&text, sep, inside).collect();
        prop_assert_eq!(ours, ktor_split(&text, sep, inside));
    }

    #[test]
    fn items_are_never_empty_or_untrimmed(
        lines in prop::collection::vec(field_value(), 1..4),
        sep in separator(),
        inside in any::<bool>(),
    ) {
        let map = map_of(&lines);
        for item in map.get_split_values_with("x-list", sep, inside).unwrap_or_default() {
            prop_assert!(!item.is_empty());
            prop_assert_eq!(item.trim_matches(is_kotlin_whitespace), item.as_str());
        }
    }

    #[test]
    fn items_appear_in_the_value_in_order(value in field_value(), sep in separator(), inside in any::<bool>()) {
        let Ok(value) = HeaderValue::from_bytes(&value) else { return Ok(()) };
        let text = value_text(&value);
        let mut rest: &str = &text;
        for item in split_header_value(&text, sep, inside) {
            let at = rest.find(item);
            prop_assert!(at.is_some(), "{item:?} not found in {rest:?}");
            rest = &rest[at.unwrap_or(0) + item.len()..];
        }
    }

    #[test]
    fn without_quotes_both_modes_agree(value in field_value(), sep in separator()) {
        let Ok(value) = HeaderValue::from_bytes(&value) else { return Ok(()) };
        let text = value_text(&value);
        prop_assume!(!text.contains('"'));
        let quoted: Vec<&str> = split_header_value(&text, sep, false).collect();
        let plain: Vec<&str> = split_header_value(&text, sep, true).collect();
        prop_assert_eq!(quoted, plain);
    }

    #[test]
    fn joined_tokens_split_back(
        lines in prop::collection::vec(prop::collection::vec((token(), "[ \t]{0,2}", "[ \t]{0,2}"), 0..5), 1..4),
        sep in prop::sample::select(vec![',', ';', '=', '|']),
        inside in any::<bool>(),
    ) {
        let mut map = HeaderMap::new();
        let mut expected = Vec::new();
        for line in &lines {
            let mut joined = String::new();
            for (i, (token, before, after)) in line.iter().enumerate() {
                let token = token.replace(sep, "x");
                if i > 0 {
                    joined.push(sep);
                }
                joined.push_str(&format!("{before}{token}{after}"));
                expected.push(token);
            }
            let value = HeaderValue::from_str(&joined);
            prop_assert!(value.is_ok(), "{joined:?}");
            if let Ok(value) = value {
                map.append("x-list", value);
            }
        }
        prop_assert_eq!(map.get_split_values_with("x-list", sep, inside), Some(expected));
    }

    #[test]
    fn absent_header_is_none_whatever_else_is_present(lines in prop::collection::vec(field_value(), 0..4)) {
        prop_assert_eq!(map_of(&lines).get_split_values("x-other"), None);
    }
}

/// Sends `request` raw over HTTP/1.1 and returns the response body.
async fn raw_exchange(server: &TestApplication, request: &[u8]) -> String {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await?;
        stream.write_all(request).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        std::io::Result::Ok(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .expect("exchange timed out")
        .expect("exchange failed");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("no end of head");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_owned()
}

async fn echo_split_server() -> TestApplication {
    let mut app = Application::new(());
    app.routing(Router::new().route(
        "/split",
        get(|headers: HeaderMap| async move { Json(headers.get_split_values("x-multi")) }),
    ))
    .expect("routes");
    TestApplication::start(app).await.expect("start")
}

#[tokio::test]
async fn repeated_field_lines_from_a_peer_are_split_and_concatenated() {
    let server = echo_split_server().await;
    let body = raw_exchange(
        &server,
        b"GET /split HTTP/1.1\r\nHost: t\r\nX-Multi: 1, \"2,3\"\r\nConnection: close\r\nx-multi:  4 ,, \r\n\r\n",
    )
    .await;
    assert_eq!(body, r#"["1","\"2,3\"","4"]"#);
}

#[tokio::test]
async fn header_a_peer_did_not_send_is_null() {
    let server = echo_split_server().await;
    let body = raw_exchange(
        &server,
        b"GET /split HTTP/1.1\r\nHost: t\r\nX-Other: 1\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(body, "null");
}

#[tokio::test]
async fn obs_text_from_a_peer_reads_as_latin1() {
    let server = echo_split_server().await;
    let body = raw_exchange(
        &server,
        b"GET /split HTTP/1.1\r\nHost: t\r\nX-Multi: caf\xe9, na\xefve\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(body, r#"["café","naïve"]"#);
}
