//! `Accept-Encoding` negotiation (RFC 9110 §12.5.3): q-values, `q=0` forbids, `*`, `identity`.
//! Candidates are ordered by the client's q, then configured priority, then the order the
//! client listed them in, then registration order; malformed entries are ignored.
use http::HeaderValue;

use super::config::Registered;

/// One parsed `Accept-Encoding` entry: lowercased coding, q in thousandths, position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    pub(crate) coding: String,
    pub(crate) q: u16,
    pub(crate) pos: usize,
}

/// Parses a qvalue (`0`, `0.5`, `1.000`) into thousandths; `None` if malformed.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for i in 0..3 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| u16::from(b - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Every entry of every `Accept-Encoding` line, in order. `None` when the header is absent.
pub(crate) fn parse<'a>(
    values: impl IntoIterator<Item = &'a HeaderValue>,
) -> Option<Vec<Accepted>> {
    let mut values = values.into_iter().peekable();
    values.peek()?;
    let mut out = Vec::new();
    for value in values {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if coding.is_empty() {
                continue;
            }
            let mut q = Some(1000);
            for param in parts {
                if let Some((k, v)) = param.split_once('=') {
                    if k.trim().eq_ignore_ascii_case("q") {
                        q = parse_q(v);
                    }
                }
            }
            let Some(q) = q else { continue };
            let mut coding = coding.to_ascii_lowercase();
            if coding == "x-gzip" {
                coding.truncate(0);
                coding.push_str("gzip");
            }
            out.push(Accepted {
                coding,
                q,
                pos: out.len(),
            });
        }
    }
    Some(out)
}

