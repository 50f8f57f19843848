//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1): [`AuthChallenge`] and the parser that reads
//! every challenge of every header line, several per line allowed, as Ktor's
//! `parseAuthorizationHeaders` does.
//!
//! # Example
//! ```
//! use oxtor_runtime::client::plugins::auth::AuthChallenge;
//!
//! let challenges = AuthChallenge::parse_all(r#"Basic realm="a, b", Bearer realm="api", error="invalid_token""#);
//! assert_eq!(challenges.len(), 2);
//! assert_eq!(challenges[0].scheme(), "Basic");
//! assert_eq!(challenges[0].realm(), Some("a, b"));
//! assert_eq!(challenges[1].param("error"), Some("invalid_token"));
//! ```
use http::{header::WWW_AUTHENTICATE, HeaderMap};

/// One authentication challenge: a scheme with either a `token68` or `name=value` parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthChallenge {
    scheme: String,
    token68: Option<String>,
    /// Parameter names lowercased (they are case-insensitive), values unquoted.
    params: Vec<(String, String)>,
}

impl AuthChallenge {
    /// A challenge for `scheme` with no parameters.
    pub fn new(scheme: impl Into<String>) -> Self {
        Self {
            scheme: scheme.into(),
            token68: None,
            params: Vec::new(),
        }
    }

    /// Adds a parameter (the name is matched case-insensitively).
    pub fn with_param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// The scheme as the server wrote it (`Basic`, `Bearer`, ..).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// Whether the scheme is `scheme`, compared case-insensitively as RFC 9110 says.
    pub fn is_scheme(&self, scheme: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(scheme)
    }

    /// The `token68` form's value (`Negotiate abc==`), if the challenge uses it.
    pub fn token68(&self) -> Option<&str> {
        self.token68.as_deref()
    }

    /// The value of parameter `name` (case-insensitive), unquoted.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `realm` parameter.
    pub fn realm(&self) -> Option<&str> {
        self.param("realm")
    }

    /// Every challenge in one header value, in order. What cannot be parsed ends the list (the
    /// challenges before it are kept).
    pub fn parse_all(value: &str) -> Vec<AuthChallenge> {
        Parser {
            s: value.as_bytes(),
            at: 0,
        }
        .challenges()
    }

    /// Every challenge of every `WWW-Authenticate` line in `headers`, in order; lines that are not
    /// text are skipped.
    pub fn from_headers(headers: &HeaderMap) -> Vec<AuthChallenge> {
        headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Self::parse_all)
            .collect()
    }
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~+/".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn skip_ws_and_commas(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.at += 1;
        }
    }

    fn token(&mut self) -> &str {
        let start = self.at;
        while self.peek().is_some_and(is_tchar) {
            self.at += 1;
        }
        // Only ASCII token characters were consumed.
        std::str::from_utf8(&self.s[start..self.at]).unwrap_or_default()
    }

    fn quoted(&mut self) -> Option<String> {
        // At the opening quote.
        self.at += 1;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.at += 1;
                    out.push(self.peek()?);
                    self.at += 1;
                }
                b => {
                    out.push(b);
                    self.at += 1;
                }
            }
        }
    }

    /// After the scheme: whether what follows is a `token68` (not a `name=` parameter).
    fn token68(&mut self) -> Option<String> {
        let start = self.at;
        while self.peek().is_some_and(is_token68_char) {
            self.at += 1;
        }
        if self.at == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.at += 1;
        }
        let end = self.at;
        self.skip_ws();
        if matches!(self.peek(), None | Some(b',')) {
            return std::str::from_utf8(&self.s[start..end])
                .ok()
                .map(str::to_owned);
        }
        self.at = start;
        None
    }

    fn challenges(&mut self) -> Vec<AuthChallenge> {
        let mut out = Vec::new();
        loop {
            self.skip_ws_and_commas();
            let scheme = self.token().to_owned();
            if scheme.is_empty() {
                return out;
            }
            let mut challenge = AuthChallenge::new(scheme);
            self.skip_ws();
            // `token68` form, unless it is the first `name=value` parameter.
            let before = self.at;
            let name = self.token().to_owned();
            self.skip_ws();
            let is_param = !name.is_empty() && self.peek() == Some(b'=') && {
                let mut probe = self.at + 1;
                while matches!(self.s.get(probe), Some(b' ' | b'\t')) {
                    probe += 1;
                }
                // `abc=` then end or comma is a token68 ending in `=`.
                !matches!(self.s.get(probe), None | Some(b','))
            };
            self.at = before;
            if !is_param {
                challenge.token68 = self.token68();
                out.push(challenge);
                continue;
            }
            if !self.params(&mut challenge) {
                out.push(challenge);
                return out;
            }
            out.push(challenge);
        }
    }

    /// Reads `name=value` pairs until the next challenge; false if the input is malformed.
    fn params(&mut self, challenge: &mut AuthChallenge) -> bool {
        loop {
            self.skip_ws_and_commas();
            let before = self.at;
            let name = self.token().to_ascii_lowercase();
            if name.is_empty() {
                return self.peek().is_none();
            }
            self.skip_ws();
            if self.peek() != Some(b'=') {
                // A new challenge starts at `name`.
                self.at = before;
                return true;
            }
            self.at += 1;
            self.skip_ws();
            let value = if self.peek() == Some(b'"') {
                match self.quoted() {
                    Some(v) => v,
                    None => return false,
                }
            } else {
                self.token().to_owned()
            };
            challenge.params.push((name, value));
            self.skip_ws();
            match self.peek() {
                None => return true,
                Some(b',') => {}
                Some(_) => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AuthChallenge;

    #[test]
    fn several_challenges_in_one_line_with_quoted_commas() {
        let all = AuthChallenge::parse_all(
            r#"Basic realm="a, \"b\"", Digest realm="d", nonce="n", Bearer realm="TestServer""#,
        );
        let schemes: Vec<_> = all.iter().map(AuthChallenge::scheme).collect();
        assert_eq!(schemes, ["Basic", "Digest", "Bearer"]);
        assert_eq!(all[0].realm(), Some(r#"a, "b""#));
        assert_eq!(all[1].param("NONCE"), Some("n"));
        assert_eq!(all[2].realm(), Some("TestServer"));
    }

    #[test]
    fn bare_scheme_and_token68() {
        let all = AuthChallenge::parse_all("Bearer, Negotiate abc+/==, Basic realm=x");
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].token68(), None);
        assert_eq!(all[1].token68(), Some("abc+/=="));
        assert_eq!(all[2].realm(), Some("x"));
    }

    #[test]
    fn token68_ending_in_equals_is_not_a_parameter() {
        let all = AuthChallenge::parse_all("Negotiate abc=");
        assert_eq!(all[0].token68(), Some("abc="));
        assert!(all[0].realm().is_none());
    }

    #[test]
    fn scheme_is_case_insensitive() {
        let all = AuthChallenge::parse_all(r#"BASIC realm="ktor""#);
        assert!(all[0].is_scheme("basic"));
    }

    #[test]
    fn malformed_input_keeps_what_came_before() {
        assert!(AuthChallenge::parse_all("").is_empty());
        assert!(AuthChallenge::parse_all("  ,  ").is_empty());
        let all = AuthChallenge::parse_all(r#"Basic realm="x", Bearer realm="unterminated"#);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].realm(), Some("x"));
        let all = AuthChallenge::parse_all("Bearer realm=a b=c");
        assert_eq!(all[0].realm(), Some("a"));
    }
}
