//! Code generation for `install!`: `<Plugin>::configure(|cfg| { cfg.key(value); .. })`, each
//! method name spanned at the user's key so rustc reports a misspelt key there.
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{spanned::Spanned, Ident, Path};

use super::parse::{Arg, Args, Entry, PluginBlock};

/// How the generated closures capture what their values name.
#[derive(Clone, Copy)]
pub(crate) enum Capture {
    /// `|cfg| ..`: borrow, for plugins that run their blocks inside `configure` (`install!`).
    Borrow,
    /// `move |cfg| ..`: own, for configurations that keep their blocks (`'static`) and rerun
    /// them, as the HTTP client does (`http_client!`). Only the outer closure and the blocks it
    /// stores (`engine { .. }`, `install(P { .. })`) move; blocks nested in those run while
    /// their parent runs and borrow from it (moving out of the parent, an `Fn`, would not
    /// compile: `install(Auth { bearer { load_tokens = { let s = store.clone(); .. } } })`).
    Move,
    /// The blocks stored by a `Move` closure: `move` themselves, their children borrow.
    MoveStored,
}

impl Capture {
    /// How the closures one level deeper capture.
    fn nested(self) -> Self {
        match self {
            Capture::Borrow | Capture::MoveStored => Capture::Borrow,
            Capture::Move => Capture::MoveStored,
        }
    }
}

/// The whole desugaring.
pub(crate) fn plugin(plugin: &PluginBlock) -> TokenStream {
    configure(&plugin.path, &plugin.entries, Capture::Borrow)
}

/// `<path>::configure(|cfg| { entries })`.
pub(crate) fn configure(path: &Path, entries: &[Entry], capture: Capture) -> TokenStream {
    let configure = quote_spanned!(path.span()=> configure);
    let closure = closure(entries, capture);
    quote!(<#path>::#configure(#closure))
}

/// `|cfg| { entries }`, or `|_| {}` when there are none (so no unused-variable lint).
fn closure(entries: &[Entry], capture: Capture) -> TokenStream {
    if entries.is_empty() {
        return quote!(|_| {});
    }
    let cfg = Ident::new("cfg", Span::mixed_site());
    let calls = entries.iter().map(|entry| match entry {
        Entry::Assign { key, value } => {
            let cfg = receiver(&cfg, key);
            quote_spanned!(key.span()=> #cfg.#key(#value);)
        }
        Entry::Call { name, args } => call(&cfg, name, args, None, capture.nested()),
        Entry::Block { name, args, body } => {
            let nested = closure(body, capture.nested());
            call(&cfg, name, args, Some(nested), capture.nested())
        }
    });
    let capture = match capture {
        Capture::Borrow => None,
        Capture::Move | Capture::MoveStored => Some(quote!(move)),
    };
    quote!(#capture |#cfg| { #(#calls)* })
}

/// The `cfg` receiver of a call, located at the user's `token` (its hygiene unchanged), so that
/// rustc's "no method named .." points at the token alone, not from the macro's first line.
fn receiver(cfg: &Ident, token: &Ident) -> Ident {
    Ident::new("cfg", cfg.span().located_at(token.span()))
}

/// `cfg.name(args, nested);`, or with keyed arguments
/// `{ let mut e = cfg.name(args, nested); e.key(value); }`.
fn call(
    cfg: &Ident,
    name: &Ident,
    args: &Args,
    nested: Option<TokenStream>,
    capture: Capture,
) -> TokenStream {
    let arguments = args
        .positional
        .iter()
        .map(|arg| match arg {
            Arg::Expr(expr) => quote!(#expr),
            Arg::Plugin(plugin) => {
                let path = &plugin.path;
                let nested = closure(&plugin.entries, capture);
                quote!(#path, #nested)
            }
        })
        .chain(nested);
    let cfg = receiver(cfg, name);
    let call = quote_spanned!(name.span()=> #cfg.#name(#(#arguments),*));
    if args.keyed.is_empty() {
        return quote!(#call;);
    }
    let entry = Ident::new("__oxtor_entry", Span::mixed_site());
    let setters = args
        .keyed
        .iter()
        .map(|(key, value)| quote_spanned!(key.span()=> #entry.#key(#value);));
    quote!({
        #[allow(unused_mut)]
        let mut #entry = #call;
        #(#setters)*
    })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(input: &str) -> String {
        let tokens = input.parse().expect("test input lexes");
        match super::super::expand(tokens) {
            Ok(out) => out.to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn every_entry_form_desugars_to_a_builder_call() {
        let out = expand(
            r#"Plugin { key = value  block { k = 1 }  name("arg") { k = 2 }  call("x", 2) }"#,
        );
        let expected = quote!(<Plugin>::configure(|cfg| {
            cfg.key(value);
            cfg.block(|cfg| {
                cfg.k(1);
            });
            cfg.name("arg", |cfg| {
                cfg.k(2);
            });
            cfg.call("x", 2);
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn empty_configuration_ignores_the_config() {
        let expected = quote!(<a::Plugin>::configure(|_| {}));
        assert_eq!(expand("a::Plugin {}"), expected.to_string());
    }

    #[test]
    fn key_set_twice_is_an_error() {
        assert_eq!(
            expand("P { level = 1  level = 2 }"),
            "`level` specified more than once"
        );
    }

    #[test]
    fn same_key_in_different_blocks_is_fine() {
        assert!(expand("P { level = 1  zstd { level = 2 } }").contains("configure"));
    }

    #[test]
    fn keyed_arguments_become_setters_on_what_the_call_returns() {
        let out = expand(r#"P { default_request(replace = true) { url("x") }  call(1, k = 2) }"#);
        let expected = quote!(<P>::configure(|cfg| {
            {
                #[allow(unused_mut)]
                let mut __oxtor_entry = cfg.default_request(|cfg| {
                    cfg.url("x");
                });
                __oxtor_entry.replace(true);
            }
            {
                #[allow(unused_mut)]
                let mut __oxtor_entry = cfg.call(1);
                __oxtor_entry.k(2);
            }
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn plugin_argument_becomes_the_plugin_and_its_closure() {
        let out = expand(r#"P { install(x, a::Auth { bearer { load = f } }) }"#);
        let expected = quote!(<P>::configure(|cfg| {
            cfg.install(x, a::Auth, |cfg| {
                cfg.bearer(|cfg| {
                    cfg.load(f);
                });
            });
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn struct_literal_argument_stays_an_expression() {
        let out = expand(r#"P { call(Point { x: 1 }, Q {}.build()) }"#);
        let expected = quote!(<P>::configure(|cfg| {
            cfg.call(Point { x: 1 }, Q {}.build());
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn invalid_plugin_argument_reports_the_plugin_block_error() {
        assert_eq!(
            expand("P { install(Auth { bearer { load: 1 } }) }"),
            "expected `=`: configuration entries are written `load = value`"
        );
    }

    #[test]
    fn keyed_argument_twice_is_an_error() {
        assert_eq!(
            expand("P { default_request(replace = true, replace = false) {} }"),
            "`replace` specified more than once"
        );
    }

    #[test]
    fn positional_argument_after_a_keyed_one_is_an_error() {
        assert_eq!(
            expand(r#"P { name(k = 1, "x") }"#),
            "positional arguments must come before `key = value` arguments"
        );
    }

    #[test]
    fn key_set_twice_inside_a_plugin_argument_is_an_error() {
        assert_eq!(
            expand("P { install(Q { level = 1  level = 2 }) }"),
            "`level` specified more than once"
        );
    }
}
