//! The path generated code uses to reach the runtime: `::oxtor`, or whatever name the user gave
//! the dependency. Inside `oxtor-runtime` (and the facade) `::oxtor` resolves through
//! `extern crate self as oxtor;`; in `oxtor-runtime`'s own integration tests it is
//! `::oxtor_runtime`, whose `__private` module is the same one the facade re-exports.
use proc_macro2::{Span, TokenStream};
use proc_macro_crate::{crate_name, FoundCrate};
use quote::quote;

/// `::oxtor` or the renamed dependency, e.g. `::web` for `web = { package = "oxtor" }`.
pub(crate) fn oxtor() -> TokenStream {
    let found = crate_name("oxtor").or_else(|_| crate_name("oxtor-runtime"));
    match found {
        Ok(FoundCrate::Name(name)) => {
            let ident = syn::Ident::new(&name, Span::call_site());
            quote!(::#ident)
        }
        // The facade or the runtime compiling itself: both declare `extern crate self as oxtor`.
        Ok(FoundCrate::Itself) | Err(_) => quote!(::oxtor),
    }
}

/// `<oxtor>::__private`, the only module generated code names.
pub(crate) fn private() -> TokenStream {
    let krate = oxtor();
    quote!(#krate::__private)
}
