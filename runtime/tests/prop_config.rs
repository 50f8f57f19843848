//! Property tests of the config loader: any HOCON or TOML text and any command line give a
//! `Config` or an error that names where it came from, never a panic; generated keys and values
//! read back as written; HOCON and TOML renderings of the same tree load to the same values.
use std::{collections::BTreeMap, path::Path};

use oxtor_runtime::config::{keys, Config, EngineMain, Value};
use proptest::prelude::*;

/// Characters HOCON and TOML give meaning to, and some that are only text, for text that gets
/// past the first byte of the parsers.
const SYNTAX: &str = "[a-z0-9 .=:+{}\\[\\],\"'$?#\\n\\t_\\-\\\\é]{0,48}";

/// A key segment: lowercase, not a word either format gives a meaning to.
fn segment() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,5}".prop_filter("a keyword", |s| {
        !matches!(
            s.as_str(),
            "true" | "false" | "null" | "include" | "yes" | "no" | "on" | "off" | "inf" | "nan"
        )
    })
}

/// A dotted key of one to three segments.
fn key() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..=3).prop_map(|s| s.join("."))
}

/// A scalar both formats can write.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (-1.0e6f64..1.0e6).prop_map(Value::Float),
        any::<String>().prop_map(Value::String),
    ]
}

/// A value: a scalar, a list of scalars, or a non-empty table.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        4 => scalar(),
        1 => prop::collection::vec(scalar(), 0..4).prop_map(Value::List),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop::collection::btree_map(segment(), inner, 1..4).prop_map(Value::Table)
    })
}

/// A tree of top-level keys.
fn tree() -> impl Strategy<Value = BTreeMap<String, Value>> {
    prop::collection::btree_map(segment(), value(), 1..4)
}

/// A quoted string both formats read: `"`, `\` and control characters escaped as `\uXXXX`.
fn quoted(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A scalar or list as both formats write it.
fn literal(value: &Value) -> String {
    match value {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format!("{f:?}"),
        Value::String(s) => quoted(s),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(literal).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Null | Value::Table(_) => unreachable!("not generated as a literal"),
    }
}

/// The tree in HOCON: nested braces.
fn hocon(tree: &BTreeMap<String, Value>) -> String {
    let mut out = String::new();
    for (k, v) in tree {
        match v {
            Value::Table(t) => out.push_str(&format!("{k} {{\n{}}}\n", hocon(t))),
            v => out.push_str(&format!("{k} = {}\n", literal(v))),
        }
    }
    out
}

/// The tree in TOML: the scalars of each table, then its sub-tables as `[a.b]` headers.
fn toml(tree: &BTreeMap<String, Value>, prefix: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(prefix) = prefix {
        out.push_str(&format!("[{prefix}]\n"));
    }
    for (k, v) in tree {
        if !matches!(v, Value::Table(_)) {
            out.push_str(&format!("{k} = {}\n", literal(v)));
        }
    }
    for (k, v) in tree {
        if let Value::Table(t) = v {
            let path = prefix.map_or_else(|| k.clone(), |p| format!("{p}.{k}"));
            out.push_str(&toml(t, Some(&path)));
        }
    }
    out
}

fn assert_names_file(result: Result<Config, oxtor_runtime::ConfigError>, name: &str) {
    if let Err(e) = result {
        assert_eq!(e.file.as_deref(), Some(Path::new(name)), "{e}");
        assert!(e.to_string().starts_with(name), "{e}");
    }
}

/// `-config=` values: files that do not exist, in a directory that does not either.
fn missing_file() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,8}",
        prop::sample::select(vec!["conf", "toml", "hocon", "json", "yaml", ""]),
    )
        .prop_map(|(stem, ext)| format!("target/oxtor-no-such-dir/{stem}.{ext}"))
}

/// A command-line argument: a known option (right or wrong value), `-P:`, or noise.
fn arg() -> impl Strategy<Value = String> {
    let dash = prop::sample::select(vec!["-", "--", ""]);
    let option = prop::sample::select(vec!["host", "port", "sslPort", "sslKeyStore", "prot", ""]);
    prop_oneof![
        (dash.clone(), option, prop::option::of(".{0,12}")).prop_map(|(d, o, v)| match v {
            Some(v) => format!("{d}{o}={v}"),
            None => format!("{d}{o}"),
        }),
        (dash, "[a-z.]{0,8}", prop::option::of(".{0,12}")).prop_map(|(d, k, v)| match v {
            Some(v) => format!("{d}P:{k}={v}"),
            None => format!("{d}P:{k}"),
        }),
        missing_file().prop_map(|f| format!("-config={f}")),
        ".{0,16}",
    ]
}

