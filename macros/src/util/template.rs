//! Compile-time checks of path templates for `#[route]` and `routing!`'s `route("/prefix")`:
//! the rules themselves are in [`rules`] (plain `&str` in, problems out); this module turns them
//! into compiler errors that point at a subspan of the string literal when the compiler offers
//! one, and at the whole literal otherwise.
use proc_macro2::Span;
use syn::LitStr;

use super::errors::Errors;

pub(crate) mod rules;

pub(crate) use rules::Param;

/// Checks a route path template; records every problem in `errors` and returns its parameters.
pub(crate) fn check_route(lit: &LitStr, errors: &mut Errors) -> Vec<Param> {
    let value = lit.value();
    let template = rules::parse(&value);
    for problem in template.problems {
        errors.error_at(subspan(lit, &value, problem.range), problem.message);
    }
    template.params
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

/// The span of bytes `range` of the literal's value, or the whole literal when the compiler
/// cannot point inside it (stable rustc) or the literal contains escapes.
fn subspan(lit: &LitStr, value: &str, range: std::ops::Range<usize>) -> Span {
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
mod props;
