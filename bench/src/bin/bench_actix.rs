//! Benchmark baseline (actix-web side of `bench/engine.sh`): the same handlers as `bench_oxtor`
//! (`GET /hello`, `GET /json`, `GET /user/{id}`, `GET /books.json`), hand-written actix-web 4
//! on 127.0.0.1:PORT: `bench_actix [PORT [WORKERS]]` (PORT defaults to 8083, WORKERS, actix's
//! threads each with its own current-thread runtime, to 1).
//!
//! actix-web is the throughput reference among mainstream Rust frameworks; it is a dependency of
//! this unpublished benchmark crate only.
use actix_web::{web, App, HttpResponse, HttpServer, Responder};
use oxtor_bench::Message;

async fn hello() -> &'static str {
    "Hello, world!"
}

async fn json() -> web::Json<Message> {
    web::Json(Message {
        message: "Hello, world!",
        id: 42,
    })
}

async fn user(id: web::Path<String>) -> String {
    format!("Hello, {id}")
}

async fn books() -> impl Responder {
    // The same compiled serialisation as the other sides (see `oxtor_bench`).
    match oxtor_bench::books_json() {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

fn main() -> std::process::ExitCode {
    oxtor_bench::log_like_the_showcase();
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(8083);
    let workers: usize = match args.next().map(|w| w.parse()) {
        None => 1,
        Some(Ok(workers)) if workers > 0 => workers,
        Some(_) => {
            eprintln!("error: WORKERS must be a positive number");
            return std::process::ExitCode::FAILURE;
        }
    };
    let served = actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| {
            App::new()
                .route("/hello", web::get().to(hello))
                .route("/json", web::get().to(json))
                .route("/user/{id}", web::get().to(user))
                .route("/books.json", web::get().to(books))
        })
        .workers(workers)
        .bind(("127.0.0.1", port))?
        .run()
        .await
    });
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
