//! Compile-time checks of axum 0.8 path templates (`/books/{id}`, `/static/{*path}`), the rules
//! `matchit` enforces at runtime (where axum would panic while building the router), plus a few
//! friendlier ones. Errors point at a subspan of the string literal when the compiler offers one,
//! and at the whole literal otherwise.
use std::ops::Range;

use proc_macro2::Span;
use syn::LitStr;

use super::errors::Errors;

/// A `{name}` or `{*name}` parameter of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Param {
    /// The parameter's name, without braces or `*`.
    pub(crate) name: String,
    /// Whether it is a catch-all `{*name}`.
    pub(crate) catch_all: bool,
}

/// Checks a route path template; records every problem in `errors` and returns its parameters.
pub(crate) fn check_route(lit: &LitStr, errors: &mut Errors) -> Vec<Param> {
    let value = lit.value();
    let mut found = Vec::new();
    for problem in problems(&value, &mut found) {
        errors.error_at(subspan(lit, &value, problem.range), problem.message);
    }
    found
}

/// Checks the prefix of a `route("/prefix") { .. }` block: a route template that is not `/` and
/// has no catch-all (axum's `Router::nest` would panic on either).
pub(crate) fn check_prefix(lit: &LitStr, errors: &mut Errors) {
    let value = lit.value();
    if value.is_empty() || value == "/" {
        errors.error_at(
            lit.span(),
            "a `route(..)` prefix cannot be `/`; list these routes at the top level instead",
        );
        return;
    }
    for param in check_route(lit, errors) {
        if param.catch_all {
            errors.error_at(
                lit.span(),
                format!(
                    "a `route(..)` prefix cannot contain a catch-all `{{*{}}}`",
                    param.name
                ),
            );
        }
    }
}

struct Problem {
    range: Range<usize>,
    message: String,
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
        out.push(problem(0..1, "route paths must start with `/`"));
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

/// The span of bytes `range` of the literal's value, or the whole literal when the compiler
/// cannot point inside it (stable rustc) or the literal contains escapes.
fn subspan(lit: &LitStr, value: &str, range: Range<usize>) -> Span {
    let token = lit.token();
    let repr = token.to_string();
    let start = if repr.starts_with('"') {
        1
    } else if let Some(hashes) = repr.strip_prefix('r') {
        hashes.chars().take_while(|c| *c == '#').count() + 2
    } else {
        return lit.span();
    };
    let inner = repr.get(start..repr.len().saturating_sub(start));
    if inner != Some(value) {
        return lit.span();
    }
    let end = range.end.max(range.start + 1);
    token
        .subspan(start + range.start..start + end)
        .unwrap_or_else(|| lit.span())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(path: &str) -> Vec<String> {
        problems(path, &mut Vec::new())
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
        let mut found = Vec::new();
        assert!(problems("/a/{x}/{*rest}", &mut found).is_empty());
        assert_eq!(found[0].name, "x");
        assert!(found[1].catch_all);
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
}
