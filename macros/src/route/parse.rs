//! The attribute's syntax: `METHOD (| METHOD)*, "path"`, kept as tokens for later errors.
use syn::{
    parse::{Parse, ParseStream},
    Ident, LitStr, Token,
};

/// `#[route(GET | HEAD, "/books/{id}")]`.
pub(crate) struct RouteAttr {
    /// The method idents as written, unchecked.
    pub(crate) methods: Vec<Ident>,
    /// The path template literal.
    pub(crate) path: LitStr,
}

const USAGE: &str = "expected a method and a path: `#[route(GET, \"/path\")]`";

impl Parse for RouteAttr {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(USAGE));
        }
        let mut methods = Vec::new();
        loop {
            if input.peek(LitStr) && methods.is_empty() {
                return Err(input
                    .error("expected a method before the path, e.g. `#[route(GET, \"/path\")]`"));
            }
            if !input.peek(Ident) {
                return Err(input.error("expected a method such as `GET`"));
            }
            methods.push(input.parse()?);
            if input.parse::<Option<Token![|]>>()?.is_none() {
                break;
            }
        }
        if input.is_empty() {
            let last = methods.last().map_or_else(|| input.span(), Ident::span);
            return Err(syn::Error::new(
                last,
                "expected `,` and the path after the method, e.g. `#[route(GET, \"/path\")]`",
            ));
        }
        if !input.peek(Token![,]) {
            return Err(input.error("expected `|` and another method, or `,` and the path"));
        }
        input.parse::<Token![,]>()?;
        if !input.peek(LitStr) {
            return Err(input.error("expected the path as a string literal, e.g. \"/books/{id}\""));
        }
        let path = input.parse()?;
        input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the path"));
        }
        Ok(Self { methods, path })
    }
}
