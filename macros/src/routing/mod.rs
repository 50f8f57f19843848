//! `routing! { a, route("/api") { b }, layer(l) { c } }`: parse the route tree ([`parse`]), check
//! the `route(..)` prefixes and block arguments ([`validate`]), then build the `Routes`
//! ([`expand`]). On error the macro still yields empty `Routes`, so the surrounding code
//! type-checks and only the macro's errors are reported.
mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::util::{errors::Errors, krate};

/// Expands `routing! { input }`.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let routing = syn::parse2::<parse::Routing>(input)?;
    let mut errors = Errors::new();
    validate::items(&routing.items, &mut errors);
    errors.finish()?;
    Ok(expand::routing(&routing))
}

/// What `routing!` yields on error: the errors, then empty routes.
pub(crate) fn fallback(error: syn::Error) -> TokenStream {
    let private = krate::private();
    let error = error.into_compile_error();
    quote!({ #error #private::Routes::new() })
}
