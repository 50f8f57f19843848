//! Unit tests of [`Config`](super::Config): typed getters and their errors (naming the key and
//! the file), the engine's settings, merging and command-line overrides.
use super::*;

fn hocon(text: &str) -> Config {
    match Config::from_hocon_str("test.conf", text) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn absent_keys_read_as_none() {
    let c = hocon("a = 1");
    assert_eq!(c.string("b").ok(), Some(None));
    assert_eq!(c.port("a.b.c").ok(), Some(None));
}

#[test]
fn strings_holding_numbers_read_as_numbers() {
    let c = hocon(r#"p = "8080", b = "yes", d = "250ms""#);
    assert_eq!(c.port("p").ok(), Some(Some(8080)));
    assert_eq!(c.bool("b").ok(), Some(Some(true)));
    assert_eq!(c.duration("d").ok(), Some(Some(Duration::from_millis(250))));
}

#[test]
fn port_out_of_range_is_an_error_naming_the_key() {
    let c = hocon("ktor.deployment.port = 70000");
    let err = c.server_config().unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.conf:1: ktor.deployment.port: 70000 is not a port number"
    );
}

#[test]
fn engine_bounds_read_from_their_keys() {
    let c = hocon(
        "ktor.deployment { headerReadTimeout = 5s, idleTimeout = 0, maxConnections = 64,
         maxRequestHeadSize = 16384, maxHeaderCount = 50, maxConcurrentStreams = 10 }",
    );
    let s = c.server_config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.header_read_timeout, Some(Duration::from_secs(5)));
    assert_eq!(s.idle_timeout, None);
    assert_eq!(
        (
            s.max_connections,
            s.max_request_head_size,
            s.max_header_count
        ),
        (64, 16384, 50)
    );
    assert_eq!(s.max_concurrent_streams, 10);
}

#[test]
fn engine_bounds_default_when_absent() {
    let s = hocon("a = 1")
        .server_config()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.header_read_timeout, Some(Duration::from_secs(30)));
    assert_eq!(s.idle_timeout, Some(Duration::from_secs(60)));
    assert_eq!(s.max_connections, 10_000);
    assert_eq!(s.max_request_head_size, 64 * 1024);
}

#[test]
fn head_size_below_hypers_floor_is_an_error_naming_the_key() {
    let c = hocon("ktor.deployment.maxRequestHeadSize = 1024");
    let err = c.server_config().unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.conf:1: ktor.deployment.maxRequestHeadSize: 1024 is out of range (at least 8192)"
    );
}

#[test]
fn thread_per_core_takes_its_workers_from_the_worker_group_size() {
    let c = hocon("ktor.deployment { threadPerCore = true, workerGroupSize = 3 }");
    let s = c.server_config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.thread_per_core.map(|n| n.get()), Some(3));
    let off = hocon("ktor.deployment.workerGroupSize = 3");
    let s = off.server_config().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.thread_per_core, None);
}

#[test]
fn zero_workers_is_an_error_naming_the_key_and_file() {
    let c = hocon("ktor.deployment { threadPerCore = true, workerGroupSize = 0 }");
    let err = c.server_config().unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.conf:1: ktor.deployment.workerGroupSize: 0 is out of range (at least 1)"
    );
}

#[test]
fn a_thread_per_core_that_is_not_a_boolean_is_an_error_naming_the_key() {
    let c = hocon("ktor.deployment.threadPerCore = 2");
    let err = c.server_config().unwrap_err();
    assert!(
        err.to_string()
            .starts_with("test.conf:1: ktor.deployment.threadPerCore: "),
        "{err}"
    );
}

#[test]
fn zero_max_connections_is_an_error_naming_the_key() {
    let c = hocon("ktor.deployment.maxConnections = 0");
    let err = c.server_config().unwrap_err();
    assert!(
        err.to_string().contains("ktor.deployment.maxConnections"),
        "{err}"
    );
}

#[test]
fn a_table_is_not_a_string() {
    let c = hocon("a { b = 1 }");
    assert_eq!(
        c.string("a").unwrap_err().to_string(),
        "test.conf:1: a: a table is not a string"
    );
}

#[test]
fn merge_overrides_key_by_key_and_keeps_origins() {
    let low = hocon("a { x = 1, y = 2 }");
    let high = Config::from_hocon_str("high.conf", "a.y = 3").unwrap_or_default();
    let c = low.merge(high);
    assert_eq!(c.i64("a.x").ok(), Some(Some(1)));
    assert_eq!(c.i64("a.y").ok(), Some(Some(3)));
    assert_eq!(
        c.origin("a.y").map(ToString::to_string).as_deref(),
        Some("high.conf:1")
    );
    assert_eq!(
        c.origin("a.x").map(ToString::to_string).as_deref(),
        Some("test.conf:1")
    );
}

#[test]
fn set_replaces_a_scalar_and_points_errors_at_the_argument() {
    let mut c = hocon("ktor.deployment.port = 8080");
    c.set_with_origin(
        keys::PORT,
        Value::String("x".into()),
        Origin::CommandLine("-port=x".into()),
    );
    assert_eq!(
        c.port(keys::PORT).unwrap_err().to_string(),
        r#"ktor.deployment.port: "x" is not a port number (command line `-port=x`)"#
    );
}

#[test]
fn string_list_reads_lists_and_comma_separated_strings() {
    let c = hocon(r#"l = ["TLSv1.2", "TLSv1.3"], s = "a, b""#);
    assert_eq!(
        c.string_list("l").ok().flatten(),
        Some(vec!["TLSv1.2".to_owned(), "TLSv1.3".to_owned()])
    );
    assert_eq!(
        c.string_list("s").ok().flatten(),
        Some(vec!["a".to_owned(), "b".to_owned()])
    );
}

#[test]
fn get_deserializes_a_table() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Db {
        host: String,
        port: u16,
    }
    let c = hocon("db { host = localhost, port = 5432 }");
    assert_eq!(
        c.get::<Db>("db").ok().flatten(),
        Some(Db {
            host: "localhost".into(),
            port: 5432
        })
    );
}

#[test]
fn get_reads_command_line_strings_into_numeric_fields() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Pool {
        size: u16,
        name: String,
    }
    let mut c = hocon("app.pool { size = 4, name = main }");
    c.set_with_origin(
        "app.pool.size",
        Value::String("12".into()),
        Origin::CommandLine("-P:app.pool.size=12".into()),
    );
    assert_eq!(
        c.get::<Pool>("app.pool").ok().flatten(),
        Some(Pool {
            size: 12,
            name: "main".into()
        })
    );
    c.set_with_origin(
        "app.pool.size",
        Value::String("many".into()),
        Origin::CommandLine("-P:app.pool.size=many".into()),
    );
    assert_eq!(
        c.get::<Pool>("app.pool").unwrap_err().to_string(),
        "app.pool.size: \"many\" is not an integer (command line `-P:app.pool.size=many`)"
    );
}

#[test]
fn blank_host_is_rejected() {
    let c = hocon(r#"ktor.deployment.host = " ""#);
    assert!(c
        .server_config()
        .unwrap_err()
        .to_string()
        .contains("is not a host name"));
}
