//! Compile-pass and compile-fail cases of oxtor's macros live in `tests/`.
