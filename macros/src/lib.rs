//! Procedural macros of [oxtor](https://docs.rs/oxtor): `#[route]`, `routing!`, `install!`,
//! `http_client!`, `html_fragment!`, `html_page!`, `resources!`.
//!
//! Use them through the `oxtor` facade. They are sugar: each expands to plain calls into the
//! runtime, through the one hidden path `::oxtor::__private` (or the name the dependency was
//! renamed to), and each is documented below next to its desugaring.
//!
//! One module per macro, each split into `parse` (syntax into a small AST that keeps its tokens),
//! `validate` (semantic checks, every error collected at the user's token) and `expand` (quote).
//! Set `OXTOR_MACROS_DEBUG=1` while compiling to print every expansion to stderr.
//!
//! # Example
//! ```
//! use oxtor::prelude::*;
//!
//! #[route(GET, "/hello/{name}")]
//! async fn hello(Path(name): Path<String>) -> String {
//!     format!("Hello, {name}!")
//! }
//!
//! let routes: oxtor::routing::Routes = routing! { hello };
//! # let _ = routes;
//! assert_eq!(<hello as Route<(), _>>::PATH, "/hello/{name}");
//! ```
use proc_macro::TokenStream;

mod html;
mod http_client;
mod install;
#[cfg(feature = "resources")]
mod resources;
mod route;
mod routing;
mod util;

/// Declares an axum handler with its method(s) and path: `#[route(GET, "/books/{id}")]`.
///
/// The function is kept as written. Next to it, the macro adds a braced struct of the same name
/// (it lives in the type namespace only, as in Rocket) that implements
/// `oxtor::Route<S, M>` for every state `S` the handler's extractors accept; `routing!` mounts it.
///
/// ```
/// use oxtor::prelude::*;
///
/// #[route(GET | HEAD, "/books/{id}")]
/// async fn book(Path(id): Path<u32>) -> String {
///     format!("book {id}")
/// }
/// # let _: oxtor::routing::Routes = routing! { book };
/// ```
/// adds, in essence,
/// ```text
/// #[doc(hidden)] #[allow(nonstandard_style)]
/// struct book {}
/// impl<S, M> Route<S, M> for book
/// where S: Clone + Send + Sync + 'static, M: 'static, Path<u32>: FromRequest<S, M> + Send
/// {
///     const PATH: &'static str = "/books/{id}";
///     const METHODS: &'static [Method] = &[Method::GET, Method::HEAD];
///     fn method_router(self) -> MethodRouter<S> { on(MethodFilter::GET.or(MethodFilter::HEAD), book) }
/// }
/// ```
/// (all but the last argument are bound by `FromRequestParts<S>`, as in axum's `Handler`; a
/// handler without arguments implements `Route<S, ()>`). On a path without parameters it also
/// returns the handler from `fn direct_handler(&self)`, so that the application calls it without
/// axum's routing when nothing wraps the route (`oxtor::routing::direct`).
///
/// Methods: `GET`, `POST`, `PUT`, `DELETE`, `PATCH`, `HEAD`, `OPTIONS`, `TRACE`, `CONNECT`,
/// combined with `|`. The path is an axum 0.8 template checked at compile time: it starts with
/// `/`, braces balance (`{{`/`}}` are literal braces), parameter names are identifiers and
/// distinct, one parameter per segment and at its end, `{*rest}` only as the last segment.
///
/// ```compile_fail
/// use oxtor::prelude::*;
/// #[route(GET, "/books/{id")] // unclosed `{` in path template
/// async fn book() {}
/// ```
/// ```compile_fail
/// use oxtor::prelude::*;
/// #[route(FETCH, "/books")] // unknown method `FETCH`
/// async fn books() {}
/// ```
/// ```compile_fail
/// use oxtor::prelude::*;
/// #[route(GET, "/books")]
/// fn books() {} // `#[route]` handlers must be `async fn`
/// ```
/// An argument that is not an extractor for the application's state is reported where the
/// route is mounted (`the trait bound `u32: FromRequestParts<_>` is not satisfied`), with a note
/// "required for `books` to implement `Route`" pointing at the handler:
/// ```compile_fail
/// use oxtor::prelude::*;
/// #[route(GET, "/books")]
/// async fn books(count: u32) -> String { count.to_string() }
/// let _: oxtor::routing::Routes = routing! { books };
/// ```
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand_attr_with("#[route]", attr, item, route::expand, route::fallback)
}

