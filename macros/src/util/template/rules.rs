//! The rules of axum 0.8 path templates (`/books/{id}`, `/static/{*path}`) that `matchit`
//! enforces at runtime (where axum would panic while building the router), plus a few friendlier
//! ones, as a plain function over `&str`: [`parse`] returns the parameters and every problem with
//! its byte range. Std only, so that the fuzz crate (`fuzz/fuzz_targets/route_template.rs`) can
//! include this file with `#[path]`: a proc-macro crate cannot be a normal dependency.
//!
//! ```text
//! parse("/books/{id}")  -> params [id], no problems
//! parse("/a/{}")        -> a problem at 3..5: "empty parameter `{}`; name it, e.g. `{id}`"
//! ```
use std::ops::Range;

/// A `{name}` or `{*name}` parameter of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    /// The parameter's name, without braces or `*`.
    pub(crate) name: String,
    /// Whether it is a catch-all `{*name}`.
    pub(crate) catch_all: bool,
}

/// One broken rule: the bytes of the template it is about, and what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Byte range in the template (empty for an empty template).
    pub(crate) range: Range<usize>,
    /// The error message.
    pub(crate) message: String,
}

/// A template read by [`parse`]: its parameters (those seen, even when there are problems, so
/// that a caller can add rules of its own) and every problem, in order. Valid when `problems`
/// is empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Template {
    /// The `{name}` / `{*name}` parameters, in order.
    pub(crate) params: Vec<Param>,
    /// Every rule the template breaks; empty when it is valid.
    pub(crate) problems: Vec<Problem>,
}

/// Reads a route path template: never panics, whatever the string.
pub(crate) fn parse(path: &str) -> Template {
    let mut params = Vec::new();
    let problems = problems(path, &mut params);
    Template { params, problems }
}

fn problem(range: Range<usize>, message: impl Into<String>) -> Problem {
    Problem {
        range,
        message: message.into(),
    }
}

/// Every problem of `path`, in order; the parameters seen go to `found`.
fn problems(path: &str, found: &mut Vec<Param>) -> Vec<Problem> {
    let mut out = Vec::new();
    if path.is_empty() {
        out.push(problem(
            0..0,
            "route paths must start with `/`; use \"/\" for the root",
        ));
        return out;
    }
    if !path.starts_with('/') {
        let first = path.chars().next().map_or(0, char::len_utf8);
        out.push(problem(0..first, "route paths must start with `/`"));
    }
    let mut seg_start = 0;
    while seg_start <= path.len() {
        let seg_end = path[seg_start..]
            .find('/')
            .map_or(path.len(), |i| seg_start + i);
        check_segment(path, seg_start..seg_end, found, &mut out);
        seg_start = seg_end + 1;
    }
    out
}

/// Checks one `/`-free segment `range` of `path`.
fn check_segment(path: &str, range: Range<usize>, found: &mut Vec<Param>, out: &mut Vec<Problem>) {
    let seg = &path[range.clone()];
    let at = |r: Range<usize>| (range.start + r.start)..(range.start + r.end);
    if let Some(rest) = seg.strip_prefix(':') {
        out.push(problem(
            at(0..seg.len()),
            format!("`:{rest}` is axum 0.7 syntax; write `{{{rest}}}`"),
        ));
    } else if let Some(rest) = seg.strip_prefix('*') {
        out.push(problem(
            at(0..seg.len()),
            format!("`*{rest}` is axum 0.7 syntax; write `{{*{rest}}}`"),
        ));
    }
    let bytes = seg.as_bytes();
    let mut i = 0;
    let mut params_here = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if bytes.get(i + 1) == Some(&b'}') => i += 2,
            b'}' => {
                out.push(problem(
                    at(i..i + 1),
                    match &seg[..i] {
                        "" => "unmatched `}` in path template; write `}}` for a literal brace"
                            .to_owned(),
                        before => format!(
                            "unmatched `}}` after `{before}`; open it with `{{`, or write `}}}}` for a literal brace"
                        ),
                    },
                ));
                i += 1;
            }
            b'{' => {
                let Some(close) = seg[i + 1..].find(['{', '}']).map(|j| i + 1 + j) else {
                    out.push(unclosed(&seg[i..], at(i..seg.len())));
                    return;
                };
                if bytes[close] == b'{' {
                    out.push(unclosed(&seg[i..close], at(i..close)));
                    i = close;
                    continue;
                }
                let whole = at(i..close + 1);
                let inner = &seg[i + 1..close];
                let (catch_all, name) = match inner.strip_prefix('*') {
                    Some(name) => (true, name),
                    None => (false, inner),
                };
                params_here += 1;
                check_param(
                    path,
                    whole.clone(),
                    catch_all,
                    name,
                    i,
                    close,
                    seg,
                    found,
                    out,
                );
                if params_here == 2 {
                    out.push(problem(
                        whole.clone(),
                        "only one parameter per path segment is allowed",
                    ));
                }
                i = close + 1;
            }
            _ => i += 1,
        }
    }
}

