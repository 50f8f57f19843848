//! Markup to Rust: literal HTML is escaped here, at compile time, and adjacent pieces are merged
//! into one `push_str`; splices render through `::oxtor::__private::html::Splice` (maud's
//! `Render`, else `Display`, escaped); control flow becomes the same Rust control flow.
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::{spanned::Spanned, Expr};

use super::ast::{Attr, AttrValue, Block, ClassOrId, Element, ElementBody, Else, If, Markup};

/// Generates statements appending `markups` to the `String` named `output`.
pub(crate) struct Generator {
    private: TokenStream,
    output: Ident,
}

/// Pending output: literal HTML waiting to be merged, and the statements so far.
#[derive(Default)]
struct Builder {
    text: String,
    stmts: TokenStream,
}

impl Generator {
    pub(crate) fn new(private: TokenStream) -> Self {
        Self {
            private,
            output: Ident::new("__oxtor_output", Span::mixed_site()),
        }
    }

    /// The whole expansion: a block that renders `markups` after `prefix` and wraps the string
    /// with `wrap` (a path to `HtmlFragment::pre_escaped` or `HtmlPage::pre_escaped`).
    pub(crate) fn expand(
        &self,
        prefix: &str,
        markups: &[Markup],
        size_hint: usize,
        wrap: TokenStream,
    ) -> TokenStream {
        let mut builder = Builder::default();
        builder.text.push_str(prefix);
        self.markups(markups, &mut builder);
        let stmts = builder.finish(&self.output);
        let output = &self.output;
        let private = &self.private;
        quote!({
            #[allow(unused_imports)]
            use #private::html::{ViaDisplay as _, ViaRender as _};
            let mut #output = #private::html::String::with_capacity(#size_hint);
            #stmts
            #wrap(#output)
        })
    }

    fn markups(&self, markups: &[Markup], b: &mut Builder) {
        for markup in markups {
            self.markup(markup, b);
        }
    }

