//! Property tests of the template rules: any string gives parameters and problems (never a
//! panic) with ranges inside it; generated valid templates are accepted with exactly their
//! parameters, and axum builds a router from every template the rules accept; each kind of broken
//! template is rejected with its own message at the right bytes, as a spanned `syn::Error`.
use std::panic::{catch_unwind, AssertUnwindSafe};

use oxtor::axum::{routing::get, Router};
use proc_macro2::Span;
use proptest::prelude::*;
use syn::LitStr;

use super::{check_prefix, check_route, rules};
use crate::util::errors::Errors;

/// A parameter name: a Rust identifier other than `_`.
fn ident() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_filter("`_` alone is not a name", |s| s != "_")
}

/// Static text of a segment: URL-safe characters and escaped braces, not starting with `:` or
/// `*` (axum 0.7 syntax, which the rules point out).
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "[a-zA-Z0-9._~-]{1,4}",
            1 => Just("{{".to_owned()),
            1 => Just("}}".to_owned()),
        ],
        0..3,
    )
    .prop_map(|parts| parts.concat())
}

/// One segment of a valid template: static text, optionally ending with a `{param}`.
#[derive(Debug, Clone)]
struct Segment {
    text: String,
    param: bool,
}

/// A valid template and its parameters: segments, each param's name distinct, maybe a trailing
/// catch-all, maybe a trailing `/`.
fn valid_template() -> impl Strategy<Value = (String, Vec<rules::Param>)> {
    (
        prop::collection::vec(
            (text(), any::<bool>()).prop_map(|(text, param)| Segment { text, param }),
            0..5,
        ),
        prop::collection::hash_set(ident(), 6),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(segments, names, catch_all, trailing_slash)| {
            let mut names = names.into_iter();
            let mut path = String::new();
            let mut params = Vec::new();
            for seg in segments {
                path.push('/');
                path.push_str(&seg.text);
                if seg.param {
                    let name = names.next().unwrap_or_default();
                    path.push_str(&format!("{{{name}}}"));
                    params.push(rules::Param {
                        name,
                        catch_all: false,
                    });
                }
            }
            if catch_all {
                let name = names.next().unwrap_or_default();
                path.push_str(&format!("/{{*{name}}}"));
                params.push(rules::Param {
                    name,
                    catch_all: true,
                });
            } else if trailing_slash || path.is_empty() {
                path.push('/');
            }
            (path, params)
        })
}

/// The messages of `path`'s problems.
fn messages(path: &str) -> Vec<String> {
    rules::parse(path)
        .problems
        .into_iter()
        .map(|p| p.message)
        .collect()
}

