//! The syntax of `routing!`: a comma-separated list of route names (paths such as
//! `handlers::books`), `route("/prefix") { .. }` groups and `name(args, key = value) { .. }` blocks.
use proc_macro2::Span;
use syn::{
    braced,
    ext::IdentExt,
    parenthesized,
    parse::{Parse, ParseStream},
    token, Expr, Ident, LitStr, Path, Token,
};

use crate::util::args::Args;

/// The whole input of `routing!`.
pub(crate) struct Routing {
    pub(crate) items: Vec<Item>,
}

/// One entry of a route list.
pub(crate) enum Item {
    /// `books` or `handlers::books`: a function annotated with `#[route]`.
    Route(Path),
    /// `route("/api") { .. }`: routes nested under a prefix.
    Nest {
        /// The `route` keyword.
        kw: Ident,
        prefix: LitStr,
        items: Vec<Item>,
    },
    /// `name(args, key = value) { .. }`: a block, a method of `__private::Blocks`.
    Block(Block),
}

/// `name(args, key = value) { routes }`.
pub(crate) struct Block {
    pub(crate) name: Ident,
    /// Empty when the block has no parentheses.
    pub(crate) args: Args<Expr>,
    pub(crate) items: Vec<Item>,
}

const EXPECTED_ITEM: &str =
    "expected a route name, `route(\"/prefix\") { .. }` or a block like `layer(..) { .. }`";

impl Parse for Routing {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(Self {
            items: parse_items(input)?,
        })
    }
}

/// Items separated by commas; the comma after a `{ .. }` block is optional.
fn parse_items(input: ParseStream<'_>) -> syn::Result<Vec<Item>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let item = input.parse::<Item>()?;
        let braced = !matches!(item, Item::Route(_));
        items.push(item);
        if input.is_empty() {
            break;
        }
        if input.parse::<Option<Token![,]>>()?.is_none() && !braced {
            return Err(input.error("expected `,` between routes"));
        }
    }
    Ok(items)
}

impl Parse for Item {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let is_block =
            input.peek(Ident) && (input.peek2(token::Paren) || input.peek2(token::Brace));
        if is_block {
            let name: Ident = input.parse()?;
            if name == "route" {
                return parse_nest(name, input);
            }
            return parse_block(name, input).map(Item::Block);
        }
        if input.peek(Ident::peek_any) || input.peek(Token![::]) {
            return input.call(Path::parse_mod_style).map(Item::Route);
        }
        Err(input.error(EXPECTED_ITEM))
    }
}

fn parse_nest(kw: Ident, input: ParseStream<'_>) -> syn::Result<Item> {
    let usage = "expected a path prefix: `route(\"/api\") { .. }`";
    if !input.peek(token::Paren) {
        return Err(syn::Error::new(kw.span(), usage));
    }
    let content;
    let parens = parenthesized!(content in input);
    if !content.peek(LitStr) {
        return Err(content.error(usage));
    }
    let prefix: LitStr = content.parse()?;
    content.parse::<Option<Token![,]>>()?;
    if !content.is_empty() {
        return Err(content.error("`route(..)` takes only the path prefix"));
    }
    let items = parse_body(input, parens.span.close())?;
    Ok(Item::Nest { kw, prefix, items })
}

fn parse_block(name: Ident, input: ParseStream<'_>) -> syn::Result<Block> {
    let mut args = Args::default();
    let mut after = name.span();
    if input.peek(token::Paren) {
        let content;
        let parens = parenthesized!(content in input);
        after = parens.span.close();
        args = content.parse()?;
    }
    let items = parse_body(input, after)?;
    Ok(Block { name, args, items })
}

/// `{ items }` after a group's head; `after` is where to point if the braces are missing.
fn parse_body(input: ParseStream<'_>, after: Span) -> syn::Result<Vec<Item>> {
    if !input.peek(token::Brace) {
        return Err(syn::Error::new(
            after,
            "expected `{ .. }` with the routes of this block after it; a route is named without parentheses",
        ));
    }
    let content;
    braced!(content in input);
    parse_items(&content)
}