/// Builds `oxtor::routing::Routes<S>` (an `axum::Router<S>` plus the
/// start-up checks its blocks attach) from `#[route]` handlers and groups of them.
///
/// ```
/// use oxtor::prelude::*;
/// use oxtor::axum::{extract::DefaultBodyLimit, Router};
/// use oxtor::routing::Routes;
///
/// #[route(GET, "/")] async fn index() -> &'static str { "index" }
/// mod handlers {
///     use oxtor::prelude::*;
///     #[route(GET, "/books")] pub async fn books() -> &'static str { "[]" }
///     #[route(POST, "/upload")] pub async fn upload(body: String) -> String { body.len().to_string() }
/// }
///
/// let routes: Routes = routing! {
///     index,
///     route("/api") { handlers::books }
///     layer(DefaultBodyLimit::max(64 << 20)) { handlers::upload }
///     lifecycle(cancel_call_on_close = false) { route("/slow") { index } }
/// };
/// let mut app = Application::new(());
/// app.routing(routes).unwrap();
/// // Or a plain axum router (start-up checks are dropped):
/// let _router: Router = routing! { index }.into_router();
/// ```
/// desugars to
/// ```text
/// {
///     let r = Routes::new();
///     let r = mount(r, index {});
///     let r = r.nest("/api", { let r = Routes::new(); let r = mount(r, handlers::books {}); r });
///     let r = r.merge({
///         let b = Blocks.layer(DefaultBodyLimit::max(64 << 20));
///         RoutingBlock::wrap(b, { let r = Routes::new(); let r = mount(r, handlers::upload {}); r })
///     });
///     let r = r.merge({
///         let mut b = Blocks.lifecycle();
///         b.cancel_call_on_close(false);
///         RoutingBlock::wrap(b, { let r = Routes::new(); let r = r.nest("/slow", ..); r })
///     });
///     r
/// }
/// ```
/// Items are separated by commas (optional after a `{ .. }` group). A route is a path to a
/// function annotated with `#[route]` (naming a function without it is rustc's "expected struct,
/// found function" at that name). `route("/prefix") { .. }` nests its routes under the
/// prefix (`Router::nest`). Any other group `name(args, key = value) { .. }` is the method call
/// `Blocks.name(args)` on `oxtor::routing::Blocks` (`name { .. }` calls `Blocks.name()`, several
/// positional arguments are passed as one tuple, `name((a, b))`), then the method `key(value)` on
/// its result for each key (positional arguments first, keys not repeated), then
/// `RoutingBlock::wrap` with the routes of the group, merged in. `layer` is inherent; other
/// blocks come from extension traits for `Blocks` (`lifecycle` from `LifecycleBlocks`, in the
/// prelude), so any crate adds a block without touching the macro (see `oxtor::routing`), and a
/// misspelt block name is a rustc error at that name:
/// ```compile_fail
/// use oxtor::prelude::*;
/// #[route(GET, "/")] async fn index() {}
/// let _: oxtor::routing::Routes = routing! { layr(()) { index } }; // no method `layr` on `Blocks`
/// ```
/// The state type `S` is inferred from where the routes go (`app.routing(..)`, a return type).
#[proc_macro]
pub fn routing(input: TokenStream) -> TokenStream {
    expand_with("routing!", input, routing::expand, routing::fallback)
}

