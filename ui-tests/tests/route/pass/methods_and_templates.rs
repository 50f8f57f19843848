//! Every method, `|` combinations, and the template forms axum 0.8 accepts.
use oxtor::prelude::*;

#[route(GET, "/")]
async fn root() {}

#[route(POST, "/books")]
async fn create(body: String) -> String {
    body
}

#[route(PUT | PATCH, "/books/{id}")]
async fn update(Path(id): Path<u32>, body: String) -> String {
    format!("{id}: {body}")
}

#[route(DELETE, "/shelves/{shelf}/books/{id}")]
async fn delete(Path((shelf, id)): Path<(String, u32)>) -> String {
    format!("{shelf}/{id}")
}

#[route(GET | HEAD, "/static/{*path}")]
async fn asset(Path(path): Path<String>) -> String {
    path
}

#[route(OPTIONS | TRACE | CONNECT, "/files/file-{name}")]
async fn file(Path(name): Path<String>) -> String {
    name
}

#[route(GET, "/{{literal}}/trailing/")]
async fn literal_braces() {}

#[route(GET, r"/raw/{id}")]
async fn raw(Path(id): Path<u64>) -> String {
    id.to_string()
}

fn main() {
    let _: oxtor::routing::Routes = routing! {
        root, create, update, delete, asset, file, literal_braces, raw,
    };
    assert_eq!(<asset as Route<(), _>>::PATH, "/static/{*path}");
    assert_eq!(
        <literal_braces as Route<(), _>>::PATH,
        "/{{literal}}/trailing/"
    );
}
