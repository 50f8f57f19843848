//! Procedural macros of [oxtor](https://docs.rs/oxtor): `#[route]`, `routing!`, `install!`.
//! Use them through the `oxtor` facade; generated code names only `::oxtor::__private`.
use proc_macro::TokenStream;

/// `#[route(GET, "/path/{id}")]`: keeps the function and adds a same-named struct implementing
/// `Route<S, M>`.
#[proc_macro_attribute]
pub fn route(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}

/// `routing! { a, b, route("/api") { c } }` returns an `axum::Router<S>`.
#[proc_macro]
pub fn routing(_input: TokenStream) -> TokenStream {
    "::oxtor::__private::Router::new()"
        .parse()
        .unwrap_or_default()
}

/// `install!(Plugin { key = value  block { .. } })` desugars to `Plugin::configure(|cfg| { .. })`.
#[proc_macro]
pub fn install(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
