//! Rules over the parsed markup that syntax alone does not catch, each reported at the user's
//! token: a void element with content, `;` after an element that needs a closing tag, two ids,
//! an invalid attribute name.
use super::ast::{Attr, AttrValue, Block, Element, ElementBody, Else, If, Markup};
use crate::util::errors::Errors;

/// HTML's void elements: written `br;`, never with content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Checks every markup item; records all problems.
pub(crate) fn check(markups: &[Markup], errors: &mut Errors) {
    for markup in markups {
        check_one(markup, errors);
    }
}

fn check_one(markup: &Markup, errors: &mut Errors) {
    match markup {
        Markup::Text(_) | Markup::Splice(_) | Markup::Let(_) => {}
        Markup::Block(block) | Markup::Loop { body: block, .. } => check_block(block, errors),
        Markup::Element(element) => check_element(element, errors),
        Markup::If(if_) => check_if(if_, errors),
        Markup::Match { arms, .. } => {
            for arm in arms {
                check_block(&arm.body, errors);
            }
        }
    }
}

fn check_block(block: &Block, errors: &mut Errors) {
    check(&block.markups, errors);
}

fn check_if(if_: &If, errors: &mut Errors) {
    check_block(&if_.then, errors);
    match &if_.otherwise {
        Some(Else::If(next)) => check_if(next, errors),
        Some(Else::Block(block)) => check_block(block, errors),
        None => {}
    }
}

fn check_element(element: &Element, errors: &mut Errors) {
    let name = &element.name;
    let void = VOID.contains(&name.text.to_ascii_lowercase().as_str());
    match &element.body {
        ElementBody::Void(span) if !void => errors.error_at(
            *span,
            format!(
                "`{}` is not a void element and needs a closing tag; write `{} {{}}` instead of `;`",
                name.text, name.text
            ),
        ),
        ElementBody::Block(block) if void => errors.error_at(
            block.span,
            format!("`{0}` is a void element and cannot have content; write `{0};`", name.text),
        ),
        ElementBody::Block(block) => check_block(block, errors),
        ElementBody::Void(_) => {}
    }
    let mut ids = element.attrs.iter().filter_map(|a| match a {
        Attr::Id { span, .. } => Some(*span),
        _ => None,
    });
    if ids.next().is_some() {
        for span in ids {
            errors.error_at(span, "an element has at most one `#id`");
        }
    }
    for attr in &element.attrs {
        if let Attr::Named { name, value } = attr {
            let invalid = |c: char| c.is_whitespace() || c.is_control() || "\"'<>/=".contains(c);
            if name.text.is_empty() || name.text.contains(invalid) {
                errors.error_at(
                    name.span,
                    format!("`{}` is not a valid attribute name", name.text),
                );
            }
            if let AttrValue::Markup(markup) = value {
                check_one(markup, errors);
            }
        }
    }
}
