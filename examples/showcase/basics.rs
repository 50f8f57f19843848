//! `GET /hello`, `GET /books.json`, `POST /upload`: the basics, each declared with `#[route]`.
use axum::{
    extract::{DefaultBodyLimit, Request},
    http::StatusCode,
    Json, RequestExt,
};
use futures_util::StreamExt;
use oxtor::prelude::*;
use serde::Serialize;

/// The body size `POST /upload` accepts (axum's default is 2 MiB).
const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

/// One entry of `GET /books.json`.
#[derive(Debug, Clone, Copy, Serialize)]
struct Book {
    title: &'static str,
    author: &'static str,
    year: u16,
    isbn: &'static str,
    summary: &'static str,
}

/// The library served as JSON: a few KiB of sample data (ISBNs are illustrative).
static BOOKS: [Book; 30] = [
    Book {
        title: "Kotlin in Action",
        author: "Dmitry Jemerov, Svetlana Isakova",
        year: 2017,
        isbn: "9781617293290",
        summary: "A guide to Kotlin for Java developers, from the basics to DSLs and coroutines.",
    },
    Book {
        title: "Hands-On Concurrency with Rust",
        author: "Brian L. Troutwine",
        year: 2018,
        isbn: "9781788399975",
        summary: "Confidently build memory-safe, parallel and efficient software in Rust.",
    },
    Book {
        title: "The Rust Programming Language",
        author: "Steve Klabnik, Carol Nichols",
        year: 2019,
        isbn: "9781718500440",
        summary:
            "The official book: ownership, borrowing, traits, generics and fearless concurrency.",
    },
    Book {
        title: "Programming Rust",
        author: "Jim Blandy, Jason Orendorff, Leonora Tindall",
        year: 2021,
        isbn: "9781492052593",
        summary: "Systems programming with Rust, in depth, from memory to async.",
    },
    Book {
        title: "Rust for Rustaceans",
        author: "Jon Gjengset",
        year: 2021,
        isbn: "9781718501850",
        summary: "Idiomatic programming for experienced Rust developers.",
    },
    Book {
        title: "Rust Atomics and Locks",
        author: "Mara Bos",
        year: 2023,
        isbn: "9781098119447",
        summary: "Low-level concurrency in practice: atomics, memory ordering and locks.",
    },
    Book {
        title: "Zero To Production In Rust",
        author: "Luca Palmieri",
        year: 2022,
        isbn: "9798376025578",
        summary: "An opinionated introduction to backend development in Rust.",
    },
    Book {
        title: "Asynchronous Programming in Rust",
        author: "Carl Fredrik Samson",
        year: 2024,
        isbn: "9781805128137",
        summary: "Futures, runtimes and async/await from the ground up.",
    },
    Book {
        title: "Designing Data-Intensive Applications",
        author: "Martin Kleppmann",
        year: 2017,
        isbn: "9781449373320",
        summary: "The big ideas behind reliable, scalable and maintainable systems.",
    },
    Book {
        title: "HTTP: The Definitive Guide",
        author: "David Gourley, Brian Totty",
        year: 2002,
        isbn: "9781565925090",
        summary: "The protocol that powers the web, explained from messages to caching.",
    },
    Book {
        title: "High Performance Browser Networking",
        author: "Ilya Grigorik",
        year: 2013,
        isbn: "9781449344764",
        summary: "What every web developer should know about networking and web performance.",
    },
    Book {
        title: "TCP/IP Illustrated, Volume 1",
        author: "W. Richard Stevens",
        year: 1994,
        isbn: "9780201633467",
        summary: "The protocols of the internet, traced packet by packet.",
    },
    Book {
        title: "The Pragmatic Programmer",
        author: "Andrew Hunt, David Thomas",
        year: 1999,
        isbn: "9780201616224",
        summary: "From journeyman to master: tips for writing software that lasts.",
    },
    Book {
        title: "Structure and Interpretation of Computer Programs",
        author: "Harold Abelson, Gerald Jay Sussman",
        year: 1985,
        isbn: "9780262010771",
        summary: "Abstraction, recursion and interpreters, taught through Scheme.",
    },
    Book {
        title: "The C Programming Language",
        author: "Brian Kernighan, Dennis Ritchie",
        year: 1978,
        isbn: "9780131103627",
        summary: "The classic introduction to C by its authors.",
    },
    Book {
        title: "Types and Programming Languages",
        author: "Benjamin C. Pierce",
        year: 2002,
        isbn: "9780262162098",
        summary: "A comprehensive introduction to type systems and their theory.",
    },
    Book {
        title: "Crafting Interpreters",
        author: "Robert Nystrom",
        year: 2021,
        isbn: "9780990582939",
        summary: "Two complete interpreters for a small language, built step by step.",
    },
    Book {
        title: "Database Internals",
        author: "Alex Petrov",
        year: 2019,
        isbn: "9781492040347",
        summary: "How distributed data systems work: storage engines and consensus.",
    },
    Book {
        title: "Site Reliability Engineering",
        author: "Betsy Beyer et al.",
        year: 2016,
        isbn: "9781491929124",
        summary: "How Google runs production systems.",
    },
    Book {
        title: "Release It!",
        author: "Michael T. Nygard",
        year: 2018,
        isbn: "9781680502398",
        summary: "Design and deploy production-ready software that survives the real world.",
    },
    Book {
        title: "Clean Architecture",
        author: "Robert C. Martin",
        year: 2017,
        isbn: "9780134494166",
        summary: "A craftsman's guide to software structure and design.",
    },
    Book {
        title: "Refactoring",
        author: "Martin Fowler",
        year: 2018,
        isbn: "9780134757599",
        summary: "Improving the design of existing code, one small step at a time.",
    },
    Book {
        title: "Domain-Driven Design",
        author: "Eric Evans",
        year: 2003,
        isbn: "9780321125217",
        summary: "Tackling complexity in the heart of software.",
    },
    Book {
        title: "Java Concurrency in Practice",
        author: "Brian Goetz et al.",
        year: 2006,
        isbn: "9780321349606",
        summary: "Writing correct and scalable concurrent programs on the JVM.",
    },
    Book {
        title: "Effective Java",
        author: "Joshua Bloch",
        year: 2018,
        isbn: "9780134685991",
        summary: "Best practices for the Java platform, item by item.",
    },
    Book {
        title: "Kotlin Coroutines: Deep Dive",
        author: "Marcin Moskala",
        year: 2022,
        isbn: "9788396395815",
        summary: "How coroutines work and how to use them well.",
    },
    Book {
        title: "Network Programming with Go",
        author: "Adam Woodbeck",
        year: 2021,
        isbn: "9781718500884",
        summary: "Code secure and reliable network services from scratch.",
    },
    Book {
        title: "The Art of Computer Programming, Vol. 1",
        author: "Donald E. Knuth",
        year: 1997,
        isbn: "9780201896831",
        summary: "Fundamental algorithms, analysed with mathematical precision.",
    },
    Book {
        title: "Computer Networks",
        author: "Andrew S. Tanenbaum, David J. Wetherall",
        year: 2010,
        isbn: "9780132126953",
        summary: "A layered tour of networking, from the physical link to applications.",
    },
    Book {
        title: "Operating Systems: Three Easy Pieces",
        author: "Remzi and Andrea Arpaci-Dusseau",
        year: 2018,
        isbn: "9781985086593",
        summary: "Virtualization, concurrency and persistence, explained clearly.",
    },
];

