use oxtor::client::Auth;

fn main() {
    let _ = oxtor::http_client! {
        install(Auth { basic { cache_tokens = "no" } })
    };
}
