//! The application's root path, Ktor's `rootPath` (`ktor.deployment.rootPath` in the
//! configuration, `-path=` on the command line): every route of the application is served under
//! it, and a request outside it is answered 404 by routing.
//!
//! As in Ktor the root is constant — no `{param}` and no `*` — and `""` or `/` means none;
//! slashes around it and doubled ones do not count (`api/`, `/api` and `//api` are all `/api`).
//! The routes are nested under it as axum's `Router::nest` nests them, so a handler sees the
//! request's URI without the root (`Uri` of `/api/hello` is `/hello`) and the whole one through
//! axum's `OriginalUri`; `MatchedPath` is the whole template (`/api/hello`). App-wide layers
//! (plugins) still see every request, inside the root or not, as they run before routing.
//!
//! # Example
//! ```
//! use oxtor_runtime::{testing::TestApplication, Application};
//! use axum::{extract::OriginalUri, http::Uri, routing::get, Router};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> oxtor_runtime::Result<()> {
//! let mut app = Application::new(());
//! app.set_root_path("/api")?;
//! app.routing(Router::new().route(
//!     "/hello",
//!     get(|uri: Uri, OriginalUri(original): OriginalUri| async move { format!("{uri} {original}") }),
//! ))?;
//! let test = TestApplication::start(app).await?;
//! assert_eq!(test.get_text("/api/hello").await?, "/hello /api/hello");
//! assert_eq!(test.get("/hello").await?.status(), 404);
//! # Ok(()) }
//! ```
//! A root with a parameter is refused with Ktor's message:
//! ```
//! use oxtor_runtime::Application;
//!
//! let err = Application::new(()).set_root_path("/api/{version}").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "ktor.deployment.rootPath: `/api/{version}`: rootPath should be constant, no wildcards supported"
//! );
//! ```

/// The root path `path` stands for: `None` for `""` and `/`, otherwise `/a/b` with one slash
/// before each segment and none at the end; or why it cannot be one.
pub(crate) fn normalise(path: &str) -> Result<Option<String>, String> {
    let mut root = String::with_capacity(path.len() + 1);
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "*" || segment.contains(['{', '}']) {
            return Err(format!(
                "`{path}`: rootPath should be constant, no wildcards supported"
            ));
        }
        if segment == "." || segment == ".." {
            return Err(format!(
                "`{path}`: a root path cannot have `.` or `..` segments"
            ));
        }
        if let Some(c) = segment.chars().find(|&c| !is_path_char(c)) {
            return Err(format!(
                "`{path}`: {c:?} cannot be in a URL path; percent-encode it"
            ));
        }
        if let Some(bad) = bad_percent_escape(segment) {
            return Err(format!(
                "`{path}`: `{bad}` is not a percent-encoded byte (`%` and two hex digits)"
            ));
        }
        root.push('/');
        root.push_str(segment);
    }
    Ok((!root.is_empty()).then_some(root))
}

/// Whether `c` may stand unencoded in a path segment (RFC 3986 `pchar`, `%` for an escape).
fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

/// The first `%` in `segment` not followed by two hex digits, with what follows it.
fn bad_percent_escape(segment: &str) -> Option<&str> {
    let bytes = segment.as_bytes();
    bytes.iter().enumerate().find_map(|(i, &b)| {
        let ok = bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        (b == b'%' && !ok).then(|| &segment[i..(i + 3).min(segment.len())])
    })
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn empty_and_slash_are_no_root() {
        assert_eq!(normalise(""), Ok(None));
        assert_eq!(normalise("/"), Ok(None));
        assert_eq!(normalise("//"), Ok(None));
    }

    #[test]
    fn slashes_around_and_doubled_do_not_count() {
        for path in ["api/v1", "/api/v1", "/api/v1/", "//api//v1"] {
            assert_eq!(normalise(path), Ok(Some("/api/v1".to_owned())), "{path}");
        }
    }

    #[test]
    fn parameters_and_wildcards_are_refused_with_ktors_message() {
        for path in ["/api/{v}", "/{*rest}", "/api/*", "/a}"] {
            let err = normalise(path).unwrap_err();
            assert!(
                err.ends_with("rootPath should be constant, no wildcards supported"),
                "{err}"
            );
        }
    }

    #[test]
    fn a_star_inside_a_segment_is_a_constant() {
        assert_eq!(normalise("/a*b"), Ok(Some("/a*b".to_owned())));
    }

    #[test]
    fn dot_segments_are_refused() {
        assert!(normalise("/api/..").unwrap_err().contains("`..`"));
        assert!(normalise("./api").is_err());
    }

    #[test]
    fn characters_that_need_encoding_are_refused() {
        assert_eq!(
            normalise("/my app").unwrap_err(),
            "`/my app`: ' ' cannot be in a URL path; percent-encode it"
        );
        assert!(normalise("/a?b").is_err());
        assert!(normalise("/a#b").is_err());
        assert!(normalise("/caf\u{e9}").is_err());
    }

    #[test]
    fn percent_escapes_must_be_complete() {
        assert_eq!(normalise("/my%20app"), Ok(Some("/my%20app".to_owned())));
        assert_eq!(
            normalise("/a%2").unwrap_err(),
            "`/a%2`: `%2` is not a percent-encoded byte (`%` and two hex digits)"
        );
        assert!(normalise("/a%zz").is_err());
    }
}
