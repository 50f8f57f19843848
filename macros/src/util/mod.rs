//! Helpers shared by the macros: the error accumulator, the `(args, key = value)` arguments of
//! `install!` entries and `routing!` blocks, the path of the `oxtor` crate, and the path-template
//! checks used by both `#[route]` and `routing!`'s `route("/prefix")` blocks.
pub(crate) mod args;
pub(crate) mod errors;
pub(crate) mod krate;
pub(crate) mod template;