/// Configures a plugin with Ktor's block syntax; desugars to the plugin's builder methods.
///
/// ```text
/// install!(Plugin { key = value  block { k = v }  name("arg") { k = v }  call("x", 2) })
/// ```
/// is exactly
/// ```text
/// <Plugin>::configure(|cfg| {
///     cfg.key(value);
///     cfg.block(|cfg| { cfg.k(v); });
///     cfg.name("arg", |cfg| { cfg.k(v); });
///     cfg.call("x", 2);
/// })
/// ```
/// so the macro needs no table of plugins: `Plugin` (any path) provides `configure`, each
/// key is a method of its config. Entries are separated by whitespace, `,` or `;`; a value is
/// any expression, closures included. A misspelt key is rustc's "no method named …" at the key,
/// a value of the wrong type is a type error at the value, and setting one key twice in a block
/// is a macro error.
///
/// Arguments of `name(..)` may end with `key = value` pairs; each becomes a setter called on
/// what the method returns, after the call (so a misspelt key is again rustc's error at it):
/// ```text
/// default_request(replace = true) { url("x") }
///   => { let mut e = cfg.default_request(|cfg| { cfg.url("x"); }); e.replace(true); }
/// ```
/// and an argument written as a plugin block, `Path { entries }`, becomes two arguments, the
/// plugin and its configuration closure (an argument that does not parse as entries, such as
/// the struct literal `Point { x: 1 }`, stays an expression; `Path {}` is a plugin block):
/// ```text
/// install(DefaultRequest { url("x") })  =>  cfg.install(DefaultRequest, |cfg| { cfg.url("x"); });
/// ```
/// A keyed argument given twice, or a positional one after a keyed one, is a macro error.
///
/// ```
/// use oxtor::install;
///
/// #[derive(Default, Debug, PartialEq)]
/// struct Config { level: i32, zstd: Option<i32> }
/// struct Zstd { level: i32 }
/// impl Config {
///     fn level(&mut self, level: i32) { self.level = level; }
///     fn zstd(&mut self, f: impl FnOnce(&mut Zstd)) {
///         let mut z = Zstd { level: 3 };
///         f(&mut z);
///         self.zstd = Some(z.level);
///     }
/// }
/// impl Zstd { fn level(&mut self, level: i32) { self.level = level; } }
///
/// struct Compression;
/// impl Compression {
///     fn configure(f: impl FnOnce(&mut Config)) -> Config {
///         let mut cfg = Config::default();
///         f(&mut cfg);
///         cfg
///     }
/// }
///
/// let cfg = install!(Compression { level = 1  zstd { level = 9 } });
/// assert_eq!(cfg, Config { level: 1, zstd: Some(9) });
/// ```
/// ```compile_fail
/// # struct Config; impl Config { fn level(&mut self, _: i32) {} }
/// # struct P; impl P { fn configure(f: impl FnOnce(&mut Config)) { f(&mut Config) } }
/// oxtor::install!(P { levle = 3 }); // no method named `levle`
/// ```
/// ```compile_fail
/// # struct Config; impl Config { fn level(&mut self, _: i32) {} }
/// # struct P; impl P { fn configure(f: impl FnOnce(&mut Config)) { f(&mut Config) } }
/// oxtor::install!(P { level = 3  level = 4 }); // `level` specified more than once
/// ```
#[proc_macro]
pub fn install(input: TokenStream) -> TokenStream {
    expand_with("install!", input, install::expand, install::fallback)
}

