//! `resources!("folder")`: embeds a folder (relative to the invoking crate's
//! `CARGO_MANIFEST_DIR`) as an `oxtor::resources::Resources` set. `parse` reads the argument,
//! `collect` walks the folder and precompresses each file, `expand` writes the constant.
mod collect;
mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Expands `resources!`.
pub(crate) fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let args: parse::Args = syn::parse2(input)?;
    let folder = collect::folder(&args)?;
    Ok(expand::expand(&folder))
}

/// After an error: the error inside an empty set, so `static RES: Resources = ..` still has a
/// value of its type.
pub(crate) fn fallback(error: syn::Error) -> TokenStream {
    let private = crate::util::krate::private();
    let error = error.into_compile_error();
    quote::quote!({ #error; #private::resources::Resources::__new("", &[]) })
}
