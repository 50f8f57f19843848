use oxtor::{html::HtmlPage, html_page};

fn main() {
    // The error is reported once; the page still has its type, so nothing else is reported.
    let page: HtmlPage = html_page! { html { body { hr {} } } };
    let _ = page.as_str();
}
