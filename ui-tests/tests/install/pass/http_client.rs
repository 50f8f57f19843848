//! `http_client!` with every form of the client DSL: engine keys, `default_request` with and
//! without `replace = ..`, a plugin block as an argument, and a captured variable.
use oxtor::client::DefaultRequest;

fn main() -> Result<(), oxtor::client::ClientError> {
    let base = String::from("http://api.example/v1/");
    let client = oxtor::http_client! {
        engine { max_conn_total = 10_000  max_conn_per_route = 1_000 }
        default_request { header("x-dropped", "1") }
        default_request(replace = true) { url(&base) }
        install(DefaultRequest { header("x-chained", "2") }),
        default_request(replace = false) {}
    }?;
    assert_eq!(client.engine_config().max_conn_total, 10_000);
    assert_eq!(client.engine_config().max_conn_per_route, 1_000);

    let request = client.get("books").prepared()?;
    assert_eq!(request.url_ref().to_string(), "http://api.example/v1/books");
    assert_eq!(request.headers_ref().get("x-dropped"), None);
    assert_eq!(request.headers_ref().get("x-chained"), Some("2"));

    let defaults = oxtor::http_client! {}?;
    assert_eq!(defaults.engine_config().max_conn_total, 1000);
    Ok(())
}
