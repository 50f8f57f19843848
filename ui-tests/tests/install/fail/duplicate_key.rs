use oxtor_ui_tests::toy::*;

fn main() {
    let _ = oxtor::install!(Compression { min_size = 10  zstd { level = 3 }  min_size = 20 });
}