    fn markup(&self, markup: &Markup, b: &mut Builder) {
        match markup {
            Markup::Text(text) => escape_into(&text.value, &mut b.text),
            Markup::Splice(expr) => self.splice(expr, b),
            Markup::Block(block) => self.markups(&block.markups, b),
            Markup::Element(element) => self.element(element, b),
            Markup::Let(tokens) => b.stmt(&self.output, tokens.clone()),
            Markup::If(if_) => {
                let stmt = self.if_chain(if_);
                b.stmt(&self.output, stmt);
            }
            Markup::Loop {
                keyword,
                head,
                body,
            } => {
                let body = self.block(body);
                b.stmt(&self.output, quote!(#keyword #head #body));
            }
            Markup::Match {
                keyword,
                head,
                arms,
            } => {
                let arms = arms.iter().map(|arm| {
                    let pattern = &arm.pattern;
                    let body = self.block(&arm.body);
                    quote!(#pattern => #body)
                });
                b.stmt(&self.output, quote!(#keyword #head { #(#arms)* }));
            }
        }
    }

    /// `{ statements }` rendering `block`, for a control-flow body.
    fn block(&self, block: &Block) -> TokenStream {
        let mut inner = Builder::default();
        self.markups(&block.markups, &mut inner);
        let stmts = inner.finish(&self.output);
        quote!({ #stmts })
    }

    fn if_chain(&self, if_: &If) -> TokenStream {
        let keyword = &if_.keyword;
        let head = &if_.head;
        let then = self.block(&if_.then);
        let otherwise = match &if_.otherwise {
            Some(Else::If(next)) => {
                let next = self.if_chain(next);
                quote!(else #next)
            }
            Some(Else::Block(block)) => {
                let block = self.block(block);
                quote!(else #block)
            }
            None => quote!(),
        };
        quote!(#keyword #head #then #otherwise)
    }

    /// A value rendered through `Render`, else `Display`; errors point at the expression.
    fn splice(&self, expr: &Expr, b: &mut Builder) {
        let private = &self.private;
        let output = &self.output;
        let span = expr.span();
        let stmt = quote_spanned!(span=>
            (&&#private::html::Splice(&(#expr))).render_splice(&mut #output);
        );
        b.stmt(output, stmt);
    }

    fn element(&self, element: &Element, b: &mut Builder) {
        let name = &element.name.text;
        b.text.push('<');
        b.text.push_str(name);
        self.classes(&element.attrs, b);
        for attr in &element.attrs {
            match attr {
                Attr::Id { name, .. } => {
                    b.text.push_str(" id=\"");
                    self.class_or_id(name, b);
                    b.text.push('"');
                }
                Attr::Named { name, value } => self.named_attr(&name.text, value, b),
                Attr::Class { .. } => {}
            }
        }
        b.text.push('>');
        if let ElementBody::Block(block) = &element.body {
            self.markups(&block.markups, b);
            b.text.push_str("</");
            b.text.push_str(name);
            b.text.push('>');
        }
    }

    /// All `.class` items as one `class` attribute, static names first as written.
    fn classes(&self, attrs: &[Attr], b: &mut Builder) {
        let classes: Vec<_> = attrs
            .iter()
            .filter_map(|a| match a {
                Attr::Class { name, toggle, .. } => Some((name, toggle)),
                _ => None,
            })
            .collect();
        if classes.is_empty() {
            return;
        }
        b.text.push_str(" class=\"");
        // Whether a separator is needed is known at compile time until the first toggled
        // class; after it, a runtime flag tracks it.
        let sep = Ident::new("__oxtor_class_sep", Span::mixed_site());
        let mut runtime_sep = false;
        let mut any_static = false;
        for (name, toggle) in classes {
            match toggle {
                None => {
                    if runtime_sep {
                        b.stmt(&self.output, {
                            let output = &self.output;
                            quote!(if #sep { #output.push(' '); } #sep = true;)
                        });
                    } else if any_static {
                        b.text.push(' ');
                    }
                    any_static = true;
                    self.class_or_id(name, b);
                }
                Some(cond) => {
                    if !runtime_sep {
                        let start = any_static;
                        b.stmt(&self.output, quote!(let mut #sep = #start;));
                        runtime_sep = true;
                    }
                    let mut inner = Builder::default();
                    self.class_or_id(name, &mut inner);
                    let body = inner.finish(&self.output);
                    let output = &self.output;
                    b.stmt(
                        output,
                        quote!(if #cond { if #sep { #output.push(' '); } #sep = true; #body }),
                    );
                }
            }
        }
        if runtime_sep {
            b.stmt(&self.output, quote!(let _ = #sep;));
        }
        b.text.push('"');
    }

    fn class_or_id(&self, name: &ClassOrId, b: &mut Builder) {
        match name {
            ClassOrId::Static(name) => escape_into(&name.text, &mut b.text),
            ClassOrId::Splice(expr) => self.splice(expr, b),
        }
    }

    fn named_attr(&self, name: &str, value: &AttrValue, b: &mut Builder) {
        match value {
            AttrValue::Empty => {
                b.text.push(' ');
                b.text.push_str(name);
            }
            AttrValue::Toggle(cond) => {
                let text = format!(" {name}");
                let output = &self.output;
                b.stmt(output, quote!(if #cond { #output.push_str(#text); }));
            }
            AttrValue::Optional(option) => {
                let value = Ident::new("__oxtor_value", Span::mixed_site());
                let mut inner = Builder::default();
                inner.text.push_str(&format!(" {name}=\""));
                let private = &self.private;
                let output = &self.output;
                inner.stmt(
                    output,
                    quote!((&&#private::html::Splice(&#value)).render_splice(&mut #output);),
                );
                inner.text.push('"');
                let body = inner.finish(output);
                let span = option.span();
                b.stmt(
                    output,
                    quote_spanned!(span=> if let ::core::option::Option::Some(#value) = (#option) { #body }),
                );
            }
            AttrValue::Markup(markup) => {
                b.text.push(' ');
                b.text.push_str(name);
                b.text.push_str("=\"");
                self.markup(markup, b);
                b.text.push('"');
            }
        }
    }
}

impl Builder {
    /// Flushes pending literal HTML, then adds `stmt`.
    fn stmt(&mut self, output: &Ident, stmt: TokenStream) {
        self.flush(output);
        self.stmts.extend(stmt);
    }

    fn flush(&mut self, output: &Ident) {
        if !self.text.is_empty() {
            let text = std::mem::take(&mut self.text);
            self.stmts.extend(quote!(#output.push_str(#text);));
        }
    }

    fn finish(mut self, output: &Ident) -> TokenStream {
        self.flush(output);
        self.stmts
    }
}

/// maud's escaping, applied at compile time: `&`, `<`, `>` and `"`.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_into;

    #[test]
    fn escapes_like_maud() {
        let mut out = String::new();
        escape_into(r#"<a href="x">&'</a>"#, &mut out);
        assert_eq!(out, "&lt;a href=&quot;x&quot;&gt;&amp;'&lt;/a&gt;");
    }
}
