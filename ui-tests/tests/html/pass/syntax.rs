//! Every form `html_fragment!` accepts.
#![deny(warnings)]

use oxtor::prelude::*;

struct Widget;

impl Render for Widget {
    fn render_to(&self, out: &mut String) {
        out.push_str("<w/>");
    }
}

fn main() {
    let (on, n, href) = (true, 3, Some("/x"));
    let f: HtmlFragment = html_fragment! {
        "text" 42 1.5 'c' true
        (n) (Widget) (format_args!("{}", n))
        div.a.b[on]."c-d".(n) #main { }
        input type="text" name="q" required disabled[!on] value=(n);
        a href=[href] hx-get="/" hx-on::after-request="x()" x-on:click="y()" @click="z()"
            :class="{a: 1}" "@keyup.enter"="w()" data-x={ "a" (n) } { "link" }
        my-element { }
        svg viewBox="0 0 1 1" { path d="M0 0" {} }
        { "group" }
        @if on { "yes" } @else if n > 1 { "maybe" } @else { "no" }
        @if let Some(h) = href { (h) }
        @for i in 0..n { (i) }
        @let mut k = 0;
        @while k < n { @let _ = { k += 1; }; }
        @match n { 0 => "zero", 1 | 2 => { "few" } _ => (n) }
    };
    let _ = f.into_string();
    let _: HtmlPage = html_page! { html { body { "x" } } };
}
