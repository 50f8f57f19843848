//! HOCON files through `hocon-parser` (the whole Lightbend spec, `${?ENV}` included), turned into
//! a [`Config`] whose values know the line they were set on.
//!
//! `hocon-parser` resolves a document into plain values without positions, so the line of each
//! key is found by a second, light pass over the parser's own tokens ([`key_lines`]). A key set in
//! an included file has the including file as origin and no line.
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
};

use ::hocon::{HoconError, HoconValue, ScalarType, Token, TokenKind};

use super::{Config, Origin, Value};
use crate::error::ConfigError;

/// Reads and parses a HOCON file; `env` replaces the process environment (for tests).
pub(crate) fn load_file(
    path: &Path,
    env: Option<&HashMap<String, String>>,
) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("", format!("cannot read: {e}")).in_file(path, None))?;
    let parsed = match env {
        Some(env) => ::hocon::parse_file_with_env(path, env),
        None => ::hocon::parse_file(path),
    };
    convert(path, &text, parsed)
}

/// Parses HOCON text; `name` stands for the file in errors.
pub(crate) fn parse_str(
    name: &Path,
    text: &str,
    env: Option<&HashMap<String, String>>,
) -> Result<Config, ConfigError> {
    let parsed = match env {
        Some(env) => ::hocon::parse_with_env(text, env),
        None => ::hocon::parse(text),
    };
    convert(name, text, parsed)
}

fn convert(
    path: &Path,
    text: &str,
    parsed: Result<::hocon::Config, HoconError>,
) -> Result<Config, ConfigError> {
    let parsed = parsed.map_err(|e| hocon_error(path, e))?;
    let lines = key_lines(text);
    let mut root = BTreeMap::new();
    let mut origins = BTreeMap::new();
    for key in parsed.keys() {
        if let Some(value) = parsed.get(key) {
            let value = convert_value(path, &lines, key, value, &mut origins);
            root.insert(key.to_owned(), value);
        }
    }
    Ok(Config::from_parts(root, origins))
}

fn convert_value(
    file: &Path,
    lines: &BTreeMap<String, usize>,
    path: &str,
    value: &HoconValue,
    origins: &mut BTreeMap<String, Origin>,
) -> Value {
    origins.insert(
        path.to_owned(),
        Origin::File {
            path: file.to_owned(),
            line: line_of(lines, path),
        },
    );
    match value {
        HoconValue::Object(fields) => Value::Table(
            fields
                .iter()
                .map(|(k, v)| {
                    let child = format!("{path}.{k}");
                    (k.clone(), convert_value(file, lines, &child, v, origins))
                })
                .collect(),
        ),
        HoconValue::Array(items) => Value::List(items.iter().map(plain_value).collect()),
        other => plain_value(other),
    }
}

/// A value inside a list (lists are not addressable by key, so no origins below them).
fn plain_value(value: &HoconValue) -> Value {
    match value {
        HoconValue::Object(fields) => Value::Table(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), plain_value(v)))
                .collect(),
        ),
        HoconValue::Array(items) => Value::List(items.iter().map(plain_value).collect()),
        HoconValue::Scalar(s) => match s.value_type {
            ScalarType::Boolean => Value::Bool(s.raw == "true"),
            ScalarType::Null => Value::Null,
            ScalarType::Number => s
                .raw
                .parse()
                .map(Value::Int)
                .or_else(|_| s.raw.parse().map(Value::Float))
                .unwrap_or_else(|_| Value::String(s.raw.clone())),
            _ => Value::String(s.raw.clone()),
        },
        _ => Value::Null,
    }
}

/// The line of `path`, or of its nearest ancestor (a table assigned as a whole).
fn line_of(lines: &BTreeMap<String, usize>, path: &str) -> Option<usize> {
    let mut path = path;
    loop {
        if let Some(line) = lines.get(path) {
            return Some(*line);
        }
        path = &path[..path.rfind('.')?];
    }
}

fn hocon_error(path: &Path, err: HoconError) -> ConfigError {
    match err {
        HoconError::Parse(e) => {
            ConfigError::new("", format!("syntax error: {}", e.message)).in_file(path, Some(e.line))
        }
        HoconError::Resolve(e) => {
            ConfigError::new(e.path, e.message).in_file(path, Some(e.line).filter(|l| *l > 0))
        }
        HoconError::Io(e) => ConfigError::new("", e.to_string()).in_file(path, None),
        HoconError::Config(e) => ConfigError::new(e.path, e.message).in_file(path, None),
        other => ConfigError::new("", other.to_string()).in_file(path, None),
    }
}

