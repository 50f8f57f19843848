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
