//! Header helpers: [`HeaderMapExt::get_split_values`] splits list-valued headers exactly as Ktor
//! 3.4's `Headers.getSplitValues` does, and [`split_header_value`] does the same for one value.
//!
//! `http::HeaderMap::get_all` yields one item per *field line*; a list header such as
//! `Cache-Control: no-cache, private="a,b"` arrives as one line holding several items. The split
//! follows Ktor (`ktor-http/.../header/utils.kt`, KTOR-7824):
//!
//! - an absent header is `None`; a present one whose items are all empty is `Some(vec![])`;
//! - every field line is split in order and the results are concatenated;
//! - a `"` outside quotes opens a quoted string; inside it `\` escapes the next character and `"`
//!   closes it; a separator inside quotes does not split; an unterminated quote swallows the rest
//!   of the line into the last item; a `\` outside quotes is an ordinary character;
//! - quotes and backslashes are kept verbatim (nothing is unquoted);
//! - each item is trimmed of whitespace as Kotlin's `trim()` defines it (Unicode space
//!   separators, line and paragraph separators, `\t`..`\r` and `\x1C`..`\x1F`; not U+0085), and
//!   empty items are dropped;
//! - with `split_inside_quotes = true` quotes are ordinary characters: every separator splits.
//!
//! `Set-Cookie` is not special here (Ktor's `getSplitValues` does not special-case it either): its
//! `Expires` date contains a comma, so read it with `get_all`, which never splits.
//!
//! **Values that are not UTF-8.** A field value may carry any byte from 0x80 to 0xFF ("obs-text",
//! RFC 9110 §5.5). A value that is valid UTF-8 is read as UTF-8; any other value is read as
//! ISO-8859-1 (each byte is the code point of the same number), which is lossless and is how Ktor's
//! engines decode every header byte. The split itself only looks at `"`, `\` and the separator, so
//! the choice only changes the item text and which non-ASCII characters are trimmed.
//!
//! # Example
//! ```
//! use http::{header::CACHE_CONTROL, HeaderMap, HeaderValue};
//! use oxtor_runtime::headers::HeaderMapExt;
//!
//! let mut headers = HeaderMap::new();
//! headers.append(CACHE_CONTROL, HeaderValue::from_static(r#"private="a,b", no-cache="X-One, X-Two""#));
//! headers.append(CACHE_CONTROL, HeaderValue::from_static("s-maxage=1000"));
//!
//! assert_eq!(
//!     headers.get_split_values(CACHE_CONTROL),
//!     Some(vec![
//!         r#"private="a,b""#.to_owned(),
//!         r#"no-cache="X-One, X-Two""#.to_owned(),
//!         "s-maxage=1000".to_owned(),
//!     ])
//! );
//! assert_eq!(headers.get_split_values("x-absent"), None);
//! assert_eq!(
//!     headers.get_split_values_with(CACHE_CONTROL, ',', true).map(|v| v.len()),
//!     Some(5)
//! );
//! ```
use std::{borrow::Cow, iter::FusedIterator};

use http::{header::AsHeaderName, HeaderMap, HeaderName, HeaderValue};

/// Extension methods on [`http::HeaderMap`]. See the [module docs](crate::headers).
pub trait HeaderMapExt {
    /// Every item of header `name`, split on `,` outside quotes, trimmed, empty items dropped;
    /// `None` if the header is absent (Ktor's `getSplitValues(name)`).
    ///
    /// See the [module docs](crate::headers) for the exact rules.
    fn get_split_values<K: AsHeaderName>(&self, name: K) -> Option<Vec<String>> {
        self.get_split_values_with(name, ',', false)
    }

    /// As [`get_split_values`](Self::get_split_values) with another `separator`; with
    /// `split_inside_quotes` every separator splits, quotes or not (Ktor's
    /// `getSplitValues(name, separator, splitInsideQuotes)`).
    fn get_split_values_with<K: AsHeaderName>(
        &self,
        name: K,
        separator: char,
        split_inside_quotes: bool,
    ) -> Option<Vec<String>>;
}

