//! `install!(Plugin { key = value  block { .. }  name("arg", key = v) { .. }  call(Other { .. }) })`:
//! parse the block tree ([`parse`]), reject keys set twice ([`validate`]), then desugar to the
//! plugin's builder calls ([`expand`]). The macro knows no plugin: every key is a method call that
//! rustc checks at the user's token. `http_client!` reuses all three.
pub(crate) mod expand;
pub(crate) mod parse;
pub(crate) mod validate;

use proc_macro2::TokenStream;

use crate::util::errors::Errors;

/// Expands `install!(input)`.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let plugin = syn::parse2::<parse::PluginBlock>(input)?;
    let mut errors = Errors::new();
    validate::entries(&plugin.entries, &mut errors);
    errors.finish()?;
    Ok(expand::plugin(&plugin))
}

/// What `install!` yields on error: only the errors (an expression of any type).
pub(crate) fn fallback(error: syn::Error) -> TokenStream {
    error.into_compile_error()
}
