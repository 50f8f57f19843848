use oxtor_ui_tests::toy::*;

fn main() {
    let _ = oxtor::install!(Compression { zstd { level = "high" } });
}
