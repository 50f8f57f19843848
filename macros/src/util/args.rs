//! [`Args`]: the parenthesised arguments of an `install!` entry (`name(args)`, `name(args) { .. }`)
//! and of a `routing!` block (`name(args) { .. }`), parsed and checked once for both: positional
//! arguments, then `key = value` ones. A key is a setter called on what the entry's method
//! returns, so it may appear once; a positional argument after a key is an error.
//!
//! The two macros differ only in what a positional argument is ([`Positional`]): an expression in
//! `routing!`, an expression or a nested `Plugin { .. }` block in `install!`.
use proc_macro2::Span;
use syn::{
    parse::{Parse, ParseStream},
    spanned::Spanned,
    Expr, Ident, Token,
};

use super::errors::Errors;

/// What a macro accepts as a positional argument.
pub(crate) trait Positional: Sized {
    /// Parses one positional argument.
    fn parse_positional(input: ParseStream<'_>) -> syn::Result<Self>;

    /// Where to point at this argument in an error.
    fn arg_span(&self) -> Span;
}

impl Positional for Expr {
    fn parse_positional(input: ParseStream<'_>) -> syn::Result<Self> {
        input.parse()
    }

    fn arg_span(&self) -> Span {
        Spanned::span(self)
    }
}

/// Comma-separated arguments: positional ones, then `key = value` ones.
pub(crate) struct Args<P> {
    /// The positional arguments, in order.
    pub(crate) positional: Vec<P>,
    /// `key = value`: a setter called on what the entry's method returns.
    pub(crate) keyed: Vec<(Ident, Expr)>,
    /// Where a positional argument follows a keyed one: not a syntax error, reported by
    /// [`Args::validate`] along with every other error.
    misplaced: Vec<Span>,
}

impl<P> Default for Args<P> {
    fn default() -> Self {
        Self {
            positional: Vec::new(),
            keyed: Vec::new(),
            misplaced: Vec::new(),
        }
    }
}

impl<P: Positional> Parse for Args<P> {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        while !input.is_empty() {
            if input.peek(Ident) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
                let key: Ident = input.parse()?;
                input.parse::<Token![=]>()?;
                args.keyed.push((key, input.parse()?));
            } else {
                let arg = P::parse_positional(input)?;
                if !args.keyed.is_empty() {
                    args.misplaced.push(arg.arg_span());
                }
                args.positional.push(arg);
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

impl<P> Args<P> {
    /// Records every positional argument written after a keyed one, and every key given twice.
    pub(crate) fn validate(&self, errors: &mut Errors) {
        for span in &self.misplaced {
            errors.error_at(
                *span,
                "positional arguments must come before `key = value` arguments",
            );
        }
        for (i, (key, _)) in self.keyed.iter().enumerate() {
            if self.keyed[..i].iter().any(|(k, _)| k == key) {
                errors.error_at(key.span(), format!("`{key}` specified more than once"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::Expr;

    use super::Args;
    use crate::util::errors::Errors;

    fn parse(input: &str) -> Args<Expr> {
        syn::parse_str(input).expect("test input parses")
    }

    fn errors(args: &Args<Expr>) -> String {
        let mut errors = Errors::new();
        args.validate(&mut errors);
        match errors.finish() {
            Ok(()) => String::new(),
            Err(e) => e
                .into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        }
    }

    #[test]
    fn positional_then_keyed_arguments_are_split() {
        let args = parse(r#""api", 1 + 2, optional = true, realm = "x""#);
        assert_eq!(args.positional.len(), 2);
        let keys: Vec<_> = args.keyed.iter().map(|(k, _)| k.to_string()).collect();
        assert_eq!(keys, ["optional", "realm"]);
        assert_eq!(errors(&args), "");
    }

    #[test]
    fn comparison_is_a_positional_argument() {
        let args = parse("a == b");
        assert_eq!(args.positional.len(), 1);
        assert!(args.keyed.is_empty());
    }

    #[test]
    fn trailing_comma_is_accepted() {
        assert_eq!(parse("1, k = 2,").keyed.len(), 1);
    }

    #[test]
    fn every_misplaced_argument_and_repeated_key_is_reported() {
        let args = parse("k = 1, 2, k = 3");
        assert_eq!(
            errors(&args),
            "positional arguments must come before `key = value` arguments; \
             `k` specified more than once"
        );
    }
}
