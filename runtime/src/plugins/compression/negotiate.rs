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
}
