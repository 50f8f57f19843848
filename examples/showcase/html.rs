//! `GET /` (the HTMX page), `POST /books`, `GET /books/search`, `GET /books.html`: a small
//! library app with `html_page!`, `html_fragment!` and htmx (served from `/static`).
use std::sync::{Arc, RwLock};

use axum::{extract::Form, response::IntoResponse};
use http::StatusCode;
use oxtor::{html::HxTrigger, prelude::*, routing::Routes};
use serde::Deserialize;

/// Books the library keeps at most, and the longest title or author it accepts: the list lives
/// in memory and grows from the wire.
const MAX_BOOKS: usize = 1_000;
const MAX_FIELD: usize = 200;

/// A book of the library.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    title: String,
    author: String,
}

/// The application's state: the books, shared by every request, and the root path the
/// application is served under (`-path=`), which the page's links start with.
#[derive(Debug, Clone)]
pub(crate) struct Library {
    books: Arc<RwLock<Vec<Book>>>,
    root: Arc<str>,
}

impl Library {
    fn new(root: &str) -> Self {
        let books = [
            ("Kotlin in Action", "Dmitry Jemerov, Svetlana Isakova"),
            ("Hands-On Concurrency with Rust", "Brian L. Troutwine"),
            ("Zero To Production In Rust", "Luca Palmieri"),
        ]
        .map(|(title, author)| Book {
            title: title.into(),
            author: author.into(),
        });
        Self {
            books: Arc::new(RwLock::new(books.into())),
            root: root.into(),
        }
    }

    fn books(&self) -> Vec<Book> {
        self.books.read().map(|b| b.clone()).unwrap_or_default()
    }
}

/// One `<li>`; a maud component (`impl Render`) would splice in the same way.
fn book_item(book: &Book) -> HtmlFragment {
    html_fragment! { li { strong { (book.title) } span.author { (book.author) } } }
}

fn book_list(books: &[Book]) -> HtmlFragment {
    html_fragment! { ul.books #books { @for b in books { (book_item(b)) } } }
}

/// The whole page around `content`, its links under `root`.
fn layout(root: &str, content: HtmlFragment) -> HtmlPage {
    html_page! {
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "oxtor library" }
                link rel="stylesheet" href={ (root) "/static/css/app.css" };
                script src={ (root) "/static/htmx.min.js" } defer {}
            }
            body {
                main {
                    h1 { "Library" }
                    (content)
                    footer { "HTML by " code { "html_page!" } ", htmx from " code { "/static" } "." }
                }
            }
        }
    }
}

/// The HTMX page: the list, a form that appends to it, a search that replaces it.
#[route(GET, "/")]
async fn index(State(library): State<Library>) -> HtmlPage {
    let books = library.books();
    let root = &*library.root;
    layout(
        root,
        html_fragment! {
            h2 { "Add a book" }
            form #add hx-post={ (root) "/books" } hx-target="#books" hx-swap="beforeend"
                hx-on::after-request="if (event.detail.successful) this.reset()" {
                input type="text" name="title" placeholder="Title" required;
                input type="text" name="author" placeholder="Author";
                button type="submit" { "Add" }
            }
            h2 { "Search" }
            form #search {
                input type="search" name="q" placeholder="Filter by title"
                    hx-get={ (root) "/books/search" } hx-trigger="input changed delay:200ms, search"
                    hx-target="#books" hx-swap="outerHTML";
            }
            (book_list(&books))
        },
    )
}

/// The form of `POST /books`.
#[derive(Debug, Deserialize)]
struct NewBook {
    title: String,
    #[serde(default)]
    author: String,
}

/// Adds a book: `201 Created` with its `<li>` (htmx appends it) and `HX-Trigger: bookAdded`.
#[route(POST, "/books")]
async fn add(State(library): State<Library>, Form(new): Form<NewBook>) -> impl IntoResponse {
    let (title, author) = (new.title.trim(), new.author.trim());
    if title.is_empty() || title.len() > MAX_FIELD || author.len() > MAX_FIELD {
        let message = format!("A title of 1 to {MAX_FIELD} bytes is required.");
        return respond_html_fragment(
            StatusCode::UNPROCESSABLE_ENTITY,
            html_fragment! { li.error { (message) } },
        )
        .into_response();
    }
    let book = Book {
        title: title.to_owned(),
        author: author.to_owned(),
    };
    let Ok(mut books) = library.books.write() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if books.len() >= MAX_BOOKS {
        return respond_html_fragment(
            StatusCode::INSUFFICIENT_STORAGE,
            html_fragment! { li.error { "The library is full." } },
        )
        .into_response();
    }
    books.push(book.clone());
    (
        HxTrigger::new("bookAdded"),
        respond_html_fragment(StatusCode::CREATED, book_item(&book)),
    )
        .into_response()
}

/// The query of `GET /books/search`.
#[derive(Debug, Deserialize)]
struct Search {
    #[serde(default)]
    q: String,
}

/// The list filtered by title (case-insensitive), as a fragment replacing the list.
#[route(GET, "/books/search")]
async fn search(State(library): State<Library>, Query(search): Query<Search>) -> HtmlFragment {
    let q = search.q.to_lowercase();
    let books: Vec<Book> = library
        .books()
        .into_iter()
        .filter(|b| b.title.to_lowercase().contains(&q))
        .collect();
    book_list(&books)
}

/// The list as a whole page, or only the fragment for htmx (`Vary: HX-Request`).
#[route(GET, "/books.html")]
async fn books_html(State(library): State<Library>, hx: HxRequest) -> impl IntoResponse {
    hx.fragment_or_page(book_list(&library.books()), |list| {
        layout(&library.root, list)
    })
}

/// The HTML routes, with their library; `root` is the application's root path (`""` for none).
pub(crate) fn routes(root: &str) -> Routes {
    let routes: Routes<Library> = routing! { index, add, search, books_html };
    routes.into_router().with_state(Library::new(root)).into()
}
