use oxtor::resources::Resources;

static RES: Resources = oxtor::resources!();

fn main() {
    let _ = RES.files();
}
