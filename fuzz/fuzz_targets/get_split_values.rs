//! Fuzzes `HeaderMapExt::get_split_values_with` on a `HeaderMap` built from arbitrary bytes.
//!
//! Input layout: byte 0 picks the mode (bit 0: `split_inside_quotes`) and the separator (bits
//! 1..=3; 7 means "the char in bytes 1..5"); the rest is split on `\n` into field lines, each a
//! name selector byte followed by the value bytes (values `HeaderValue` rejects are skipped).
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use oxtor_runtime::headers::{is_kotlin_whitespace, split_header_value, value_text, HeaderMapExt};

const SEPARATORS: [char; 7] = [',', ';', '=', ' ', '"', '\\', '\t'];
const NAMES: [&str; 4] = ["x-list", "X-List", "cache-control", "set-cookie"];

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let inside = flags & 1 == 1;
    let selector = usize::from((flags >> 1) & 7);
    let (separator, rest) = match SEPARATORS.get(selector) {
        Some(&sep) => (sep, rest),
        None if rest.len() >= 4 => {
            let code = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            (char::from_u32(code).unwrap_or(','), &rest[4..])
        }
        None => (',', rest),
    };

    let mut map = HeaderMap::new();
    let mut lines = Vec::new();
    for line in rest.split(|&b| b == b'\n') {
        let Some((&name, value)) = line.split_first() else {
            continue;
        };
        let name = NAMES[usize::from(name) % NAMES.len()];
        if let Ok(value) = HeaderValue::from_bytes(value) {
            if name.eq_ignore_ascii_case("x-list") {
                lines.push(value.clone());
            }
            map.append(name, value);
        }
    }

    let found = map.get_split_values_with("x-list", separator, inside);
    assert_eq!(found.is_some(), !lines.is_empty());
    let items = found.clone().unwrap_or_default();

    // Every item is non-empty, trimmed, and the field lines' items in order.
    let mut expected = Vec::new();
    for line in &lines {
        let text = value_text(line);
        let mut remaining: &str = &text;
        for item in split_header_value(&text, separator, inside) {
            let at = remaining
                .find(item)
                .expect("item is a substring of its line");
            remaining = &remaining[at + item.len()..];
            expected.push(item.to_owned());
        }
    }
    assert_eq!(items, expected);
    for item in &items {
        assert!(!item.is_empty());
        assert_eq!(item.trim_matches(is_kotlin_whitespace), item);
    }

    // The default is `,` respecting quotes; a name that is not a valid header name is absent.
    if separator == ',' && !inside {
        assert_eq!(map.get_split_values("X-LIST"), found);
    }
    if let Ok(name) = std::str::from_utf8(rest) {
        let _ = map.get_split_values(name);
    }
});