/// `Hello, world!` as plain text (the benchmark route).
#[route(GET, "/hello")]
async fn hello() -> &'static str {
    "Hello, world!"
}

/// The whole library as a JSON array.
#[route(GET, "/books.json")]
async fn books() -> Json<&'static [Book]> {
    Json(&BOOKS)
}

/// Counts the body's bytes as they arrive, without buffering it: answers the count as text, 413
/// beyond [`UPLOAD_LIMIT`].
#[route(POST, "/upload")]
async fn upload(request: Request) -> Result<String, (StatusCode, String)> {
    // Applies the route's `DefaultBodyLimit` to the streamed body.
    let mut body = request.with_limited_body().into_body().into_data_stream();
    let mut received: u64 = 0;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(bytes) => received += bytes.len() as u64,
            Err(e) if is_too_large(&e) => {
                return Err((StatusCode::PAYLOAD_TOO_LARGE, format!("{e}\n")));
            }
            Err(e) => return Err((StatusCode::BAD_REQUEST, format!("{e}\n"))),
        }
    }
    Ok(received.to_string())
}

/// Whether a body error is the body limit being exceeded.
fn is_too_large(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

/// The basic routes.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! {
        hello,
        books,
        layer(DefaultBodyLimit::max(UPLOAD_LIMIT)) { upload }
    }
}
