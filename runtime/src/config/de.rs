//! A serde `Deserializer` over a [`Value`], behind [`Config::get`](super::Config::get). It reads
//! strings as the numbers and booleans a field asks for, as the typed getters do, because
//! command-line (`-P:`) and `${ENV}` values are always strings. An error carries the path of the
//! value that failed, so it can point at where that value came from.
use std::fmt;

use serde::de::{
    self,
    value::{MapAccessDeserializer, MapDeserializer, SeqDeserializer},
    IntoDeserializer, Visitor,
};

use super::value::{parse_bool, Value};

/// A value that did not fit, and the dotted path of the deepest value it concerns.
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) path: Option<String>,
    pub(crate) message: String,
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            path: None,
            message: msg.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Deserializes one [`Value`] found at `path`.
#[derive(Clone)]
pub(crate) struct ValueDeserializer<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> ValueDeserializer<'a> {
    pub(crate) fn new(value: &'a Value, path: impl Into<String>) -> Self {
        Self {
            value,
            path: path.into(),
        }
    }

    fn child(&self, value: &'a Value, key: impl fmt::Display) -> Self {
        Self::new(value, format!("{}.{key}", self.path))
    }

    fn invalid(&self, expected: &str) -> Error {
        de::Error::custom(format!("{} is not {expected}", self.value))
    }

    /// Gives an error that has no path yet this value's path.
    fn at<T>(path: &str, result: Result<T, Error>) -> Result<T, Error> {
        result.map_err(|mut e| {
            e.path.get_or_insert_with(|| path.to_owned());
            e
        })
    }
}

impl<'de> IntoDeserializer<'de, Error> for ValueDeserializer<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! integer {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match self.value {
                Value::String(s) => {
                    let s = s.trim();
                    let result = if let Ok(i) = s.parse::<i64>() {
                        visitor.visit_i64(i)
                    } else if let Ok(u) = s.parse::<u64>() {
                        visitor.visit_u64(u)
                    } else {
                        Err(self.invalid("an integer"))
                    };
                    Self::at(&self.path, result)
                }
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let result = match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::List(items) => {
                let mut seq = SeqDeserializer::new(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| self.child(item, i)),
                );
                visitor
                    .visit_seq(&mut seq)
                    .and_then(|value| seq.end().map(|()| value))
            }
            Value::Table(map) => {
                let mut entries =
                    MapDeserializer::new(map.iter().map(|(k, v)| (k.as_str(), self.child(v, k))));
                visitor
                    .visit_map(&mut entries)
                    .and_then(|value| entries.end().map(|()| value))
            }
        };
        Self::at(&self.path, result)
    }

    integer!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
             deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => {
                let result = match s.trim().parse::<f64>() {
                    Ok(f) => visitor.visit_f64(f),
                    Err(_) => Err(self.invalid("a number")),
                };
                Self::at(&self.path, result)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => {
                let result = match parse_bool(s) {
                    Some(b) => visitor.visit_bool(b),
                    None => Err(self.invalid("a boolean")),
                };
                Self::at(&self.path, result)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value.scalar_text() {
            Some(text) => Self::at(&self.path, visitor.visit_string(text)),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        let result = match self.value {
            // A unit variant: `mode = fast`.
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            // A variant with data: `mode { level = 3 }`.
            Value::Table(map) if map.len() == 1 => visitor.visit_enum(MapAccessDeserializer::new(
                MapDeserializer::new(map.iter().map(|(k, v)| (k.as_str(), self.child(v, k)))),
            )),
            _ => Err(self.invalid("an enum variant")),
        };
        Self::at(&self.path, result)
    }

    serde::forward_to_deserialize_any! {
        char bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    fn from<T: for<'de> Deserialize<'de>>(value: &Value) -> Result<T, Error> {
        T::deserialize(ValueDeserializer::new(value, "v"))
    }

    #[test]
    fn strings_read_as_the_numbers_and_booleans_fields_ask_for() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Pool {
            size: u16,
            ratio: f64,
            enabled: bool,
            name: String,
        }
        let table = Value::Table(BTreeMap::from([
            ("size".to_owned(), Value::String("12".into())),
            ("ratio".to_owned(), Value::String("0.5".into())),
            ("enabled".to_owned(), Value::String("on".into())),
            ("name".to_owned(), Value::Int(7)),
        ]));
        assert_eq!(
            from::<Pool>(&table).ok(),
            Some(Pool {
                size: 12,
                ratio: 0.5,
                enabled: true,
                name: "7".into()
            })
        );
    }

    #[test]
    fn out_of_range_integer_is_an_error() {
        assert!(from::<u8>(&Value::String("300".into())).is_err());
        assert!(from::<u8>(&Value::Int(300)).is_err());
        assert_eq!(
            from::<u8>(&Value::String("x".into()))
                .unwrap_err()
                .to_string(),
            "\"x\" is not an integer"
        );
    }

    #[test]
    fn enums_read_from_strings_and_single_key_tables() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename_all = "lowercase")]
        enum Mode {
            Fast,
            Level(u8),
        }
        assert_eq!(
            from::<Mode>(&Value::String("fast".into())).ok(),
            Some(Mode::Fast)
        );
        let table = Value::Table(BTreeMap::from([(
            "level".to_owned(),
            Value::String("3".into()),
        )]));
        assert_eq!(from::<Mode>(&table).ok(), Some(Mode::Level(3)));
    }

    #[test]
    fn null_reads_as_none_and_lists_as_vecs() {
        assert_eq!(from::<Option<u8>>(&Value::Null).ok(), Some(None));
        let list = Value::List(vec![Value::Int(1), Value::String("2".into())]);
        assert_eq!(from::<Vec<u32>>(&list).ok(), Some(vec![1, 2]));
    }
}
