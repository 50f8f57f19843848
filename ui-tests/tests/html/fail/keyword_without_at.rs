use oxtor::html_fragment;

fn main() {
    let items = [1, 2];
    let _ = html_fragment! { ul { for i in &items { li { (i) } } } };
}
