use oxtor::html_fragment;

fn main() {
    let _ = html_fragment! { a "on click"="x()" "x>"="y" {} };
}
