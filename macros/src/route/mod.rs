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
    let mut errors = Errors::new();
    let attr = syn::parse2::<parse::RouteAttr>(attr)
        .map_err(|e| errors.push(e))
        .ok();
    let item = parse_fn(item)?;
    let route = attr.map(|attr| validate::route(attr, &mut errors));
    let handler = validate::handler(&item, &mut errors);
    errors.finish()?;
    match route {
        Some(route) => Ok(expand::route(&item, &handler, &route)),
        // An attribute that failed to parse has already recorded its error.
        None => Err(syn::Error::new(
            proc_macro2::Span::call_site(),
            "invalid `#[route]`",
        )),
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
