//! Property tests of `Compression` over a real socket: for generated `Accept-Encoding` headers the
//! response uses a coding the client accepts with the highest `q` it gives (or none) and decodes
//! to the handler's body; for generated `Content-Encoding` lists (stacked, unknown, `identity`,
//! too many) the handler sees exactly the codings oxtor can undo undone, last listed first, and a
//! body decoded past the cap is refused with 413.
//! Few cases (each one is a request): the file runs in well under a second.
#![cfg(all(feature = "compression-zstd", feature = "compression-gzip"))]
mod compression_support;

use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
    routing::{get, post},
    Router,
};
use compression_support::{decode, gzip, send, zlib, zstd, Raw};
use http::Method;
use oxtor_runtime::{
    plugins::compression::{AppliedDecoders, Compression, CompressionConfig},
    testing::{TestApplication, TestRequest},
    Application,
};
use proptest::{prelude::*, test_runner::TestRunner};

/// The codings the test server registers.
const SERVER: [&str; 3] = ["zstd", "gzip", "deflate"];

fn text() -> String {
    "text to be compressed\n".repeat(100)
}

/// One server for all the cases of a test, on a current-thread runtime: the server runs while a
/// request is awaited.
struct Served {
    rt: tokio::runtime::Runtime,
    server: TestApplication,
}

impl Served {
    /// Sends the request `build` makes and reads the whole response.
    fn send(&self, build: impl FnOnce(&TestApplication) -> TestRequest<'_>) -> Raw {
        self.rt.block_on(send(build(&self.server)))
    }
}

/// Runs `test` on `cases` generated values against one server registering [`SERVER`].
fn run<S: Strategy>(
    cases: u32,
    strategy: S,
    test: impl Fn(&Served, S::Value) -> Result<(), TestCaseError>,
) {
    run_with(|_| {}, cases, strategy, test);
}