impl HeaderMapExt for HeaderMap<HeaderValue> {
    fn get_split_values_with<K: AsHeaderName>(
        &self,
        name: K,
        separator: char,
        split_inside_quotes: bool,
    ) -> Option<Vec<String>> {
        let mut lines = self.get_all(name).iter().peekable();
        lines.peek()?;
        let mut items = Vec::new();
        for line in lines {
            let text = value_text(line);
            items.extend(
                split_header_value(&text, separator, split_inside_quotes).map(str::to_owned),
            );
        }
        Some(items)
    }
}

/// A header value as text: UTF-8 when it is valid UTF-8, ISO-8859-1 otherwise (see the
/// [module docs](crate::headers)).
pub fn value_text(value: &HeaderValue) -> Cow<'_, str> {
    let bytes = value.as_bytes();
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Splits one header value as [`HeaderMapExt::get_split_values_with`] splits each field line,
/// without allocating.
///
/// ```
/// use oxtor_runtime::headers::split_header_value;
/// let items: Vec<&str> = split_header_value(r#" a, "b,\"c", ,d "#, ',', false).collect();
/// assert_eq!(items, [r#"a"#, r#""b,\"c""#, "d"]);
/// ```
pub fn split_header_value(
    value: &str,
    separator: char,
    split_inside_quotes: bool,
) -> SplitHeaderValue<'_> {
    SplitHeaderValue {
        rest: Some(value),
        separator,
        quotes: !split_inside_quotes,
    }
}

/// The items of one header value; see [`split_header_value`].
#[derive(Debug, Clone)]
pub struct SplitHeaderValue<'a> {
    /// What is left to scan; `None` once the last item was produced.
    rest: Option<&'a str>,
    separator: char,
    /// Whether a `"` opens a quoted string (`!split_inside_quotes`).
    quotes: bool,
}

impl<'a> SplitHeaderValue<'a> {
    /// The next raw (untrimmed) item, and advances past its separator.
    fn next_raw(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let mut in_quotes = false;
        let mut escape = false;
        for (i, c) in rest.char_indices() {
            if in_quotes {
                // Same order as Ktor: a pending escape eats this char, whatever it is.
                if escape {
                    escape = false;
                } else if c == '\\' {
                    escape = true;
                } else if c == '"' {
                    in_quotes = false;
                }
            } else if self.quotes && c == '"' {
                // A quote wins over a separator that is itself `"`, as in Ktor's `when`.
                in_quotes = true;
            } else if c == self.separator {
                self.rest = Some(&rest[i + c.len_utf8()..]);
                return Some(&rest[..i]);
            }
        }
        self.rest = None;
        Some(rest)
    }
}

impl<'a> Iterator for SplitHeaderValue<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while let Some(raw) = self.next_raw() {
            let item = raw.trim_matches(is_kotlin_whitespace);
            if !item.is_empty() {
                return Some(item);
            }
        }
        None
    }
}

impl FusedIterator for SplitHeaderValue<'_> {}

/// `headers.insert(name, value)`, compiled once for the crate: the headers the engine and the
/// plugins insert into responses (a directly dispatched route's `Content-Length`; Compression's
/// `Vary`, `Content-Encoding` and `ETag`; DefaultHeaders' `Date` and `Server`; CORS's, CallId's,
/// HSTS's and AutoHeadResponse's headers) go through this one function.
///
/// `HeaderMap::insert` is generic, and a release build compiles a generic function into each
/// codegen unit that calls it: called directly, each of those sites ran its own copy of the
/// map's insertion code (about 16 lines of 64 bytes each), and on a request's way every line
/// of code is an instruction-cache miss (callgrind, showcase `/books.json`: three copies of
/// `try_insert2`, one of them axum's, for three inserts). A plugin's generic response future is
/// compiled in the application's crate, with a copy of its own there.
#[inline(never)]
pub(crate) fn insert_header(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    headers.insert(name, value);
}

