use oxtor::resources::Resources;

static RES: Resources = oxtor::resources!("Cargo.toml");

fn main() {
    let _ = RES.files();
}
