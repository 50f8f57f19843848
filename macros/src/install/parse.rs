//! The syntax of `install!`: a plugin path and a braced list of entries, each `key = value`,
//! `name { .. }`, `name(args) { .. }` or `name(args)`. Entries may be separated by whitespace,
//! `,` or `;`.
use syn::{
    braced, parenthesized,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
    token, Expr, Ident, Path, Token,
};

/// `Plugin { entries }`.
pub(crate) struct PluginBlock {
    pub(crate) path: Path,
    pub(crate) entries: Vec<Entry>,
}

/// One configuration entry.
pub(crate) enum Entry {
    /// `key = value` → `cfg.key(value);`
    Assign { key: Ident, value: Expr },
    /// `name { .. }` → `cfg.name(|cfg| { .. });`, `name(args) { .. }` →
    /// `cfg.name(args, |cfg| { .. });`
    Block {
        name: Ident,
        args: Punctuated<Expr, Token![,]>,
        body: Vec<Entry>,
    },
    /// `name(args)` → `cfg.name(args);`
    Call {
        name: Ident,
        args: Punctuated<Expr, Token![,]>,
    },
}

impl Parse for PluginBlock {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "expected a plugin and its configuration: `install!(Plugin { key = value })`",
            ));
        }
        let path: Path = input.parse()?;
        if !input.peek(token::Brace) {
            let message = "expected `{ .. }` with the plugin's configuration, e.g. \
                           `install!(Plugin { key = value })`; use `{}` for the defaults";
            return Err(if input.is_empty() {
                syn::Error::new_spanned(&path, message)
            } else {
                input.error(message)
            });
        }
        let entries = parse_body(input)?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the plugin's configuration"));
        }
        Ok(Self { path, entries })
    }
}

/// `{ entries }`.
fn parse_body(input: ParseStream<'_>) -> syn::Result<Vec<Entry>> {
    let content;
    braced!(content in input);
    let mut entries = Vec::new();
    while !content.is_empty() {
        entries.push(content.parse()?);
        while content.peek(Token![,]) || content.peek(Token![;]) {
            if content.parse::<Option<Token![,]>>()?.is_none() {
                content.parse::<Token![;]>()?;
            }
        }
    }
    Ok(entries)
}

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if !input.peek(Ident) {
            return Err(input.error(
                "expected a configuration entry: `key = value`, `block { .. }` or `name(args)`",
            ));
        }
        let name: Ident = input.parse()?;
        if input.peek(Token![:]) && !input.peek(Token![::]) {
            return Err(input.error(format!(
                "expected `=`: configuration entries are written `{name} = value`"
            )));
        }
        let lookahead = input.lookahead1();
        if lookahead.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value = input.parse()?;
            Ok(Entry::Assign { key: name, value })
        } else if lookahead.peek(token::Brace) {
            let body = parse_body(input)?;
            Ok(Entry::Block {
                name,
                args: Punctuated::new(),
                body,
            })
        } else if lookahead.peek(token::Paren) {
            let content;
            parenthesized!(content in input);
            let args = Punctuated::parse_terminated(&content)?;
            if input.peek(token::Brace) {
                let body = parse_body(input)?;
                Ok(Entry::Block { name, args, body })
            } else {
                Ok(Entry::Call { name, args })
            }
        } else {
            Err(lookahead.error())
        }
    }
}