/// Kotlin's `Char.isWhitespace()` (what `String.trim()` strips): `Character.isWhitespace` or
/// `Character.isSpaceChar`, i.e. the Unicode `Zs`/`Zl`/`Zp` categories plus `\t`..`\r` and
/// `\x1C`..`\x1F`. Rust's `char::is_whitespace` differs only in U+0085 (in Rust, not Kotlin) and
/// `\x1C`..`\x1F` (in Kotlin, not Rust).
pub fn is_kotlin_whitespace(c: char) -> bool {
    matches!(c, '\u{1C}'..='\u{1F}') || (c != '\u{85}' && c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use http::header::{CACHE_CONTROL, SET_COOKIE};

    use super::*;

    fn headers(name: &'static str, lines: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for line in lines {
            map.append(name, HeaderValue::from_static(line));
        }
        map
    }

    fn owned(items: &[&str]) -> Option<Vec<String>> {
        Some(items.iter().map(|s| (*s).to_owned()).collect())
    }

    fn split(value: &str, separator: char, split_inside_quotes: bool) -> Vec<&str> {
        split_header_value(value, separator, split_inside_quotes).collect()
    }

    // Ktor's CommonHeadersTest cases.

    #[test]
    fn splits_one_line_on_commas() {
        assert_eq!(
            headers("x-multi", &["1, 2"]).get_split_values("x-multi"),
            owned(&["1", "2"])
        );
    }

    #[test]
    fn concatenates_field_lines_in_order_and_leaves_get_all_alone() {
        let map = headers("x-multi", &["1, 2", "3"]);
        assert_eq!(map.get_split_values("x-multi"), owned(&["1", "2", "3"]));
        assert_eq!(
            map.get("x-multi").map(HeaderValue::as_bytes),
            Some(&b"1, 2"[..])
        );
        assert_eq!(map.get_all("x-multi").iter().count(), 2);
    }

    #[test]
    fn keeps_separators_inside_quotes_and_the_quotes_themselves() {
        let map = headers(
            "cache-control",
            &[r#"private="a,b", no-cache="X-One, X-Two""#, "s-maxage=1000"],
        );
        assert_eq!(
            map.get_split_values(CACHE_CONTROL),
            owned(&[
                r#"private="a,b""#,
                r#"no-cache="X-One, X-Two""#,
                "s-maxage=1000"
            ])
        );
    }

    #[test]
    fn set_cookie_field_lines_stay_whole_in_get_all() {
        let map = headers(
            "set-cookie",
            &[
                "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "b=2; Expires=Thu, 22 Oct 2015 07:28:00 GMT",
            ],
        );
        assert_eq!(map.get_all(SET_COOKIE).iter().count(), 2);
        // getSplitValues does not special-case Set-Cookie: the dates' commas split.
        assert_eq!(map.get_split_values(SET_COOKIE).map(|v| v.len()), Some(4));
    }

    #[test]
    fn single_quotes_are_ordinary_characters() {
        let map = headers("x-quoted", &[r#"value("'"),value("'")"#]);
        assert_eq!(
            map.get_split_values("x-quoted"),
            owned(&[r#"value("'")"#, r#"value("'")"#])
        );
    }

    #[test]
    fn splits_on_another_separator() {
        let map = headers("x-multi", &["1; 2", "3;"]);
        assert_eq!(
            map.get_split_values_with("x-multi", ';', false),
            owned(&["1", "2", "3"])
        );
    }

    #[test]
    fn split_inside_quotes_treats_quotes_as_ordinary() {
        let map = headers("x-multi", &[r#"1, "2,3", 4"#]);
        assert_eq!(
            map.get_split_values_with("x-multi", ',', true),
            owned(&["1", "\"2", "3\"", "4"])
        );
    }

    // Rules of §8 that Ktor's tests leave implicit.

    #[test]
    fn absent_header_is_none() {
        assert_eq!(HeaderMap::new().get_split_values("x-absent"), None);
    }

    #[test]
    fn invalid_header_name_is_none() {
        assert_eq!(headers("x-a", &["1"]).get_split_values("not a name"), None);
    }

    #[test]
    fn present_header_with_only_empty_items_is_empty_list() {
        let map = headers("x-empty", &["", " , ,, "]);
        assert_eq!(map.get_split_values("x-empty"), Some(vec![]));
    }

    #[test]
    fn name_lookup_ignores_case() {
        let map = headers("x-multi", &["a,b"]);
        assert_eq!(map.get_split_values("X-Multi"), owned(&["a", "b"]));
    }

    #[test]
    fn escaped_quote_does_not_close_the_quoted_string() {
        assert_eq!(split(r#"a="x\",y", b"#, ',', false), [r#"a="x\",y""#, "b"]);
    }

    #[test]
    fn escaped_backslash_lets_the_next_quote_close() {
        assert_eq!(split(r#""x\\", y"#, ',', false), [r#""x\\""#, "y"]);
    }

    #[test]
    fn backslash_outside_quotes_is_ordinary() {
        assert_eq!(split(r#"a\"b,c", d"#, ',', false), [r#"a\"b,c""#, "d"]);
        assert_eq!(split(r"a\,b", ',', false), [r"a\", "b"]);
    }

    #[test]
    fn unterminated_quote_swallows_the_rest() {
        assert_eq!(split(r#"a, "b, c, d"#, ',', false), ["a", r#""b, c, d"#]);
        assert_eq!(split(r#"a, "b\"#, ',', false), ["a", r#""b\"#]);
    }

    #[test]
    fn quote_in_the_middle_of_an_item_opens_a_quoted_string() {
        assert_eq!(split(r#"x"a,b"y, z"#, ',', false), [r#"x"a,b"y"#, "z"]);
    }

    #[test]
    fn quote_as_separator_never_splits_when_quotes_are_respected() {
        assert_eq!(split(r#"a"b"c"#, '"', false), [r#"a"b"c"#]);
        assert_eq!(split(r#"a"b"c"#, '"', true), ["a", "b", "c"]);
    }

    #[test]
    fn backslash_as_separator_splits_outside_quotes_only() {
        assert_eq!(
            split(r#"a\b\"c\d"\e"#, '\\', false),
            ["a", "b", r#""c\d""#, "e"]
        );
    }

    #[test]
    fn trims_kotlin_whitespace() {
        assert_eq!(
            split("\u{a0}a\u{3000}, \t b \u{2028}", ',', false),
            ["a", "b"]
        );
        assert_eq!(split("\u{1c}a\u{1f}", ',', false), ["a"]);
    }

    #[test]
    fn does_not_trim_next_line_u85() {
        assert_eq!(split("\u{85}a\u{85}", ',', false), ["\u{85}a\u{85}"]);
    }

    #[test]
    fn keeps_inner_whitespace() {
        assert_eq!(split(" a  b , c\td ", ',', false), ["a  b", "c\td"]);
    }

    #[test]
    fn non_ascii_separator_splits() {
        assert_eq!(split("a€b€€c", '€', false), ["a", "b", "c"]);
    }

    #[test]
    fn utf8_values_are_read_as_utf8() {
        let mut map = HeaderMap::new();
        map.append(
            "x-text",
            HeaderValue::from_bytes("héllo, wörld".as_bytes()).unwrap(),
        );
        assert_eq!(map.get_split_values("x-text"), owned(&["héllo", "wörld"]));
    }

    #[test]
    fn non_utf8_values_are_read_as_latin1() {
        let mut map = HeaderMap::new();
        map.append(
            "x-text",
            HeaderValue::from_bytes(b"caf\xe9, \xa0x\xa0").unwrap(),
        );
        // 0xE9 is é; 0xA0 is a no-break space, which Kotlin's trim strips.
        assert_eq!(map.get_split_values("x-text"), owned(&["café", "x"]));
    }

    #[test]
    fn iterator_is_fused() {
        let mut it = split_header_value("a", ',', false);
        assert_eq!(it.next(), Some("a"));
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
    }
}