/// Indices into `encoders` the client accepts, best first. `identity` is always acceptable, so
/// it is a candidate only when the client names it (or `*` covers a registered `identity`): then
/// it competes like any coding, and winning means "send as is". The index `usize::MAX` stands
/// for an unregistered identity.
pub(crate) fn candidates(accepted: &[Accepted], encoders: &[Registered]) -> Vec<usize> {
    let star = accepted.iter().find(|a| a.coding == "*");
    // (q, priority, position, registration index, encoder index)
    let mut found: Vec<(u16, f64, usize, usize)> = Vec::new();
    for (i, e) in encoders.iter().enumerate() {
        let explicit = accepted.iter().find(|a| a.coding == e.name);
        let Some(entry) = explicit.or(star) else {
            continue;
        };
        if entry.q > 0 {
            found.push((entry.q, e.priority, entry.pos, i));
        }
    }
    let identity_registered = encoders.iter().any(|e| e.identity);
    if !identity_registered {
        if let Some(entry) = accepted.iter().find(|a| a.coding == "identity") {
            if entry.q > 0 {
                found.push((entry.q, 1.0, entry.pos, usize::MAX));
            }
        }
    }
    found.sort_by(|a, b| {
        b.0.cmp(&a.0)
            .then(b.1.total_cmp(&a.1))
            .then(a.2.cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    found.into_iter().map(|f| f.3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> [HeaderValue; 1] {
        [HeaderValue::from_str(v).unwrap()]
    }

    #[test]
    fn qvalues_parse_per_rfc() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.125"), Some(125));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("abc"), None);
        assert_eq!(parse_q("-0"), None);
    }

    #[test]
    fn absent_header_is_none_and_garbage_is_empty() {
        assert_eq!(parse(&[]), None);
        let got = parse(&headers(" , ;q=1, gzip;q=2, zstd;q=0.5 ;level=1")).unwrap();
        assert_eq!(
            got,
            vec![Accepted {
                coding: "zstd".into(),
                q: 500,
                pos: 0
            }]
        );
    }

    #[test]
    fn codings_are_case_insensitive_and_x_gzip_is_gzip() {
        let got = parse(&headers("GZip, X-GZIP;q=0.2")).unwrap();
        assert_eq!(got[0].coding, "gzip");
        assert_eq!(got[1].coding, "gzip");
    }

    /// Property tests: `parse` never panics and keeps its invariants for any header bytes;
    /// `candidates` returns exactly the registered codings the client accepts with `q > 0`, best
    /// first.
    mod props {
        use proptest::prelude::*;

        use super::super::{candidates, parse, Accepted};
        use crate::plugins::compression::{
            codec::Identity,
            config::{CompressionConfig, Registered, Settings},
        };

        /// Codings a client may name: registered or not, in any case, `x-gzip`, `*`.
        const CODINGS: [&str; 12] = [
            "gzip", "GZIP", "x-gzip", "deflate", "zstd", "Zstd", "br", "identity", "IDENTITY", "*",
            "custom", "unknown",
        ];
        /// What the server may register (lowercase, as `register` stores them).
        const SERVER: [&str; 6] = ["zstd", "gzip", "deflate", "br", "identity", "custom"];

        /// One `Accept-Encoding` entry: its coding, its `q` (`None`: no `q` parameter) as
        /// thousandths, and the whitespace around it.
        #[derive(Debug, Clone)]
        struct Entry {
            coding: &'static str,
            q: Option<u16>,
            pad: (&'static str, &'static str),
        }

        fn entry() -> impl Strategy<Value = Entry> {
            let pad = prop::sample::select(vec!["", " ", "\t", "  "]);
            (
                prop::sample::select(CODINGS.to_vec()),
                prop::option::of(prop_oneof![Just(0u16), Just(1000u16), 0u16..=1000]),
                (pad.clone(), pad),
            )
                .prop_map(|(coding, q, pad)| Entry { coding, q, pad })
        }

        /// Renders `q` thousandths as a valid qvalue, trailing zeros dropped ("0.5", "1").
        fn qvalue(q: u16) -> String {
            if q == 1000 {
                return "1".to_owned();
            }
            let frac = format!("{q:03}");
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                "0".to_owned()
            } else {
                format!("0.{frac}")
            }
        }

        fn render(entries: &[Entry]) -> String {
            entries
                .iter()
                .map(|e| {
                    let (before, after) = e.pad;
                    match e.q {
                        Some(q) => format!("{before}{}{after};{after}q={}", e.coding, qvalue(q)),
                        None => format!("{before}{}{after}", e.coding),
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        }

        fn canonical(coding: &str) -> String {
            match coding.to_ascii_lowercase().as_str() {
                "x-gzip" => "gzip".to_owned(),
                other => other.to_owned(),
            }
        }

        fn parse_str(header: &str) -> Vec<Accepted> {
            let value = http::HeaderValue::from_str(header).expect("a valid header value");
            parse([&value]).expect("a header is present")
        }

        /// Registers `names` (each with a priority) on a configuration and returns the codings.
        fn registered(names: &[(&'static str, f64)]) -> Vec<Registered> {
            let mut cfg = CompressionConfig::default();
            for &(name, priority) in names {
                if name == "identity" {
                    cfg.identity(|c| {
                        c.priority(priority);
                    });
                } else {
                    cfg.encoder(name, Identity, |c| {
                        c.priority(priority);
                    });
                }
            }
            match Settings::new(cfg) {
                Ok(settings) => settings.encoders,
                Err(e) => panic!("a valid configuration: {e}"),
            }
        }

        fn server() -> impl Strategy<Value = Vec<(&'static str, f64)>> {
            (
                prop::sample::subsequence(SERVER.to_vec(), 1..=SERVER.len()).prop_shuffle(),
                prop::collection::vec(prop_oneof![Just(1.0), Just(0.9), 0.0f64..10.0], 6),
            )
                .prop_map(|(names, priorities)| names.into_iter().zip(priorities).collect())
        }

        /// The q the client gives `name`: its own entry (the first one), else `*`'s, else none.
        fn q_for(accepted: &[Accepted], name: &str) -> Option<u16> {
            let find = |c: &str| accepted.iter().find(|a| a.coding == c).map(|a| a.q);
            find(name).or_else(|| find("*"))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn any_header_bytes_parse_into_clean_entries(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
                let Ok(value) = http::HeaderValue::from_bytes(&bytes) else { return Ok(()) };
                let parsed = parse([&value]).expect("a header is present");
                for (i, a) in parsed.iter().enumerate() {
                    prop_assert_eq!(a.pos, i);
                    prop_assert!(a.q <= 1000);
                    prop_assert!(!a.coding.is_empty());
                    prop_assert_eq!(a.coding.trim(), a.coding.as_str());
                    prop_assert_eq!(a.coding.to_ascii_lowercase(), a.coding.clone());
                    prop_assert!(!a.coding.contains([',', ';']));
                }
            }

            #[test]
            fn rendered_entries_parse_back(entries in prop::collection::vec(entry(), 0..8)) {
                let parsed = parse_str(&render(&entries));
                let expected: Vec<Accepted> = entries
                    .iter()
                    .enumerate()
                    .map(|(pos, e)| Accepted { coding: canonical(e.coding), q: e.q.unwrap_or(1000), pos })
                    .collect();
                prop_assert_eq!(parsed, expected);
            }

            #[test]
            fn case_and_whitespace_do_not_change_the_parse(entries in prop::collection::vec(entry(), 1..8)) {
                let tight: Vec<Entry> = entries.iter().map(|e| Entry { pad: ("", ""), ..e.clone() }).collect();
                let header = render(&entries);
                prop_assert_eq!(parse_str(&header), parse_str(&render(&tight)));
                prop_assert_eq!(parse_str(&header.to_ascii_uppercase()), parse_str(&header));
            }

            #[test]
            fn splitting_the_header_into_lines_does_not_change_the_parse(
                entries in prop::collection::vec(entry(), 2..8),
                at in 1usize..7,
            ) {
                let at = at.min(entries.len() - 1);
                let lines = [render(&entries[..at]), render(&entries[at..])]
                    .map(|l| http::HeaderValue::from_str(&l).expect("valid"));
                prop_assert_eq!(parse(&lines), Some(parse_str(&render(&entries))));
            }

            #[test]
            fn malformed_qvalues_drop_only_their_entry(
                entries in prop::collection::vec(entry(), 0..6),
                bad in prop::sample::select(vec!["1.5", "2", "0.1234", "-0", "abc", "", ".5", "1.001"]),
            ) {
                let header = format!("{}, gzip;q={bad}", render(&entries));
                prop_assert_eq!(parse_str(&header), parse_str(&render(&entries)));
            }

            #[test]
            fn candidates_are_exactly_the_acceptable_registered_codings_best_first(
                entries in prop::collection::vec(entry(), 0..8),
                server in server(),
            ) {
                let accepted = parse_str(&render(&entries));
                let encoders = registered(&server);
                let got = candidates(&accepted, &encoders);

                let mut expected: Vec<usize> = (0..encoders.len())
                    .filter(|&i| q_for(&accepted, &encoders[i].name).is_some_and(|q| q > 0))
                    .collect();
                let identity_registered = encoders.iter().any(|e| e.identity);
                let named_identity = accepted.iter().find(|a| a.coding == "identity");
                if !identity_registered && named_identity.is_some_and(|a| a.q > 0) {
                    expected.push(usize::MAX);
                }
                let mut sorted = got.clone();
                sorted.sort_unstable();
                expected.sort_unstable();
                prop_assert_eq!(sorted, expected, "each acceptable coding once");

                // q (the client's) first, then the configured priority.
                let key = |i: usize| match encoders.get(i) {
                    Some(e) => (q_for(&accepted, &e.name).unwrap_or(0), e.priority),
                    None => (named_identity.map_or(0, |a| a.q), 1.0),
                };
                for pair in got.windows(2) {
                    let (a, b) = (key(pair[0]), key(pair[1]));
                    prop_assert!(a.0 > b.0 || (a.0 == b.0 && a.1 >= b.1), "{:?} before {:?}", a, b);
                }
            }

            #[test]
            fn the_order_of_entries_with_distinct_codings_and_qs_does_not_matter(
                entries in prop::collection::vec(entry(), 0..8),
                server in server(),
                seed in any::<u64>(),
            ) {
                // One entry per coding, each with its own q: then q alone orders the codings.
                let mut seen = Vec::new();
                let distinct: Vec<Entry> = entries
                    .into_iter()
                    .enumerate()
                    .filter(|(_, e)| {
                        let fresh = !seen.contains(&canonical(e.coding));
                        seen.push(canonical(e.coding));
                        fresh
                    })
                    .map(|(i, e)| Entry { q: Some(1000 - i as u16 * 7), ..e })
                    .collect();
                let mut shuffled = distinct.clone();
                let n = shuffled.len().max(1) as u64;
                shuffled.rotate_left((seed % n) as usize);
                if seed & 1 == 1 {
                    shuffled.reverse();
                }
                let encoders = registered(&server);
                prop_assert_eq!(
                    candidates(&parse_str(&render(&distinct)), &encoders),
                    candidates(&parse_str(&render(&shuffled)), &encoders)
                );
            }

            #[test]
            fn an_explicit_q_zero_beats_the_star(
                server in server(),
                star_q in 1u16..=1000,
                forbidden in prop::sample::select(SERVER.to_vec()),
            ) {
                let header = format!("*;q={}, {forbidden};q=0", qvalue(star_q));
                let encoders = registered(&server);
                let got = candidates(&parse_str(&header), &encoders);
                prop_assert!(got.iter().all(|&i| encoders.get(i).is_none_or(|e| e.name != forbidden)));
                let others = encoders.iter().filter(|e| e.name != forbidden).count();
                prop_assert_eq!(got.len(), others);
            }
        }
    }
}
