//! `html_fragment! { .. }` and `html_page! { .. }`: maud's markup syntax, parsed here
//! (`ast`), checked (`validate`) and expanded (`generate`) to maud's runtime through
//! `::oxtor::__private::html`, so users need no maud dependency.
mod ast;
mod generate;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::util::{errors::Errors, krate};

/// Which value the macro builds.
#[derive(Clone, Copy)]
enum Kind {
    Fragment,
    Page,
}

/// Expands `html_fragment!`.
pub(crate) fn expand_fragment(input: TokenStream) -> syn::Result<TokenStream> {
    expand(input, Kind::Fragment)
}

/// Expands `html_page!`.
pub(crate) fn expand_page(input: TokenStream) -> syn::Result<TokenStream> {
    expand(input, Kind::Page)
}

fn expand(input: TokenStream, kind: Kind) -> syn::Result<TokenStream> {
    // maud's heuristic: the output tends to be about as long as the template's source.
    let size_hint = input.to_string().len();
    let ast::Markups(markups) = syn::parse2(input)?;
    let mut errors = Errors::new();
    validate::check(&markups, &mut errors);
    errors.finish()?;
    let private = krate::private();
    let generator = generate::Generator::new(private.clone());
    Ok(match kind {
        Kind::Fragment => generator.expand(
            "",
            &markups,
            size_hint,
            quote!(#private::html::HtmlFragment::pre_escaped),
        ),
        Kind::Page => generator.expand(
            "<!DOCTYPE html>",
            &markups,
            size_hint + 15,
            quote!(#private::html::HtmlPage::pre_escaped),
        ),
    })
}

/// After an error: the error, inside an expression of the right type, so code using the
/// fragment reports nothing more.
pub(crate) fn fallback_fragment(error: syn::Error) -> TokenStream {
    let private = krate::private();
    let error = error.into_compile_error();
    quote!({ #error; #private::html::HtmlFragment::empty() })
}

/// After an error in `html_page!`: the error, inside an `HtmlPage` expression.
pub(crate) fn fallback_page(error: syn::Error) -> TokenStream {
    let private = krate::private();
    let error = error.into_compile_error();
    quote!({ #error; #private::html::HtmlPage::pre_escaped(#private::html::String::new()) })
}