fn unclosed(fragment: &str, range: Range<usize>) -> Problem {
    problem(
        range,
        format!("unclosed `{{` in `{fragment}`; close it with `}}`, or write `{{{{` for a literal brace"),
    )
}

#[allow(clippy::too_many_arguments)]
fn check_param(
    path: &str,
    whole: Range<usize>,
    catch_all: bool,
    name: &str,
    open: usize,
    close: usize,
    seg: &str,
    found: &mut Vec<Param>,
    out: &mut Vec<Problem>,
) {
    let shown = &path[whole.clone()];
    if name.is_empty() {
        out.push(problem(
            whole.clone(),
            format!("empty parameter `{shown}`; name it, e.g. `{{id}}`"),
        ));
    } else if !is_ident(name) {
        out.push(problem(
            whole.clone(),
            format!(
                "`{name}` is not a valid parameter name; expected an identifier such as `{{id}}`"
            ),
        ));
    } else if found.iter().any(|p| p.name == name) {
        out.push(problem(
            whole.clone(),
            format!("parameter `{name}` appears more than once in the path"),
        ));
    }
    if catch_all {
        if whole.end != path.len() {
            out.push(problem(
                whole.clone(),
                format!("catch-all `{shown}` must be the last segment of the path"),
            ));
        } else if open != 0 {
            out.push(problem(
                whole.clone(),
                format!("catch-all `{shown}` must be a whole segment, after a `/`"),
            ));
        }
    } else if close + 1 != seg.len() {
        out.push(problem(
            whole.clone(),
            format!(
                "parameter `{shown}` must end its path segment; static text may come before it, not after"
            ),
        ));
    }
    if !name.is_empty() {
        found.push(Param {
            name: name.to_owned(),
            catch_all,
        });
    }
}

/// Whether `s` is a Rust identifier (ASCII; what a `Path` struct field can be named).
fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(path: &str) -> Vec<String> {
        parse(path)
            .problems
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn valid_templates_have_no_problems() {
        for ok in [
            "/",
            "/hello",
            "/books/{id}",
            "/a/{x}/b/{y}",
            "/static/{*path}",
            "/file-{name}",
            "/{{literal}}",
            "/users/{id}/",
        ] {
            assert_eq!(messages(ok), Vec::<String>::new(), "{ok}");
        }
    }

    #[test]
    fn parameters_are_returned_in_order() {
        let t = parse("/a/{x}/{*rest}");
        assert!(t.problems.is_empty());
        assert_eq!(t.params[0].name, "x");
        assert!(t.params[1].catch_all);
    }

    #[test]
    fn each_rule_has_its_message() {
        assert_eq!(messages("books")[0], "route paths must start with `/`");
        assert!(messages("/a/{id")[0].starts_with("unclosed `{`"));
        assert!(messages("/a/id}")[0].starts_with("unmatched `}`"));
        assert!(messages("/{a-b}")[0].contains("not a valid parameter name"));
        assert!(messages("/{}")[0].starts_with("empty parameter"));
        assert!(messages("/{*rest}/x")[0].contains("must be the last segment"));
        assert!(messages("/{id}/{id}")[0].contains("appears more than once"));
        assert!(messages("/{a}{b}")
            .iter()
            .any(|m| m.contains("only one parameter")));
        assert!(messages("/{a}.json")[0].contains("must end its path segment"));
        assert!(messages("/:id")[0].contains("axum 0.7 syntax"));
    }

    /// Found by `props::any_string_gives_problems_inside_it`: the range of "must start with `/`"
    /// was the first byte, half of a multi-byte first character.
    #[test]
    fn a_missing_slash_before_a_multibyte_char_covers_the_whole_char() {
        for path in ["é", "\u{16f8f}/x"] {
            let problems = parse(path).problems;
            assert_eq!(problems[0].message, "route paths must start with `/`");
            assert_eq!(
                path.get(problems[0].range.clone()),
                path.chars().next().map(|c| c.to_string()).as_deref()
            );
        }
    }
}
