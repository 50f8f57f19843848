//! `#[route(GET, "/path/{id}")]`: parse the attribute ([`parse`]), check it and the handler
//! ([`validate`]), then keep the function and add its proxy struct and `Route` impl ([`expand`]).
//! On error the function, the error and a stub proxy are emitted ([`fallback`]), so
//! `routing! { handler }` adds no "cannot find" noise.
mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ItemFn;

use crate::util::errors::Errors;

/// Expands `#[route(attr)] item`.
pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    // Every error is reported: the attribute's, the item's, and what validating the part that
    // parsed found.
    let mut errors = Errors::new();
    let route =
        syn::parse2::<parse::RouteAttr>(attr).map(|attr| validate::route(attr, &mut errors));
    let item = parse_fn(item).map(|item| {
        let handler = validate::handler(&item, &mut errors);
        (item, handler)
    });
    match (route, item) {
        (Ok(route), Ok((item, handler))) => {
            errors.finish()?;
            Ok(expand::route(&item, &handler, &route))
        }
        (Err(mut error), item) => {
            if let Err(e) = item {
                error.combine(e);
            }
            if let Err(e) = errors.finish() {
                error.combine(e);
            }
            Err(error)
        }
        (Ok(_), Err(mut error)) => {
            if let Err(e) = errors.finish() {
                error.combine(e);
            }
            Err(error)
        }
    }
}

/// What `#[route]` emits when [`expand`] fails: the user's item unchanged, the error, and (for a
/// function) a stub proxy struct implementing `Route`.
pub(crate) fn fallback(item: TokenStream, error: syn::Error) -> TokenStream {
    let mut out = error.into_compile_error();
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(item) => {
            item.to_tokens(&mut out);
            // A method (`self` receiver) sits in an `impl` block, where no struct can go.
            if item.sig.receiver().is_none() {
                out.extend(expand::stub(&item));
            }
        }
        Err(_) => out.extend(item),
    }
    out
}

fn parse_fn(item: TokenStream) -> syn::Result<ItemFn> {
    syn::parse2::<ItemFn>(item.clone())
        .map_err(|_| syn::Error::new_spanned(item, "`#[route]` goes on an `async fn` handler"))
}
