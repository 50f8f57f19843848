//! maud's markup syntax parsed into a small AST that keeps its spans. Parsing is purely
//! syntactic; rules such as "a void element has no body" live in `validate`.
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{
    ext::IdentExt,
    parse::{Parse, ParseStream},
    token, Expr, Ident, Lit, LitStr, Token,
};

/// The whole input: markup items, one after another.
pub(crate) struct Markups(pub(crate) Vec<Markup>);

/// One markup item.
pub(crate) enum Markup {
    /// A literal, rendered as escaped text: `"Hello"`, `42`.
    Text(Text),
    /// `(expr)`: a value rendered through `Render` or `Display`, escaped.
    Splice(Expr),
    /// `{ markup }`: a group.
    Block(Block),
    /// `div.class#id attr="v" { .. }` or `br;`.
    Element(Element),
    /// `@let pattern = expr;`: a binding for the markup after it.
    Let(TokenStream),
    /// `@if cond { .. } @else if cond { .. } @else { .. }` (with `if let` too).
    If(If),
    /// `@for pattern in expr { .. }`, `@while cond { .. }`: `keyword` is `for` or `while`.
    Loop {
        keyword: Ident,
        head: TokenStream,
        body: Block,
    },
    /// `@match expr { pattern => markup, .. }`.
    Match {
        keyword: Ident,
        head: TokenStream,
        arms: Vec<MatchArm>,
    },
}

/// A literal's text, not yet escaped.
pub(crate) struct Text {
    pub(crate) value: String,
}

/// A braced group of markup.
pub(crate) struct Block {
    pub(crate) markups: Vec<Markup>,
    pub(crate) span: Span,
}

/// An element.
pub(crate) struct Element {
    pub(crate) name: Name,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) body: ElementBody,
}

/// What follows an element's attributes.
pub(crate) enum ElementBody {
    /// `;`: a void element (`br;`).
    Void(Span),
    /// `{ .. }`: the element's content.
    Block(Block),
}

/// An element or attribute name (`div`, `hx-get`, `hx-on::after-request`, `@click`, `:class`,
/// or any string literal `"@click.prevent"`).
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// An attribute-position item of an element.
pub(crate) enum Attr {
    /// `.name`, `."name"`, `.(expr)`, each optionally toggled: `.active[cond]`.
    Class {
        name: ClassOrId,
        toggle: Option<Expr>,
    },
    /// `#name`, `#"name"`, `#(expr)`.
    Id { name: ClassOrId, span: Span },
    /// `name`, `name="v"`, `name=(expr)`, `name={ markup }`, `name=[option]`, `name[cond]`.
    Named { name: Name, value: AttrValue },
}

/// The name of a class or id.
pub(crate) enum ClassOrId {
    /// Written out.
    Static(Name),
    /// `(expr)`.
    Splice(Expr),
}

/// An attribute's value.
pub(crate) enum AttrValue {
    /// `checked`: an empty attribute.
    Empty,
    /// `checked[cond]`: an empty attribute present when `cond` is true.
    Toggle(Expr),
    /// `href=[option]`: present with the value when the `Option` is `Some`.
    Optional(Expr),
    /// `href="v"`, `href=(expr)`, `href={ "/books/" (id) }`.
    Markup(Box<Markup>),
}

/// `@if` with its `@else if` / `@else` chain.
pub(crate) struct If {
    pub(crate) keyword: Ident,
    pub(crate) head: TokenStream,
    pub(crate) then: Block,
    pub(crate) otherwise: Option<Else>,
}

/// What follows `@else`.
pub(crate) enum Else {
    /// `@else if ..`.
    If(Box<If>),
    /// `@else { .. }`.
    Block(Block),
}

/// One arm of `@match`: the pattern (and guard) as written, and its markup.
pub(crate) struct MatchArm {
    pub(crate) pattern: TokenStream,
    pub(crate) body: Block,
}

/// Control keywords, which need `@` in markup.
const CONTROL: &[&str] = &["if", "else", "for", "while", "match", "let"];

impl Parse for Markups {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut markups = Vec::new();
        while !input.is_empty() {
            markups.push(input.parse()?);
        }
        Ok(Self(markups))
    }
}

