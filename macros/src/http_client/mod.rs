//! `http_client! { entries }`: `install!(HttpClient { entries })` with the client named through
//! `::oxtor::__private` as the other macros name the runtime, and `move` closures: a client keeps its
//! configuration blocks (`'static`) and reruns them, so they own what they capture. Blocks nested
//! inside those (`bearer { .. }` in `install(Auth { .. })`) run while their parent runs and borrow
//! from it. Parsing, validation and expansion are `install!`'s.
use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::Parser;

use crate::{
    install::{self, parse, validate},
    util::{errors::Errors, krate},
};

/// Expands `http_client! { input }`.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let entries = parse::parse_entries.parse2(input)?;
    let mut errors = Errors::new();
    validate::entries(&entries, &mut errors);
    errors.finish()?;
    let private = krate::private();
    let path = syn::parse2(quote!(#private::HttpClient))?;
    Ok(install::expand::configure(
        &path,
        &entries,
        install::expand::Capture::Move,
    ))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    fn expand(input: &str) -> String {
        let tokens = input.parse().expect("test input lexes");
        match super::expand(tokens) {
            Ok(out) => out.to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn entries_configure_the_http_client_with_move_closures() {
        let out = expand(
            "engine { max_conn_total = 10 }  install(DefaultRequest { url(&base) })  \
             default_request(replace = true) {}",
        );
        let expected = quote!(<::oxtor::__private::HttpClient>::configure(move |cfg| {
            cfg.engine(move |cfg| {
                cfg.max_conn_total(10);
            });
            cfg.install(DefaultRequest, move |cfg| {
                cfg.url(&base);
            });
            {
                #[allow(unused_mut)]
                let mut __oxtor_entry = cfg.default_request(|_| {});
                __oxtor_entry.replace(true);
            }
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn blocks_nested_in_stored_blocks_borrow_from_them() {
        let out = expand("install(Auth { bearer { load_tokens = f } })  engine { sub { k = 1 } }");
        let expected = quote!(<::oxtor::__private::HttpClient>::configure(move |cfg| {
            cfg.install(Auth, move |cfg| {
                cfg.bearer(|cfg| {
                    cfg.load_tokens(f);
                });
            });
            cfg.engine(move |cfg| {
                cfg.sub(|cfg| {
                    cfg.k(1);
                });
            });
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn no_entries_is_the_default_client() {
        let expected = quote!(<::oxtor::__private::HttpClient>::configure(|_| {}));
        assert_eq!(expand(""), expected.to_string());
    }

    #[test]
    fn key_set_twice_is_an_error() {
        assert_eq!(
            expand("engine { max_conn_total = 1  max_conn_total = 2 }"),
            "`max_conn_total` specified more than once"
        );
    }
}