/// As [`run`], with more of the plugin configured by `configure`.
fn run_with<S: Strategy>(
    configure: impl FnOnce(&mut CompressionConfig),
    cases: u32,
    strategy: S,
    test: impl Fn(&Served, S::Value) -> Result<(), TestCaseError>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = rt.block_on(async {
        let mut app = Application::new(());
        app.install(Compression::configure(|c| {
            c.zstd(|_| {}).gzip(|_| {}).deflate(|_| {});
            configure(c);
        }))
        .expect("valid config");
        let router = Router::new()
            .route("/", get(|| async { text() }))
            .route("/echo", post(echo));
        app.routing(router).expect("routes");
        TestApplication::start(app).await.expect("server starts")
    });
    let served = Served { rt, server };
    let mut runner = TestRunner::new(ProptestConfig::with_cases(cases));
    let result = runner.run(&strategy, |value| test(&served, value));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// What the handler saw: the body, and in headers its `Content-Encoding` and applied decoders.
async fn echo(
    applied: AppliedDecoders,
    headers: HeaderMap,
    body: Bytes,
) -> ([(&'static str, String); 2], Bytes) {
    let ce = headers
        .get_all(http::header::CONTENT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    (
        [
            ("x-content-encoding", ce),
            ("x-applied", applied.0.join(",")),
        ],
        body,
    )
}

/// One `Accept-Encoding` entry: a coding, its `q` in thousandths (`None`: no `q`), or a
/// malformed `q` that makes the whole entry ignored.
#[derive(Debug, Clone)]
enum Entry {
    Valid(&'static str, Option<u16>),
    BadQ(&'static str, &'static str),
}

fn entry() -> impl Strategy<Value = Entry> {
    let coding = prop::sample::select(vec![
        "zstd", "ZSTD", "gzip", "x-gzip", "GZip", "deflate", "br", "identity", "*", "compress",
    ]);
    prop_oneof![
        6 => (coding.clone(), prop::option::of(prop_oneof![Just(0u16), Just(1000u16), 0u16..=1000]))
            .prop_map(|(c, q)| Entry::Valid(c, q)),
        1 => (coding, prop::sample::select(vec!["2", "1.5", "abc", "", "0.0001"]))
            .prop_map(|(c, q)| Entry::BadQ(c, q)),
    ]
}

fn render(entries: &[Entry]) -> String {
    entries
        .iter()
        .map(|e| match e {
            Entry::Valid(c, None) => (*c).to_owned(),
            Entry::Valid(c, Some(q)) => format!("{c};q={}.{:03}", q / 1000, q % 1000),
            Entry::BadQ(c, q) => format!("{c} ; q={q}"),
        })
        .collect::<Vec<_>>()
        .join(" , ")
}

/// The q the client gives `coding` (RFC 9110 §12.5.3): its first entry, else `*`'s, else none.
/// Coding names are case-insensitive and `x-gzip` is `gzip`.
fn q_for(entries: &[Entry], coding: &str) -> Option<u16> {
    let valid = || {
        entries.iter().filter_map(|e| match e {
            Entry::Valid(c, q) => Some((c.to_ascii_lowercase().replace("x-gzip", "gzip"), *q)),
            Entry::BadQ(..) => None,
        })
    };
    let find = |name: &str| {
        valid()
            .find(|(c, _)| c == name)
            .map(|(_, q)| q.unwrap_or(1000))
    };
    match find(coding) {
        Some(q) => Some(q),
        None if coding == "identity" => None,
        None => find("*"),
    }
}

#[test]
fn responses_use_a_best_accepted_coding_or_none() {
    run(
        64,
        prop::collection::vec(entry(), 0..6),
        |served, entries| {
            let header = render(&entries);
            let res = served.send(|s| {
                s.request(Method::GET, "/")
                    .header("accept-encoding", header.as_str())
            });
            prop_assert_eq!(res.status, StatusCode::OK);
            prop_assert_eq!(res.header("vary"), Some("Accept-Encoding"));
            let best = SERVER
                .iter()
                .chain(["identity"].iter())
                .filter_map(|c| q_for(&entries, c))
                .max()
                .unwrap_or(0);
            match res.header("content-encoding") {
                Some(coding) => {
                    prop_assert!(SERVER.contains(&coding), "{} for {:?}", coding, header);
                    prop_assert_eq!(
                        q_for(&entries, coding),
                        Some(best),
                        "{} for {:?}",
                        coding,
                        header
                    );
                    prop_assert!(best > 0);
                }
                None => {
                    // Sent as is: nothing registered is acceptable, or `identity` is as good as any.
                    let identity = q_for(&entries, "identity").filter(|q| *q > 0);
                    prop_assert!(
                        best == 0 || identity == Some(best),
                        "plain for {:?}",
                        header
                    );
                }
            }
            prop_assert_eq!(
                decode(res.header("content-encoding"), &res.body),
                text().into_bytes()
            );
            Ok(())
        },
    );
}

/// Request codings a client may list: registered, `identity`, spellings of `gzip`, and codings
/// the server does not know (`br` is not registered here).
fn request_coding() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "gzip", "x-gzip", "GZIP", "deflate", "zstd", "identity", "br", "compress",
    ])
}

fn canonical(coding: &str) -> String {
    match coding.to_ascii_lowercase().as_str() {
        "x-gzip" => "gzip".to_owned(),
        other => other.to_owned(),
    }
}

/// `payload` with `codings` applied in the order listed; a coding the test cannot apply (one
/// the server does not know either) leaves the bytes as they are.
fn encode(payload: &[u8], codings: &[&str]) -> Vec<u8> {
    codings
        .iter()
        .fold(payload.to_vec(), |body, c| match canonical(c).as_str() {
            "gzip" => gzip(&body),
            "deflate" => zlib(&body),
            "zstd" => zstd(&body),
            _ => body,
        })
}

#[test]
fn request_codings_are_undone_last_listed_first_up_to_an_unknown_one() {
    let strategy = (
        prop::collection::vec(request_coding(), 0..7),
        prop::collection::vec(any::<u8>(), 0..512),
    );
    run(64, strategy, |served, (codings, payload)| {
        let header = codings.join(", ");
        let res = served.send(|s| {
            let req = s
                .request(Method::POST, "/echo")
                .body(encode(&payload, &codings));
            if codings.is_empty() {
                req
            } else {
                req.header("content-encoding", header.as_str())
            }
        });

        let known = |c: &str| SERVER.contains(&canonical(c).as_str()) || canonical(c) == "identity";
        let undone = codings.iter().rev().take_while(|c| known(c)).count();
        if undone >= 4 && codings.len() > 4 {
            // More than four layers to undo: the body is refused, nothing decoded.
            prop_assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", header);
            return Ok(());
        }
        prop_assert_eq!(res.status, StatusCode::OK, "{}", header);
        let kept = &codings[..codings.len() - undone];
        let applied: Vec<String> = codings[kept.len()..]
            .iter()
            .rev()
            .map(|c| canonical(c))
            .collect();
        let applied = applied.join(",");
        prop_assert_eq!(
            res.header("x-applied"),
            Some(applied.as_str()),
            "{}",
            header
        );
        let expected_header = if undone == 0 {
            header.clone()
        } else {
            kept.iter()
                .map(|c| canonical(c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        prop_assert_eq!(
            res.header("x-content-encoding"),
            Some(expected_header.as_str())
        );
        prop_assert_eq!(res.body.to_vec(), encode(&payload, kept), "{}", header);
        Ok(())
    });
}

/// The decoded-size cap of the server in [`decoded_bodies_over_the_cap_are_413`].
const CAP: usize = 1024;

#[test]
fn decoded_bodies_over_the_cap_are_413() {
    let strategy = (
        prop_oneof![0usize..=CAP, CAP + 1..4 * CAP, Just(CAP), Just(CAP + 1)],
        prop::sample::subsequence(vec!["gzip", "zstd", "deflate"], 1..=3).prop_shuffle(),
    );
    run_with(
        |c| {
            c.max_decoded_size(CAP);
        },
        32,
        strategy,
        |served, (len, codings)| {
            // Zeros compress well: the encoded body is far under the cap whatever `len` is.
            let payload = vec![0u8; len];
            let res = served.send(|s| {
                s.request(Method::POST, "/echo")
                    .header("content-encoding", codings.join(", "))
                    .body(encode(&payload, &codings))
            });
            if len <= CAP {
                prop_assert_eq!(res.status, StatusCode::OK);
                prop_assert_eq!(res.body.len(), len);
            } else {
                prop_assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE, "{} bytes", len);
            }
            Ok(())
        },
    );
}