impl Parse for Block {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let content;
        let brace = syn::braced!(content in input);
        let Markups(markups) = content.parse()?;
        Ok(Self {
            markups,
            span: brace.span.join(),
        })
    }
}

impl Parse for Markup {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let lookahead = input.lookahead1();
        if lookahead.peek(Lit) {
            Ok(Self::Text(parse_text(input)?))
        } else if lookahead.peek(token::Paren) {
            Ok(Self::Splice(parse_splice(input)?))
        } else if lookahead.peek(token::Brace) {
            Ok(Self::Block(input.parse()?))
        } else if lookahead.peek(Token![@]) {
            parse_control(input)
        } else if lookahead.peek(Ident::peek_any) {
            Ok(Self::Element(input.parse()?))
        } else if input.peek(Token![.]) || input.peek(Token![#]) {
            Err(input.error("expected an element name before its class or id, e.g. `div.books`"))
        } else if input.peek(Token![;]) {
            Err(input.error("unexpected `;`: only a void element (`br;`) ends with `;`"))
        } else {
            Err(lookahead.error())
        }
    }
}

/// A literal as text: strings as written, numbers, characters and booleans as Rust prints them.
fn parse_text(input: ParseStream<'_>) -> syn::Result<Text> {
    let lit: Lit = input.parse()?;
    let span = lit.span();
    let value = match &lit {
        Lit::Str(s) => s.value(),
        Lit::Char(c) => c.value().to_string(),
        Lit::Int(i) if i.suffix().is_empty() => i.base10_digits().to_owned(),
        Lit::Float(f) if f.suffix().is_empty() => f.base10_digits().to_owned(),
        Lit::Bool(b) => b.value.to_string(),
        _ => {
            return Err(syn::Error::new(
                span,
                "expected a string, number, character or boolean literal; splice other values with `(value)`",
            ))
        }
    };
    Ok(Text { value })
}

/// `(expr)`.
fn parse_splice(input: ParseStream<'_>) -> syn::Result<Expr> {
    let content;
    let paren = syn::parenthesized!(content in input);
    if content.is_empty() {
        return Err(syn::Error::new(
            paren.span.join(),
            "expected an expression inside `( )`",
        ));
    }
    content.parse()
}

/// `@if`, `@for`, `@while`, `@match`, `@let`.
fn parse_control(input: ParseStream<'_>) -> syn::Result<Markup> {
    let at: Token![@] = input.parse()?;
    if !input.peek(Ident::peek_any) {
        return Err(syn::Error::new(
            at.span,
            "expected `if`, `for`, `while`, `match` or `let` after `@`",
        ));
    }
    let keyword = Ident::parse_any(input)?;
    match keyword.to_string().as_str() {
        "if" => Ok(Markup::If(parse_if(keyword, input)?)),
        "for" | "while" => {
            let head = tokens_until_brace(input, &keyword)?;
            let body = input.parse()?;
            Ok(Markup::Loop {
                keyword,
                head,
                body,
            })
        }
        "match" => {
            let head = tokens_until_brace(input, &keyword)?;
            let content;
            syn::braced!(content in input);
            let mut arms = Vec::new();
            while !content.is_empty() {
                arms.push(parse_arm(&content)?);
            }
            Ok(Markup::Match {
                keyword,
                head,
                arms,
            })
        }
        "let" => {
            let mut tokens = keyword.to_token_stream();
            while !input.peek(Token![;]) {
                if input.is_empty() {
                    return Err(syn::Error::new(
                        keyword.span(),
                        "expected `;` to end this `@let`",
                    ));
                }
                tokens.extend([input.parse::<TokenTree>()?]);
            }
            let semi: Token![;] = input.parse()?;
            semi.to_tokens(&mut tokens);
            Ok(Markup::Let(tokens))
        }
        "else" => Err(syn::Error::new(
            keyword.span(),
            "`@else` without a preceding `@if`",
        )),
        other => Err(syn::Error::new(
            keyword.span(),
            format!("unknown control keyword `@{other}`; expected `@if`, `@for`, `@while`, `@match` or `@let`"),
        )),
    }
}