/// The line on which each key path was last set, found by walking the lexer's tokens: a key is
/// the run of string tokens before `=`, `:`, `+=` or `{`; `{` opens a table under that key, `}`
/// closes it; list contents are skipped. Later settings win, as in HOCON.
pub(crate) fn key_lines(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    let Ok(tokens) = ::hocon::tokenize(text) else {
        return lines;
    };
    let mut tables: Vec<String> = Vec::new();
    let mut list_depth = 0usize;
    let mut at_key = true;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        if list_depth > 0 {
            match token.kind {
                TokenKind::LBracket => list_depth += 1,
                TokenKind::RBracket => list_depth -= 1,
                _ => {}
            }
            continue;
        }
        match token.kind {
            TokenKind::Newline | TokenKind::Comma => at_key = true,
            TokenKind::LBracket => list_depth = 1,
            TokenKind::RBrace => {
                tables.pop();
                at_key = true;
            }
            TokenKind::LBrace => {
                // `{` without a key: the document's root braces, or a table inside a value.
                let prefix = tables.last().cloned().unwrap_or_default();
                tables.push(prefix);
                at_key = true;
            }
            TokenKind::Unquoted | TokenKind::QuotedString if at_key => {
                let (segments, next) = read_key(&tokens, i - 1);
                i = next;
                at_key = false;
                let path = join_path(tables.last().map(String::as_str), &segments);
                match tokens.get(i).map(|t| &t.kind) {
                    Some(TokenKind::Equals | TokenKind::Colon | TokenKind::PlusEquals) => {
                        lines.insert(path.clone(), token.line);
                        i += 1;
                        if let Some(TokenKind::LBrace) = tokens.get(i).map(|t| &t.kind) {
                            tables.push(path);
                            at_key = true;
                            i += 1;
                        }
                    }
                    Some(TokenKind::LBrace) => {
                        lines.insert(path.clone(), token.line);
                        tables.push(path);
                        at_key = true;
                        i += 1;
                    }
                    // `include "file"` and the like.
                    _ => {}
                }
            }
            _ => {}
        }
    }
    lines
}

/// Reads the key starting at `tokens[start]`: unquoted parts split on `.`, quoted parts whole.
fn read_key(tokens: &[Token], start: usize) -> (Vec<String>, usize) {
    let mut segments = Vec::new();
    let mut i = start;
    while let Some(token) = tokens.get(i) {
        match token.kind {
            TokenKind::Unquoted => segments.extend(
                token
                    .value
                    .split('.')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            ),
            TokenKind::QuotedString => segments.push(token.value.clone()),
            _ => break,
        }
        i += 1;
    }
    (segments, i)
}

fn join_path(prefix: Option<&str>, segments: &[String]) -> String {
    let key = segments.join(".");
    match prefix {
        Some(p) if !p.is_empty() => format!("{p}.{key}"),
        _ => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_follow_nesting_and_dotted_keys() {
        let lines = key_lines(
            "# comment\nktor {\n  deployment {\n    port = 8080\n    host: \"a\"\n  }\n}\napp.greeting = hi\n",
        );
        assert_eq!(lines.get("ktor.deployment.port"), Some(&4));
        assert_eq!(lines.get("ktor.deployment.host"), Some(&5));
        assert_eq!(lines.get("app.greeting"), Some(&8));
    }

    #[test]
    fn key_lines_skip_lists_and_keep_the_last_setting() {
        let lines = key_lines("a = [\n { b = 1 }\n]\nport = 1\nx { y = 2 }\nport = 2\n");
        assert_eq!(lines.get("a"), Some(&1));
        assert_eq!(lines.get("b"), None);
        assert_eq!(lines.get("x.y"), Some(&5));
        assert_eq!(lines.get("port"), Some(&6));
    }

    #[test]
    fn key_lines_handle_root_braces_and_object_values() {
        let lines = key_lines("{\n a = {\n  b = 1\n }\n}\n");
        assert_eq!(lines.get("a.b"), Some(&3));
    }

    #[test]
    fn optional_env_substitution_reads_the_given_environment() {
        let text = "port = 8080\nport = ${?OXTOR_TEST_PORT}\n";
        let env = HashMap::from([("OXTOR_TEST_PORT".to_owned(), "9191".to_owned())]);
        let with = parse_str(Path::new("a.conf"), text, Some(&env)).unwrap_or_default();
        assert_eq!(with.port("port").ok(), Some(Some(9191)));
        let without =
            parse_str(Path::new("a.conf"), text, Some(&HashMap::new())).unwrap_or_default();
        assert_eq!(without.port("port").ok(), Some(Some(8080)));
    }

    #[test]
    fn required_substitution_that_is_missing_names_the_file() {
        let err = parse_str(
            Path::new("a.conf"),
            "a = ${NOPE_NOT_SET}",
            Some(&HashMap::new()),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("a.conf:1: "), "{text}");
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = parse_str(Path::new("a.conf"), "a = 1\nb = {\n", None).unwrap_err();
        assert_eq!(err.file.as_deref(), Some(Path::new("a.conf")));
        assert!(err.line.is_some(), "{err}");
        assert!(err.to_string().contains("syntax error"), "{err}");
    }
}
