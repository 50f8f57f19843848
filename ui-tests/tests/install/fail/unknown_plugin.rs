#[allow(unused_imports)] // the plugin is misspelt on purpose
use oxtor_ui_tests::toy::*;

fn main() {
    let _ = oxtor::install!(Compresion { min_size = 10 });
}
