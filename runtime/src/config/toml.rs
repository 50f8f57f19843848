//! TOML files through the `toml` crate's spanned document, turned into a [`Config`] with the same
//! key paths as HOCON (`[ktor.deployment]` then `port = 8080` is `ktor.deployment.port`) and the
//! line of every key.
use std::{collections::BTreeMap, path::Path};

use ::toml::de::{DeTable, DeValue};

use super::{Config, Origin, Value};
use crate::error::ConfigError;

/// Reads and parses a TOML file.
pub(crate) fn load_file(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::new("", format!("cannot read: {e}")).in_file(path, None))?;
    parse_str(path, &text)
}

/// Parses TOML text; `name` stands for the file in errors.
pub(crate) fn parse_str(name: &Path, text: &str) -> Result<Config, ConfigError> {
    let doc = DeTable::parse(text).map_err(|e| {
        let line = e.span().map(|span| line_at(text, span.start));
        let message = e.message().trim_end().replace('\n', " ");
        ConfigError::new("", format!("syntax error: {message}")).in_file(name, line)
    })?;
    let mut origins = BTreeMap::new();
    let root = convert_table(name, text, None, doc.get_ref(), &mut origins);
    Ok(Config::from_parts(root, origins))
}

fn convert_table(
    file: &Path,
    text: &str,
    prefix: Option<&str>,
    table: &DeTable<'_>,
    origins: &mut BTreeMap<String, Origin>,
) -> BTreeMap<String, Value> {
    table
        .iter()
        .map(|(key, value)| {
            let key = key.get_ref().to_string();
            let path = match prefix {
                Some(p) => format!("{p}.{key}"),
                None => key.clone(),
            };
            let line = line_at(text, value.span().start);
            origins.insert(
                path.clone(),
                Origin::File {
                    path: file.to_owned(),
                    line: Some(line),
                },
            );
            let value = match value.get_ref() {
                DeValue::Table(t) => {
                    Value::Table(convert_table(file, text, Some(&path), t, origins))
                }
                other => plain_value(other),
            };
            (key, value)
        })
        .collect()
}

fn plain_value(value: &DeValue<'_>) -> Value {
    match value {
        DeValue::String(s) => Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(Value::Int)
            .unwrap_or_else(|_| Value::String(i.to_string())),
        DeValue::Float(f) => f
            .as_str()
            .parse()
            .map(Value::Float)
            .unwrap_or_else(|_| Value::String(f.to_string())),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::String(d.to_string()),
        DeValue::Array(items) => {
            Value::List(items.iter().map(|v| plain_value(v.get_ref())).collect())
        }
        DeValue::Table(t) => Value::Table(
            t.iter()
                .map(|(k, v)| (k.get_ref().to_string(), plain_value(v.get_ref())))
                .collect(),
        ),
    }
}

/// 1-based line of the byte at `offset`.
fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_dotted_paths_with_lines() {
        let text = "title = \"x\"\n\n[ktor.deployment]\nport = 8080\nhost = \"127.0.0.1\"\n";
        let c = parse_str(Path::new("app.toml"), text).unwrap_or_default();
        assert_eq!(c.port("ktor.deployment.port").ok(), Some(Some(8080)));
        assert_eq!(
            c.string("ktor.deployment.host").ok().flatten().as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(
            c.origin("ktor.deployment.port"),
            Some(&Origin::File {
                path: "app.toml".into(),
                line: Some(4)
            })
        );
    }

    #[test]
    fn hex_integers_and_floats_read() {
        let c = parse_str(Path::new("a.toml"), "a = 0x10\nb = 1.5\n").unwrap_or_default();
        assert_eq!(c.i64("a").ok(), Some(Some(16)));
        assert_eq!(c.f64("b").ok(), Some(Some(1.5)));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let err = parse_str(Path::new("a.toml"), "a = 1\n\nb = = 2\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(
            err.to_string().starts_with("a.toml:3: syntax error"),
            "{err}"
        );
    }
}