/// Whether axum builds a router with `path` (it panics on a template matchit refuses).
fn axum_accepts(build: impl FnOnce() -> Router) -> bool {
    catch_unwind(AssertUnwindSafe(build)).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_gives_problems_inside_it(path in any::<String>()) {
        let template = rules::parse(&path);
        for problem in &template.problems {
            prop_assert!(!problem.message.is_empty());
            prop_assert!(path.get(problem.range.clone()).is_some(), "{:?} in {:?}", problem, path);
        }
        for param in &template.params {
            prop_assert!(path.contains(&param.name));
        }
    }

    #[test]
    fn template_like_strings_give_problems_inside_them(path in r"[/{}*:a-z\-é]{0,16}") {
        let template = rules::parse(&path);
        for problem in &template.problems {
            prop_assert!(path.get(problem.range.clone()).is_some(), "{:?} in {:?}", problem, path);
        }
    }

    #[test]
    fn valid_templates_are_accepted_with_their_params((path, params) in valid_template()) {
        let template = rules::parse(&path);
        prop_assert_eq!(template.problems, Vec::new(), "{}", path);
        prop_assert_eq!(template.params, params);
    }

    #[test]
    fn axum_builds_every_template_the_rules_accept(path in r"[/{}*:a-z_]{0,12}") {
        if rules::parse(&path).problems.is_empty() {
            let route = path.clone();
            prop_assert!(
                axum_accepts(move || Router::new().route(&route, get(|| async {}))),
                "the rules accept {:?}, axum does not", path
            );
        }
    }

    #[test]
    fn axum_builds_every_generated_template((path, _) in valid_template()) {
        let route = path.clone();
        prop_assert!(axum_accepts(move || Router::new().route(&route, get(|| async {}))), "{}", path);
    }

    #[test]
    fn axum_nests_under_every_prefix_check_prefix_accepts(path in r"[/{}*:a-z]{0,10}") {
        let mut errors = Errors::new();
        check_prefix(&LitStr::new(&path, Span::call_site()), &mut errors);
        if errors.finish().is_ok() {
            let prefix = path.clone();
            prop_assert!(
                axum_accepts(move || Router::new().nest(&prefix, Router::new().route("/x", get(|| async {})))),
                "check_prefix accepts {:?}, axum's nest does not", path
            );
        }
    }

    #[test]
    fn an_empty_param_is_rejected((path, _) in valid_template(), at_end in any::<bool>()) {
        let bad = if at_end { format!("{path}/{{}}") } else { format!("/{{}}{path}") };
        let template = rules::parse(&bad);
        let problem = template.problems.iter().find(|p| p.message.starts_with("empty parameter `{}`"));
        prop_assert!(problem.is_some(), "{:?}: {:?}", bad, template.problems);
        prop_assert_eq!(problem.and_then(|p| bad.get(p.range.clone())), Some("{}"));
    }

    #[test]
    fn an_unclosed_brace_is_rejected((path, _) in valid_template(), name in ident()) {
        let bad = format!("{}/{{{name}", path.trim_end_matches('/'));
        prop_assert!(messages(&bad).iter().any(|m| m.starts_with("unclosed `{`")), "{}", bad);
    }

    #[test]
    fn a_duplicate_param_is_rejected((path, params) in valid_template()) {
        let Some(first) = params.iter().find(|p| !p.catch_all) else { return Ok(()) };
        let bad = format!("/{{{}}}{path}", first.name);
        let expected = format!("parameter `{}` appears more than once in the path", first.name);
        prop_assert!(messages(&bad).contains(&expected), "{}: {:?}", bad, messages(&bad));
    }

    #[test]
    fn a_catch_all_before_the_end_is_rejected(name in ident(), rest in "[a-z]{1,5}") {
        let bad = format!("/{{*{name}}}/{rest}");
        let expected = format!("catch-all `{{*{name}}}` must be the last segment of the path");
        prop_assert_eq!(messages(&bad), vec![expected]);
    }

    #[test]
    fn static_text_after_a_param_is_rejected(name in ident(), suffix in "[a-z.]{1,5}") {
        let bad = format!("/x/{{{name}}}{suffix}");
        prop_assert!(messages(&bad)[0].contains("must end its path segment"), "{}", bad);
    }

    #[test]
    fn a_path_without_a_leading_slash_is_rejected((path, _) in valid_template()) {
        let bad = path.trim_start_matches('/');
        let messages = messages(bad);
        prop_assert!(messages[0].starts_with("route paths must start with `/`"), "{:?}: {:?}", bad, messages);
    }

    #[test]
    fn every_problem_is_a_spanned_compile_error(path in r"[/{}*:a-z]{0,10}") {
        let template = rules::parse(&path);
        let mut errors = Errors::new();
        let params = check_route(&LitStr::new(&path, Span::call_site()), &mut errors);
        prop_assert_eq!(params, template.params);
        match errors.finish() {
            Ok(()) => prop_assert!(template.problems.is_empty()),
            Err(e) => {
                let got: Vec<String> = e.into_iter().map(|e| e.to_string()).collect();
                let expected: Vec<String> = template.problems.into_iter().map(|p| p.message).collect();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
