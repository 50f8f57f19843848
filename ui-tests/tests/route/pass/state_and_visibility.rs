//! Handlers reading application state, with any visibility, used from another module.
mod handlers {
    use oxtor::prelude::*;

    #[derive(Clone)]
    pub struct Library {
        pub name: String,
    }

    /// Documented handlers keep their docs.
    #[route(GET, "/library")]
    pub async fn library(State(lib): State<Library>) -> String {
        lib.name
    }

    #[route(GET, "/library/{shelf}")]
    pub(crate) async fn shelf(State(lib): State<Library>, Path(shelf): Path<u8>) -> String {
        format!("{} {shelf}", lib.name)
    }
}

use handlers::Library;
use oxtor::prelude::*;

fn main() {
    let mut app = Application::new(Library {
        name: "city".to_owned(),
    });
    app.routing(routing! { handlers::library, handlers::shelf })
        .expect("distinct routes");
    let _: oxtor::axum::Router = app.into_router();
    // The handler is still a plain function.
    let _ = handlers::library(State(Library {
        name: String::new(),
    }));
}
