//! `http_client! { entries }`: exactly `install!(::oxtor::client::HttpClient { entries })`, with
//! the crate path resolved as the other macros resolve it. Parsing, validation and expansion are
//! `install!`'s.
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
    let krate = krate::oxtor();
    let path = syn::parse2(quote!(#krate::client::HttpClient))?;
    Ok(install::expand::configure(&path, &entries))
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
    fn entries_configure_the_http_client() {
        let out = expand("engine { max_conn_total = 10 }  install(DefaultRequest {})");
        let expected = quote!(<::oxtor::client::HttpClient>::configure(|cfg| {
            cfg.engine(|cfg| {
                cfg.max_conn_total(10);
            });
            cfg.install(DefaultRequest, |_| {});
        }));
        assert_eq!(out, expected.to_string());
    }

    #[test]
    fn no_entries_is_the_default_client() {
        let expected = quote!(<::oxtor::client::HttpClient>::configure(|_| {}));
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
