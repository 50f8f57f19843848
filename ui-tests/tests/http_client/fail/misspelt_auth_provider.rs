use oxtor::client::Auth;

fn main() {
    let _ = oxtor::http_client! {
        install(Auth { baerer { cache_tokens = false } })
    };
}
