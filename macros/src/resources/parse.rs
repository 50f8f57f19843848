//! The argument of `resources!`: one string literal, the folder.
use syn::{
    parse::{Parse, ParseStream},
    LitStr, Token,
};

/// `"folder"` (a trailing comma is allowed).
pub(crate) struct Args {
    pub(crate) folder: LitStr,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                proc_macro2::Span::call_site(),
                "expected the folder to embed, relative to the crate's `Cargo.toml`: `resources!(\"resources\")`",
            ));
        }
        let folder: LitStr = input.parse()?;
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected argument: `resources!` takes one folder"));
        }
        Ok(Self { folder })
    }
}
