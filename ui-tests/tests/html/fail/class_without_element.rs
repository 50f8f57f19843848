use oxtor::html_fragment;

fn main() {
    let _ = html_fragment! { .books { "a" } };
}