fn parse_if(keyword: Ident, input: ParseStream<'_>) -> syn::Result<If> {
    let head = tokens_until_brace(input, &keyword)?;
    let then = input.parse()?;
    let otherwise = if input.peek(Token![@]) && input.peek2(Token![else]) {
        input.parse::<Token![@]>()?;
        let else_kw: Token![else] = input.parse()?;
        if input.peek(Token![if]) {
            let if_kw = Ident::parse_any(input)?;
            Some(Else::If(Box::new(parse_if(if_kw, input)?)))
        } else if input.peek(token::Brace) {
            Some(Else::Block(input.parse()?))
        } else {
            return Err(syn::Error::new(
                else_kw.span,
                "expected `{` or `if` after `@else`",
            ));
        }
    } else {
        None
    };
    Ok(If {
        keyword,
        head,
        then,
        otherwise,
    })
}

/// The tokens of a control head (`cond`, `pat in expr`), up to its `{ .. }` body.
fn tokens_until_brace(input: ParseStream<'_>, keyword: &Ident) -> syn::Result<TokenStream> {
    let mut head = TokenStream::new();
    while !input.peek(token::Brace) {
        if input.is_empty() {
            return Err(syn::Error::new(
                keyword.span(),
                format!("expected a `{{ .. }}` body after `@{keyword}`"),
            ));
        }
        head.extend([input.parse::<TokenTree>()?]);
    }
    if head.is_empty() {
        return Err(syn::Error::new(
            keyword.span(),
            format!("expected an expression after `@{keyword}`"),
        ));
    }
    Ok(head)
}

/// `pattern => markup,` or `pattern => { markup }`.
fn parse_arm(input: ParseStream<'_>) -> syn::Result<MatchArm> {
    let start = input.span();
    let mut pattern = TokenStream::new();
    while !input.peek(Token![=>]) {
        if input.is_empty() {
            return Err(syn::Error::new(start, "expected `=>` after this pattern"));
        }
        pattern.extend([input.parse::<TokenTree>()?]);
    }
    input.parse::<Token![=>]>()?;
    let body = if input.peek(token::Brace) {
        input.parse()?
    } else {
        let span = input.span();
        Block {
            markups: vec![input.parse()?],
            span,
        }
    };
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    }
    Ok(MatchArm { pattern, body })
}

impl Parse for Element {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = parse_name(input, false)?;
        if CONTROL.contains(&name.text.as_str()) {
            return Err(syn::Error::new(
                name.span,
                format!("`{0}` needs `@` here: write `@{0}`", name.text),
            ));
        }
        let mut attrs = Vec::new();
        loop {
            if input.peek(Token![;]) {
                let semi: Token![;] = input.parse()?;
                return Ok(Self {
                    name,
                    attrs,
                    body: ElementBody::Void(semi.span),
                });
            }
            if input.peek(token::Brace) {
                return Ok(Self {
                    name,
                    attrs,
                    body: ElementBody::Block(input.parse()?),
                });
            }
            if input.peek(Token![.]) {
                let dot: Token![.] = input.parse()?;
                let class = parse_class_or_id(input, dot.span)?;
                let toggle = if input.peek(token::Bracket) {
                    Some(parse_bracketed(input)?)
                } else {
                    None
                };
                attrs.push(Attr::Class {
                    name: class,
                    toggle,
                });
            } else if input.peek(Token![#]) {
                let hash: Token![#] = input.parse()?;
                attrs.push(Attr::Id {
                    name: parse_class_or_id(input, hash.span)?,
                    span: hash.span,
                });
            } else if starts_attr_name(input) {
                attrs.push(parse_named_attr(input)?);
            } else if input.is_empty() {
                return Err(syn::Error::new(
                    name.span,
                    format!("expected `{{ .. }}` or `;` after element `{}`", name.text),
                ));
            } else {
                return Err(input.error(format!(
                    "expected an attribute, `.class`, `#id`, `{{ .. }}` or `;` in element `{}`",
                    name.text
                )));
            }
        }
    }
}

fn starts_attr_name(input: ParseStream<'_>) -> bool {
    input.peek(Ident::peek_any)
        || input.peek(LitStr)
        || (input.peek(Token![@]) && input.peek2(Ident::peek_any))
        || (input.peek(Token![:]) && !input.peek(Token![::]))
}

fn parse_named_attr(input: ParseStream<'_>) -> syn::Result<Attr> {
    let name = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        Name {
            text: lit.value(),
            span: lit.span(),
        }
    } else {
        parse_name(input, true)?
    };
    let value = if input.peek(Token![=]) {
        let eq: Token![=] = input.parse()?;
        if input.peek(token::Bracket) {
            AttrValue::Optional(parse_bracketed(input)?)
        } else if input.peek(Lit) {
            AttrValue::Markup(Box::new(Markup::Text(parse_text(input)?)))
        } else if input.peek(token::Paren) {
            AttrValue::Markup(Box::new(Markup::Splice(parse_splice(input)?)))
        } else if input.peek(token::Brace) {
            AttrValue::Markup(Box::new(Markup::Block(input.parse()?)))
        } else {
            return Err(syn::Error::new(
                eq.span,
                format!(
                    "expected a value after `{}=`: a literal, `(expr)`, `{{ markup }}` or `[option]`",
                    name.text
                ),
            ));
        }
    } else if input.peek(token::Bracket) {
        AttrValue::Toggle(parse_bracketed(input)?)
    } else {
        AttrValue::Empty
    };
    Ok(Attr::Named { name, value })
}

