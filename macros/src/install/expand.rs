//! Code generation for `install!`: `<Plugin>::configure(|cfg| { cfg.key(value); .. })`, each
//! method name spanned at the user's key so rustc reports a misspelt key there.
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{spanned::Spanned, Ident};

use super::parse::{Entry, PluginBlock};

/// The whole desugaring.
pub(crate) fn plugin(plugin: &PluginBlock) -> TokenStream {
    let path = &plugin.path;
    let configure = quote_spanned!(path.span()=> configure);
    let closure = closure(&plugin.entries);
    quote!(<#path>::#configure(#closure))
}

/// `|cfg| { entries }`, or `|_| {}` when there are none (so no unused-variable lint).
fn closure(entries: &[Entry]) -> TokenStream {
    if entries.is_empty() {
        return quote!(|_| {});
    }
    let cfg = Ident::new("cfg", Span::mixed_site());
    let calls = entries.iter().map(|entry| match entry {
        Entry::Assign { key, value } => quote_spanned!(key.span()=> #cfg.#key(#value);),
        Entry::Call { name, args } => quote_spanned!(name.span()=> #cfg.#name(#args);),
        Entry::Block { name, args, body } => {
            let nested = closure(body);
            let args = args.iter();
            quote_spanned!(name.span()=> #cfg.#name(#(#args,)* #nested);)
        }
    });
    quote!(|#cfg| { #(#calls)* })
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
}
