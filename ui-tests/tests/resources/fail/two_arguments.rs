use oxtor::resources::Resources;

static RES: Resources = oxtor::resources!("src", "tests");

fn main() {
    let _ = RES.files();
}
