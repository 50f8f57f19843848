//! A plugin's block whose extension trait is not imported: rustc names the trait to import.
#[oxtor::route(GET, "/slow")]
async fn slow() {}

fn main() {
    let _: oxtor::routing::Routes = oxtor::routing! {
        lifecycle(cancel_call_on_close = false) { slow }
    };
}
