// A malformed attribute on something that is not a function: both errors are reported.
#[oxtor::route(GET "/books")]
struct Books;

fn main() {}