/// Builds an `oxtor::client::HttpClient` with the block grammar of [`install!`]; yields
/// `Result<HttpClient, ClientError>`.
///
/// ```text
/// http_client! {
///     engine { max_conn_total = 10_000  max_conn_per_route = 1_000 }
///     default_request(replace = true) { url("http://api/") }
///     install(Plugin { key = value })
/// }
/// ```
/// is `install!(::oxtor::client::HttpClient { .. })` (with the name the `oxtor` dependency
/// has) with `move` closures, i.e.
/// ```text
/// <::oxtor::client::HttpClient>::configure(move |cfg| {
///     cfg.engine(move |cfg| { cfg.max_conn_total(10_000); cfg.max_conn_per_route(1_000); });
///     { let mut e = cfg.default_request(move |cfg| { cfg.url("http://api/"); }); e.replace(true); }
///     cfg.install(Plugin, move |cfg| { cfg.key(value); });
/// })
/// ```
/// Every entry is a method of `HttpClientConfig` or of the block's config, checked by rustc at
/// the user's token. The client keeps its blocks and reruns them (`DefaultRequest` per request),
/// so they own what they capture: a variable named in a block is moved into it; clone it first to
/// use it in two blocks or after the macro.
///
/// ```
/// use oxtor::http_client;
///
/// # fn main() -> Result<(), oxtor::client::ClientError> {
/// let base = String::from("http://api.example/v1/");
/// let client = http_client! {
///     engine { max_conn_total = 100  max_conn_per_route = 10 }
///     default_request { url(&base) }
/// }?;
/// assert_eq!(client.engine_config().max_conn_total, 100);
/// let req = client.get("books").prepared()?;
/// assert_eq!(req.url_ref().to_string(), "http://api.example/v1/books");
/// # Ok(()) }
/// ```
/// ```compile_fail
/// // no method named `max_conn_totl` found for mutable reference `&mut EngineConfig`
/// let client = oxtor::http_client! { engine { max_conn_totl = 100 } };
/// ```
#[proc_macro]
pub fn http_client(input: TokenStream) -> TokenStream {
    expand_with(
        "http_client!",
        input,
        http_client::expand,
        install::fallback,
    )
}

/// Builds an `oxtor::html::HtmlFragment` from maud's markup syntax (Ktor's
/// `respondHtmlFragment { .. }`).
///
/// ```
/// use oxtor::prelude::*;
///
/// struct Book { title: &'static str, year: u16 }
/// let books = [Book { title: "Dune", year: 1965 }, Book { title: "<script>", year: 2024 }];
/// let fragment: HtmlFragment = html_fragment! {
///     ul.books #list hx-get="/books" hx-on::after-request="done()" "@click"="open = true" {
///         @for b in &books {
///             li.book.old[b.year < 2000] data-year=(b.year) { (b.title) }
///         }
///     }
///     input type="checkbox" checked[books.len() > 1];
/// };
/// assert_eq!(fragment.as_str(), concat!(
///     r#"<ul class="books" id="list" hx-get="/books" hx-on::after-request="done()" @click="open = true">"#,
///     r#"<li class="book old" data-year="1965">Dune</li>"#,
///     r#"<li class="book" data-year="2024">&lt;script&gt;</li></ul>"#,
///     r#"<input type="checkbox" checked>"#,
/// ));
/// ```
/// The syntax is maud's: elements `name.class#id attr="v" { .. }` or `br;` (void elements),
/// literals as escaped text, `(expr)` splices (anything implementing maud's `Render`, such as
/// another fragment or a maud component, else `Display`; escaped), attribute values written
/// `"lit"`, `(expr)`, `{ markup }`, `[option]` (present when `Some`), toggles `checked[cond]` and
/// `.class[cond]`, and `@if`/`@else`, `@if let`, `@for`, `@while`, `@match`, `@let`. Attribute
/// names may contain `-` and `:` (`hx-get`, `x-on:click`, `hx-on::after-request`), start with `@`
/// or `:` (Alpine's `@click`, `:class`), or be any string literal (`"@click.prevent"`).
///
/// It expands to a block that appends to one pre-sized `String`, literal HTML escaped at compile
/// time and merged, as maud's `html!` does; `?` inside a splice returns from the enclosing
/// function, so nothing partial is ever sent. Mistakes are reported at the user's token:
/// ```compile_fail
/// let _ = oxtor::html_fragment! { div; }; // `div` is not a void element
/// ```
/// ```compile_fail
/// let _ = oxtor::html_fragment! { p { if true { "x" } } }; // write `@if`
/// ```
/// A spliced value must implement maud's `Render` or `Display`; otherwise rustc reports that
/// `render_splice` exists but its trait bounds (`Render` or `Display`) are not satisfied, at the
/// value:
/// ```compile_fail
/// struct Book;
/// let _ = oxtor::html_fragment! { p { (Book) } };
/// ```
#[proc_macro]
pub fn html_fragment(input: TokenStream) -> TokenStream {
    expand_with(
        "html_fragment!",
        input,
        html::expand_fragment,
        html::fallback_fragment,
    )
}

