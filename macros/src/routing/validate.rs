//! Semantic checks of `routing!`: `route(..)` prefixes are valid templates that axum can nest,
//! block keys are not repeated, positional block arguments come before keyed ones.
use super::parse::{Block, Item};
use crate::util::{errors::Errors, template};

/// Checks `items` and everything nested in them.
pub(crate) fn items(items: &[Item], errors: &mut Errors) {
    for item in items {
        match item {
            Item::Route(_) => {}
            Item::Nest {
                prefix,
                items: nested,
                ..
            } => {
                template::check_prefix(prefix, errors);
                self::items(nested, errors);
            }
            Item::Block(block) => self::block(block, errors),
        }
    }
}

fn block(block: &Block, errors: &mut Errors) {
    block.args.validate(errors);
    items(&block.items, errors);
}
