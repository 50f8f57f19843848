//! Origin strings as Ktor's CORS reads them: validation and normalization (default ports made
//! explicit, a trailing `/` removed).

/// Ktor's `isValidOrigin`: `null`, or `scheme://host[:port]` with no `%`, no path or query.
pub(crate) fn is_valid(origin: &str) -> bool {
    if origin.is_empty() {
        return false;
    }
    if origin == "null" {
        return true;
    }
    if origin.contains('%') {
        return false;
    }
    let Some(delim) = origin.find("://") else {
        return false;
    };
    let scheme = &origin[..delim];
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'));
    if !scheme_ok {
        return false;
    }
    let Some(port_start) = port_digit_start(origin, delim + 3) else {
        return false;
    };
    origin[port_start..].bytes().all(|b| b.is_ascii_digit())
}

/// Where the port's digits start (the end of the string when there is no port), or `None`
/// when the origin is malformed.
fn port_digit_start(origin: &str, host_start: usize) -> Option<usize> {
    let rest = &origin[host_start..];
    if rest.starts_with('[') {
        let end = rest.find(']')?;
        return Some(match rest[end..].find(':') {
            Some(i) => host_start + end + i + 1,
            None => origin.len(),
        });
    }
    for (i, c) in rest.char_indices() {
        match c {
            ':' => return Some(host_start + i + 1),
            '/' => return Some(origin.len()),
            '?' => return None,
            _ => {}
        }
    }
    Some(origin.len())
}

/// Ktor's `normalizeOrigin`: lowercase, no trailing `/`, the default port of `http`/`https`
/// made explicit.
pub(crate) fn normalize(origin: &str) -> String {
    if origin == "null" || origin == "*" {
        return origin.to_owned();
    }
    let mut out = origin
        .strip_suffix('/')
        .unwrap_or(origin)
        .to_ascii_lowercase();
    let host_start = out.find("://").map_or(0, |i| i + 3);
    let explicit_port = port_digit_start(&out, host_start)
        .is_some_and(|i| i < out.len() && out[i..].bytes().all(|b| b.is_ascii_digit()));
    if !explicit_port {
        match out.split(':').next() {
            Some("http") => out.push_str(":80"),
            Some("https") => out.push_str(":443"),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ktor_origin_validation() {
        for ok in [
            "null",
            "http://host",
            "http://host:80",
            "https://[::1]:8080",
            "fake+scheme://host",
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "host",
            "://host",
            "http://host:8x",
            "http://host%20",
            "1http://host",
            "http://h?q",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn ktor_origin_normalization() {
        assert_eq!(normalize("http://Example.com"), "http://example.com:80");
        assert_eq!(normalize("https://example.com/"), "https://example.com:443");
        assert_eq!(
            normalize("http://example.com:8080"),
            "http://example.com:8080"
        );
        assert_eq!(normalize("null"), "null");
    }
}