/// `[expr]`.
fn parse_bracketed(input: ParseStream<'_>) -> syn::Result<Expr> {
    let content;
    let bracket = syn::bracketed!(content in input);
    if content.is_empty() {
        return Err(syn::Error::new(
            bracket.span.join(),
            "expected an expression inside `[ ]`",
        ));
    }
    content.parse()
}

/// The name after `.` or `#`.
fn parse_class_or_id(input: ParseStream<'_>, after: Span) -> syn::Result<ClassOrId> {
    if input.peek(token::Paren) {
        Ok(ClassOrId::Splice(parse_splice(input)?))
    } else if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        Ok(ClassOrId::Static(Name {
            text: lit.value(),
            span: lit.span(),
        }))
    } else if input.peek(Ident::peek_any) || input.peek(Lit) {
        Ok(ClassOrId::Static(parse_name(input, false)?))
    } else {
        Err(syn::Error::new(
            after,
            "expected a name, a string literal or `(expr)` after this",
        ))
    }
}

/// A name: an identifier (keywords too) or number, then more joined by `-` or `:`
/// (`hx-on::after-request`). An attribute name may also start with `@` or `:` (Alpine's
/// `@click`, `:class`).
fn parse_name(input: ParseStream<'_>, attribute: bool) -> syn::Result<Name> {
    let mut text = String::new();
    let span = input.span();
    if attribute {
        while input.peek(Token![@]) || input.peek(Token![:]) {
            text.push(punct_char(input)?);
        }
    }
    parse_name_part(input, &mut text)?;
    loop {
        let joined = input.peek(Token![-]) || (input.peek(Token![:]) && name_continues(input));
        if !joined {
            break;
        }
        while input.peek(Token![-]) || input.peek(Token![:]) {
            text.push(punct_char(input)?);
        }
        parse_name_part(input, &mut text)?;
    }
    Ok(Name { text, span })
}

/// Whether `:` here continues a name (`x-on:click`, `hx-on::after-request`) rather than being
/// stray punctuation.
fn name_continues(input: ParseStream<'_>) -> bool {
    input.peek2(Ident::peek_any) || input.peek2(Token![:]) || input.peek2(Lit)
}

fn punct_char(input: ParseStream<'_>) -> syn::Result<char> {
    input.step(|cursor| match cursor.punct() {
        Some((punct, rest)) => Ok((punct.as_char(), rest)),
        None => Err(cursor.error("expected punctuation")),
    })
}

fn parse_name_part(input: ParseStream<'_>, text: &mut String) -> syn::Result<()> {
    if input.peek(Ident::peek_any) {
        text.push_str(&Ident::parse_any(input)?.unraw().to_string());
        Ok(())
    } else if input.peek(syn::LitInt) {
        let lit: syn::LitInt = input.parse()?;
        text.push_str(&lit.to_string());
        Ok(())
    } else {
        Err(input.error("expected a name part (an identifier or a number) here"))
    }
}