/// Builds an `oxtor::html::HtmlPage`: `<!DOCTYPE html>` followed by the markup, in the syntax
/// of [`html_fragment!`] (Ktor's `respondHtml { .. }`, without pretty-printing).
///
/// ```
/// use oxtor::prelude::*;
///
/// let name = "John";
/// let page: HtmlPage = html_page! { html { body { h1 { "Hello, " (name) } } } };
/// assert_eq!(page.as_str(), "<!DOCTYPE html><html><body><h1>Hello, John</h1></body></html>");
/// ```
#[proc_macro]
pub fn html_page(input: TokenStream) -> TokenStream {
    expand_with("html_page!", input, html::expand_page, html::fallback_page)
}

/// Embeds a folder in the binary: `static RES: Resources = resources!("resources");` (the folder
/// is relative to the crate's `Cargo.toml`).
///
/// Every file is read at build time, with a strong `ETag` from its SHA-256, its modification
/// time, and zstd (level 19) and brotli (quality 11) variants kept when smaller; the result is a
/// constant `oxtor::resources::Resources` that `respond_resource` and `static_resources` serve
/// (see `oxtor::resources`). Files are included with `include_bytes!`, so editing one rebuilds the
/// crate; a file added to the folder is picked up at the next rebuild of the crate.
///
/// ```
/// use oxtor::prelude::*;
///
/// static RES: Resources = resources!("src");
/// assert!(RES.get("lib.rs").is_some());
/// ```
/// ```compile_fail
/// static RES: oxtor::resources::Resources = oxtor::resources!("no/such/folder"); // cannot read resource folder
/// ```
#[cfg(feature = "resources")]
#[proc_macro]
pub fn resources(input: TokenStream) -> TokenStream {
    expand_with("resources!", input, resources::expand, resources::fallback)
}

type Expand = fn(proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>;
type Fallback = fn(syn::Error) -> proc_macro2::TokenStream;
type ExpandAttr =
    fn(proc_macro2::TokenStream, proc_macro2::TokenStream) -> syn::Result<proc_macro2::TokenStream>;
type FallbackAttr = fn(proc_macro2::TokenStream, syn::Error) -> proc_macro2::TokenStream;

/// The funnel of function-like macros.
fn expand_with(name: &str, input: TokenStream, f: Expand, fallback: Fallback) -> TokenStream {
    expand(name, f(input.into()).unwrap_or_else(fallback))
}

/// The funnel of attribute macros: on error the item is still emitted, by `fallback`.
fn expand_attr_with(
    name: &str,
    attr: TokenStream,
    item: TokenStream,
    f: ExpandAttr,
    fallback: FallbackAttr,
) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    expand(
        name,
        f(attr.into(), item.clone()).unwrap_or_else(|e| fallback(item, e)),
    )
}

/// Hands the expansion to the compiler, printing it first when `OXTOR_MACROS_DEBUG` is set.
fn expand(name: &str, tokens: proc_macro2::TokenStream) -> TokenStream {
    if std::env::var_os("OXTOR_MACROS_DEBUG").is_some() {
        eprintln!("// oxtor {name} expands to:\n{tokens}\n");
    }
    tokens.into()
}
