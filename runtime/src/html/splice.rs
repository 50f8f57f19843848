//! How `html_fragment!` renders a splice `(expr)`: through maud's [`Render`] when the value
//! implements it, else through [`Display`], escaped either way. Chosen at compile time by
//! auto-ref specialisation, as maud's own `html!` does. Named only by generated code.
use std::fmt::{Display, Write};

use maud::{Escaper, Render};

/// A spliced value, borrowed. Generated code calls `(&&Splice(&value)).render_splice(out)`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Splice<'a, T: ?Sized>(pub &'a T);

/// Chosen first (one more auto-ref): the value implements [`Render`].
#[doc(hidden)]
pub trait ViaRender {
    /// Appends the value's markup to `out`.
    fn render_splice(&self, out: &mut String);
}

/// Chosen when the value does not implement [`Render`] but implements [`Display`].
#[doc(hidden)]
pub trait ViaDisplay {
    /// Appends the value's text, escaped, to `out`.
    fn render_splice(&self, out: &mut String);
}

impl<T: Render + ?Sized> ViaRender for &Splice<'_, T> {
    #[inline]
    fn render_splice(&self, out: &mut String) {
        self.0.render_to(out);
    }
}

impl<T: Display + ?Sized> ViaDisplay for Splice<'_, T> {
    #[inline]
    fn render_splice(&self, out: &mut String) {
        // Writing into a `String` cannot fail; a `Display` impl that reports an error leaves
        // what it wrote so far, as maud does.
        let _ = write!(Escaper::new(out), "{}", self.0);
    }
}

#[cfg(test)]
mod tests {
    use maud::PreEscaped;

    use super::*;

    #[test]
    #[allow(clippy::needless_borrow)] // the double reference is the mechanism under test
    fn render_values_are_not_escaped_twice_and_display_values_are_escaped() {
        let mut out = String::new();
        (&&Splice(&PreEscaped("<b>"))).render_splice(&mut out);
        (&&Splice(&"<i>")).render_splice(&mut out);
        (&&Splice(&std::net::Ipv4Addr::LOCALHOST)).render_splice(&mut out);
        (&&Splice(&format_args!("{}<", 1))).render_splice(&mut out);
        assert_eq!(out, "<b>&lt;i&gt;127.0.0.1".to_owned() + "1&lt;");
    }
}
