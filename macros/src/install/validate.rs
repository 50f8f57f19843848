//! Semantic checks of `install!`: a key is set at most once per block (the second `key = value`
//! would silently win otherwise). Blocks and calls may repeat: a plugin decides what that means.
use super::parse::Entry;
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
            Entry::Block { body, .. } => self::entries(body, errors),
            Entry::Call { .. } => {}
        }
    }
}
