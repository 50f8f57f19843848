//! Ktor's `ContentType.defaultForFileExtension`: the extension is everything after the first
//! dot of the file name, tried whole and then from each later dot (`tar.gz`, then `gz`);
//! unknown is `application/octet-stream`; textual types get `; charset=utf-8`, but
//! `application/json` does not.
use std::borrow::Cow;

/// The `Content-Type` for a file name or path.
pub fn content_type(path: &str) -> Cow<'static, str> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut ext = name.find('.').map(|i| &name[i + 1..]);
    while let Some(e) = ext {
        if let Some(mime) = mime_guess::from_ext(e).first_raw() {
            return with_charset(mime);
        }
        ext = e.find('.').map(|i| &e[i + 1..]);
    }
    Cow::Borrowed("application/octet-stream")
}

/// Ktor's rule for which types carry `charset=utf-8`.
fn with_charset(mime: &'static str) -> Cow<'static, str> {
    let textual = mime.starts_with("text/")
        || matches!(
            mime,
            "image/svg+xml"
                | "application/atom+xml"
                | "application/javascript"
                | "application/rss+xml"
                | "application/xml"
                | "application/xml-dtd"
        );
    if textual {
        Cow::Owned(format!("{mime}; charset=utf-8"))
    } else {
        Cow::Borrowed(mime)
    }
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn ktor_table() {
        assert_eq!(content_type("a/test.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type("test.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("test.json"), "application/json");
        assert_eq!(
            content_type("htmx.min.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(content_type("img.PNG"), "image/png");
        assert_eq!(content_type("data.tar.gz"), "application/gzip");
        assert_eq!(content_type("blob.unknownext"), "application/octet-stream");
        assert_eq!(content_type("Makefile"), "application/octet-stream");
    }
}
