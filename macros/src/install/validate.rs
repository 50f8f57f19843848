//! Semantic checks of `install!`: a key is set at most once per block (the second `key = value`
//! would silently win otherwise), and likewise a keyed argument once per entry, after every
//! positional argument. Blocks and calls may repeat: a plugin decides what that means.
use super::parse::{Arg, Args, Entry};
use crate::util::errors::Errors;

/// Checks one level of entries and every nested block.
pub(crate) fn entries(entries: &[Entry], errors: &mut Errors) {
    let mut seen = Vec::new();
    for entry in entries {
        match entry {
            Entry::Assign { key, .. } => {
                if seen.contains(&key) {
                    errors.error_at(key.span(), format!("`{key}` specified more than once"));
                } else {
                    seen.push(key);
                }
            }
            Entry::Block { args, body, .. } => {
                self::args(args, errors);
                self::entries(body, errors);
            }
            Entry::Call { args, .. } => self::args(args, errors),
        }
    }
}

/// Positional arguments first, each key once, nested plugin blocks checked as blocks.
fn args(args: &Args, errors: &mut Errors) {
    args.validate(errors);
    for arg in &args.positional {
        if let Arg::Plugin(plugin) = arg {
            self::entries(&plugin.entries, errors);
        }
    }
}
