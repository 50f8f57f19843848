//! Code generation for `routing!`: one `let` per item, rebinding routes built from
//! `__private::Routes::new()`; a block is a method call on `__private::Blocks`.
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{spanned::Spanned, Ident};

use super::parse::{Block, Item, Routing};
use crate::util::krate;

/// `{ let r = Routes::new(); let r = ..; r }`.
pub(crate) fn routing(routing: &Routing) -> TokenStream {
    let private = krate::private();
    router(&private, &routing.items)
}

fn router(private: &TokenStream, items: &[Item]) -> TokenStream {
    let r = Ident::new("__oxtor_router", Span::mixed_site());
    let steps = items.iter().map(|item| match item {
        Item::Route(path) => quote_spanned!(path.span()=>
            let #r = #private::mount(#r, #path {});
        ),
        Item::Nest { kw, prefix, items } => {
            let nested = router(private, items);
            let nest = quote_spanned!(kw.span()=> nest);
            quote!(let #r = #r.#nest(#prefix, #nested);)
        }
        Item::Block(block) => {
            let wrapped = self::block(private, block);
            quote!(let #r = #r.merge(#wrapped);)
        }
    });
    quote!({
        let #r = #private::Routes::new();
        #(#steps)*
        #r
    })
}

/// `{ let mut b = Blocks.name(args); b.key(value); RoutingBlock::wrap(b, nested) }`: the block
/// name is a method rustc resolves (inherent `layer`, or a plugin's extension trait in scope at
/// the user's token). Several positional arguments go as one tuple (Rust has no variadics).
fn block(private: &TokenStream, block: &Block) -> TokenStream {
    let b = Ident::new("__oxtor_block", Span::mixed_site());
    let Block { name, args, items } = block;
    let mutability = (!args.keyed.is_empty()).then(|| quote!(mut));
    // The whole call `Blocks.name(..)` at the block's name, so that rustc's "no method named .."
    // points there only (not at the whole macro call).
    let receiver: TokenStream = quote!(#private::Blocks)
        .into_iter()
        .map(|mut token| {
            token.set_span(name.span());
            token
        })
        .collect();
    let setters = args
        .keyed
        .iter()
        .map(|(key, value)| quote_spanned!(key.span()=> #b.#key(#value);));
    let args = match args.positional.as_slice() {
        // Ktor's `authenticate { }` names no provider: its `configurations` default to the
        // unnamed one. Rust has no default arguments, so the block gets `None` spelt out.
        [] if name == "authenticate" => quote!(::core::option::Option::None::<&str>),
        [] => quote!(),
        [one] => quote!(#one),
        several => quote!((#(#several),*)),
    };
    let call = quote_spanned!(name.span()=> #receiver.#name(#args));
    let nested = router(private, items);
    let wrap = quote_spanned!(name.span()=> #private::RoutingBlock::wrap);
    quote!({
        let #mutability #b = #call;
        #(#setters)*
        #wrap(#b, #nested)
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
    fn block_desugars_to_method_setters_and_wrap() {
        let out = expand(r#"a, authenticate("api", optional = true) { b }"#);
        let p = quote!(::oxtor::__private);
        let r = quote!(__oxtor_router);
        let expected = quote!({
            let #r = #p::Routes::new();
            let #r = #p::mount(#r, a {});
            let #r = #r.merge({
                let mut __oxtor_block = #p::Blocks.authenticate("api");
                __oxtor_block.optional(true);
                #p::RoutingBlock::wrap(__oxtor_block, {
                    let #r = #p::Routes::new();
                    let #r = #p::mount(#r, b {});
                    #r
                })
            });
            #r
        });
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn block_without_arguments_calls_the_method_without_arguments() {
        let out = expand(r#"lifecycle { b }"#);
        assert!(out.contains(":: Blocks . lifecycle () ;"), "{out}");
    }

    #[test]
    fn authenticate_without_names_names_the_default_provider() {
        for input in ["authenticate { b }", "authenticate() { b }"] {
            let out = expand(input);
            assert!(
                out.contains(
                    ":: Blocks . authenticate (:: core :: option :: Option :: None :: < & str >) ;"
                ),
                "{out}"
            );
        }
    }

    #[test]
    fn several_positional_arguments_are_one_tuple() {
        let out = expand(r#"authenticate("key", "session") { b }"#);
        assert!(
            out.contains(r#":: Blocks . authenticate (("key" , "session")) ;"#),
            "{out}"
        );
    }

    #[test]
    fn route_group_nests() {
        let out = expand(r#"route("/api") { h::b }"#);
        assert!(out.contains(r#". nest ("/api" , {"#), "{out}");
        assert!(out.contains("mount (__oxtor_router , h :: b { })"), "{out}");
    }

    #[test]
    fn positional_argument_after_a_key_is_an_error() {
        assert_eq!(
            expand(r#"authenticate(optional = true, "api") { b }"#),
            "positional arguments must come before `key = value` arguments"
        );
    }
}
