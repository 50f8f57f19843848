use oxtor_ui_tests::toy::*;

fn main() {
    let _ = oxtor::install!(Compression { zsdt { level = 3 } });
}
