//! The syntax of `install!`: a plugin path and a braced list of entries, each `key = value`,
//! `name { .. }`, `name(args) { .. }` or `name(args)`. Entries may be separated by whitespace,
//! `,` or `;`. Arguments are expressions, then `key = value` pairs; an argument written
//! `Plugin { entries }` is a nested plugin block.
use proc_macro2::Span;
use syn::{
    braced, parenthesized,
    parse::{discouraged::Speculative, Parse, ParseStream},
    spanned::Spanned,
    token, Expr, Ident, Path, Token,
};

use crate::util::args::{self, Positional};

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
        args: Args,
        body: Vec<Entry>,
    },
    /// `name(args)` → `cfg.name(args);`
    Call { name: Ident, args: Args },
}

/// The parenthesised arguments of a block or call: positional ones, then `key = value` ones.
pub(crate) type Args = args::Args<Arg>;

/// A positional argument.
pub(crate) enum Arg {
    /// Any expression.
    Expr(Expr),
    /// `Plugin { entries }` → the two arguments `Plugin, |cfg| { entries }`.
    Plugin(PluginBlock),
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
    parse_entries(&content)
}

/// `entries` up to the end of `input` (the inside of a block, or all of `http_client!`).
pub(crate) fn parse_entries(input: ParseStream<'_>) -> syn::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    while !input.is_empty() {
        entries.push(input.parse()?);
        while input.peek(Token![,]) || input.peek(Token![;]) {
            if input.parse::<Option<Token![,]>>()?.is_none() {
                input.parse::<Token![;]>()?;
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
                args: Args::default(),
                body,
            })
        } else if lookahead.peek(token::Paren) {
            let content;
            parenthesized!(content in input);
            let args = content.parse()?;
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

impl Positional for Arg {
    fn parse_positional(input: ParseStream<'_>) -> syn::Result<Self> {
        parse_arg(input)
    }

    fn arg_span(&self) -> Span {
        match self {
            Arg::Expr(expr) => expr.span(),
            Arg::Plugin(plugin) => plugin.path.span(),
        }
    }
}

/// One positional argument. `Path { .. }` followed by `,` or the end is a plugin block when its
/// body parses as entries; otherwise (a struct literal such as `Point { x: 1 }`) an expression.
/// If neither parses, the plugin block's error is the more helpful one.
fn parse_arg(input: ParseStream<'_>) -> syn::Result<Arg> {
    let plugin = input.fork();
    let plugin_error = match parse_plugin_arg(&plugin) {
        Ok(Some(block)) => {
            input.advance_to(&plugin);
            return Ok(Arg::Plugin(block));
        }
        Ok(None) => None,
        Err(e) => Some(e),
    };
    let expr = input.fork();
    match (expr.parse::<Expr>(), plugin_error) {
        (Ok(value), _) => {
            input.advance_to(&expr);
            Ok(Arg::Expr(value))
        }
        (Err(_), Some(e)) | (Err(e), None) => Err(e),
    }
}

/// `Ok(None)` when `input` does not start with `Path {`.
fn parse_plugin_arg(input: ParseStream<'_>) -> syn::Result<Option<PluginBlock>> {
    if !(input.peek(Ident) || input.peek(Token![::])) {
        return Ok(None);
    }
    let Ok(path) = input.parse::<Path>() else {
        return Ok(None);
    };
    if !input.peek(token::Brace) {
        return Ok(None);
    }
    let entries = parse_body(input)?;
    if !(input.is_empty() || input.peek(Token![,])) {
        return Err(input.error("expected `,` or `)` after the plugin's configuration"));
    }
    Ok(Some(PluginBlock { path, entries }))
}
