//! The value tree of a [`Config`](super::Config), where each value came from ([`Origin`]), and
//! the parsers for the scalar forms the typed getters accept (durations, booleans).
use std::{collections::BTreeMap, fmt, path::PathBuf, time::Duration};

/// A configuration value: what HOCON, TOML and the command line have in common.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (HOCON) — reads as absent.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string; command-line values and `${ENV}` substitutions are always strings.
    String(String),
    /// A list (`[1, 2]`).
    List(Vec<Value>),
    /// A table / object (`ktor { deployment { .. } }`, `[ktor.deployment]`).
    Table(BTreeMap<String, Value>),
}

impl Value {
    /// What kind of value this is, for error messages ("a table", "a list", …).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Table(_) => "a table",
        }
    }

    /// The scalar as text, as Lightbend's `getString` renders numbers and booleans.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::String(s) => Some(s.clone()),
            Value::Null | Value::List(_) | Value::Table(_) => None,
        }
    }
}

/// Shows a value as it would be written: strings quoted, tables and lists by kind.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(_) => f.write_str("a list"),
            Value::Table(_) => f.write_str("a table"),
        }
    }
}

/// Where a value came from, so an error can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// A config file (or a string parsed under that name), and the line when it is known.
    File {
        /// The file, as it was given.
        path: PathBuf,
        /// 1-based line of the key, when it could be located.
        line: Option<usize>,
    },
    /// A command-line argument such as `-port=8080` or `-P:app.greeting=hi`.
    CommandLine(String),
    /// Set by code ([`Config::set`](super::Config::set)).
    Code,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path,
                line: Some(l),
            } => write!(f, "{}:{l}", path.display()),
            Origin::File { path, line: None } => write!(f, "{}", path.display()),
            Origin::CommandLine(arg) => write!(f, "command line `{arg}`"),
            Origin::Code => f.write_str("code"),
        }
    }
}

/// Deep-merges `higher` into `lower`: tables merge key by key, anything else replaces.
pub(crate) fn merge_tables(lower: &mut BTreeMap<String, Value>, higher: BTreeMap<String, Value>) {
    for (key, value) in higher {
        match (lower.get_mut(&key), value) {
            (Some(Value::Table(low)), Value::Table(high)) => merge_tables(low, high),
            (_, value) => {
                lower.insert(key, value);
            }
        }
    }
}

/// Parses a duration: a bare number is milliseconds (Ktor's `shutdownGracePeriod`), or a number
/// followed by a HOCON unit (`ns`, `us`, `ms`, `s`, `m`, `h`, `d` and their long forms).
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = (text[..split].trim(), text[split..].trim());
    let nanos_per_unit: f64 = match unit {
        "ns" | "nano" | "nanos" | "nanosecond" | "nanoseconds" => 1.0,
        "us" | "micro" | "micros" | "microsecond" | "microseconds" => 1e3,
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1e6,
        "s" | "second" | "seconds" => 1e9,
        "m" | "minute" | "minutes" => 60e9,
        "h" | "hour" | "hours" => 3600e9,
        "d" | "day" | "days" => 86_400e9,
        _ => return None,
    };
    if number.is_empty() || number.starts_with(['-', '+']) {
        return None;
    }
    if let Ok(n) = number.parse::<u64>() {
        let nanos = u128::from(n) * nanos_per_unit as u128;
        let secs = u64::try_from(nanos / 1_000_000_000).ok()?;
        return Some(Duration::new(secs, (nanos % 1_000_000_000) as u32));
    }
    let n = number.parse::<f64>().ok()?;
    Duration::try_from_secs_f64(n * nanos_per_unit / 1e9).ok()
}

/// Parses a boolean as HOCON does: `true`/`false`, `yes`/`no`, `on`/`off`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_number_is_milliseconds() {
        assert_eq!(parse_duration("1500"), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn units_are_hocon_units() {
        assert_eq!(parse_duration("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("10 seconds"), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_are_rejected() {
        for bad in ["", "s", "-1s", "10 parsecs", "abc", "1e999999s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn merge_is_deep_for_tables_only() {
        let mut low = BTreeMap::from([(
            "a".to_owned(),
            Value::Table(BTreeMap::from([
                ("x".to_owned(), Value::Int(1)),
                ("y".to_owned(), Value::Int(2)),
            ])),
        )]);
        let high = BTreeMap::from([(
            "a".to_owned(),
            Value::Table(BTreeMap::from([("y".to_owned(), Value::Int(3))])),
        )]);
        merge_tables(&mut low, high);
        let Some(Value::Table(a)) = low.get("a") else {
            panic!("a is not a table: {low:?}");
        };
        assert_eq!(a.get("x"), Some(&Value::Int(1)));
        assert_eq!(a.get("y"), Some(&Value::Int(3)));
    }
}