/// A directory without `application.conf` or `application.toml`.
fn empty_dir() -> &'static Path {
    Path::new("target/oxtor-no-such-dir")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_hocon_text_loads_or_names_the_file(text in any::<String>()) {
        assert_names_file(Config::from_hocon_str("gen.conf", &text), "gen.conf");
    }

    #[test]
    fn hocon_like_text_loads_or_names_the_file(text in SYNTAX) {
        assert_names_file(Config::from_hocon_str("gen.conf", &text), "gen.conf");
    }

    #[test]
    fn any_toml_text_loads_or_names_the_file(text in any::<String>()) {
        assert_names_file(Config::from_toml_str("gen.toml", &text), "gen.toml");
    }

    #[test]
    fn toml_like_text_loads_or_names_the_file(text in SYNTAX) {
        assert_names_file(Config::from_toml_str("gen.toml", &text), "gen.toml");
    }

    #[test]
    fn a_hocon_key_reads_back_its_value(key in key(), value in scalar()) {
        let config = Config::from_hocon_str("gen.conf", &format!("{key} = {}", literal(&value)));
        prop_assert_eq!(config.map(|c| c.value(&key).cloned()).ok(), Some(Some(value)));
    }

    #[test]
    fn a_toml_key_reads_back_its_value(key in key(), value in scalar()) {
        let config = Config::from_toml_str("gen.toml", &format!("{key} = {}", literal(&value)));
        prop_assert_eq!(config.map(|c| c.value(&key).cloned()).ok(), Some(Some(value)));
    }

    #[test]
    fn hocon_and_toml_of_one_tree_agree(tree in tree()) {
        let (hocon_text, toml_text) = (hocon(&tree), toml(&tree, None));
        let from_hocon = Config::from_hocon_str("gen.conf", &hocon_text);
        let from_toml = Config::from_toml_str("gen.toml", &toml_text);
        let (Ok(from_hocon), Ok(from_toml)) = (from_hocon, from_toml) else {
            return Err(TestCaseError::fail(format!("{hocon_text}\n---\n{toml_text}")));
        };
        for (key, value) in &tree {
            prop_assert_eq!(from_hocon.value(key), Some(value), "HOCON:\n{}", hocon_text);
            prop_assert_eq!(from_toml.value(key), Some(value), "TOML:\n{}", toml_text);
        }
    }

    #[test]
    fn any_command_line_loads_or_fails_cleanly(args in prop::collection::vec(arg(), 0..5)) {
        match EngineMain::from_iter_in(args.clone(), empty_dir()) {
            Ok(main) => {
                // Whatever was accepted is a valid server configuration.
                prop_assert!(main.server_config().is_ok());
            }
            Err(e) => prop_assert!(!e.to_string().is_empty(), "{:?}", args),
        }
    }

    #[test]
    fn a_property_reads_back_as_given(key in key(), value in ".{0,24}") {
        let arg = format!("-P:app.{key}={value}");
        let main = EngineMain::from_iter_in([arg], empty_dir());
        let read = main.map(|m| m.config().string(&format!("app.{key}")).ok().flatten());
        prop_assert_eq!(read.ok(), Some(Some(value)));
    }

    #[test]
    fn port_reads_back_or_names_the_argument(port in prop_oneof![any::<u16>().prop_map(|p| p.to_string()), ".{0,8}"]) {
        let arg = format!("-port={port}");
        match (EngineMain::from_iter_in([arg.clone()], empty_dir()), port.trim().parse::<u16>()) {
            (Ok(main), Ok(n)) => prop_assert_eq!(main.server_config().map(|s| s.port).ok(), Some(n)),
            (Err(e), Err(_)) => {
                let e = e.to_string();
                prop_assert!(e.starts_with(keys::PORT), "{}", e);
                prop_assert!(e.contains(&format!("(command line `{arg}`)")), "{}", e);
            }
            (got, expected) => prop_assert!(false, "{:?}: {:?} vs {:?}", arg, got.map(|_| ()), expected),
        }
    }

    #[test]
    fn a_missing_config_file_is_named(file in missing_file()) {
        let e = EngineMain::from_iter_in([format!("-config={file}")], empty_dir()).err();
        prop_assert!(e.as_ref().is_some_and(|e| e.to_string().contains(&file)), "{:?}", e);
    }
}
