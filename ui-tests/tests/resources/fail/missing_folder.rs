use oxtor::resources::Resources;

static RES: Resources = oxtor::resources!("no/such/folder");

fn main() {
    let _ = RES.files();
}
