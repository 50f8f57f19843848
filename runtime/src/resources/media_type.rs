//! Ktor's `ContentType.defaultForFileExtension`: the extension is everything after the first
//! dot of the file name, tried whole and then from each later dot (`tar.gz`, then `gz`),
//! case-insensitively; unknown is `application/octet-stream`; `text/*`, `image/svg+xml`,
//! atom, javascript, rss, xml and xml-dtd get `; charset=utf-8`, but `application/json` does
//! not.
//!
//! Each candidate is looked up in [`KTOR_TYPES`] (where Ktor 3.4.0's first choice differs from
//! `mime_guess`, or is worth pinning) and then in `mime_guess`.
use std::borrow::Cow;

/// Extensions (lower case) whose type is Ktor's first choice rather than `mime_guess`'s.
///
/// `yml` is not in Ktor's table (it would be `application/octet-stream`); oxtor gives it
/// `yaml`'s type, as RFC 9512 registers both extensions.
const KTOR_TYPES: &[(&str, &str)] = &[
    ("dtd", "application/xml-dtd"),
    ("gz", "application/gzip"),
    ("gzip", "application/gzip"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("m4a", "audio/mp4"),
    ("m4v", "video/mp4"),
    ("mjs", "text/javascript"),
    ("otf", "font/otf"),
    ("svg", "image/svg+xml"),
    ("tgz", "application/gnutar"),
    ("ttf", "font/ttf"),
    ("wasm", "application/wasm"),
    ("woff", "font/woff"),
    ("woff2", "font/woff2"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
];

/// The `Content-Type` for a file name or path.
pub fn content_type(path: &str) -> Cow<'static, str> {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut ext = name.find('.').map(|i| &name[i + 1..]);
    while let Some(e) = ext {
        if let Some(mime) = lookup(e) {
            return with_charset(mime);
        }
        ext = e.find('.').map(|i| &e[i + 1..]);
    }
    Cow::Borrowed("application/octet-stream")
}

/// The type for one candidate extension: Ktor's override, else `mime_guess`'s first.
fn lookup(ext: &str) -> Option<&'static str> {
    KTOR_TYPES
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|&(_, mime)| mime)
        .or_else(|| mime_guess::from_ext(ext).first_raw())
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
    use super::{content_type, KTOR_TYPES};

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

    #[test]
    fn ktors_first_choice_wins_over_mime_guess() {
        for (name, expected) in [
            ("logback-test.xml", "application/xml; charset=utf-8"),
            ("app.mjs", "text/javascript; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("f.woff", "font/woff"),
            ("f.woff2", "font/woff2"),
            ("f.otf", "font/otf"),
            ("f.ttf", "font/ttf"),
            ("c.yaml", "application/yaml"),
            ("c.yml", "application/yaml"),
            ("a.m4a", "audio/mp4"),
            ("v.m4v", "video/mp4"),
            ("d.gz", "application/gzip"),
            ("d.gzip", "application/gzip"),
            ("d.tgz", "application/gnutar"),
            ("m.wasm", "application/wasm"),
            ("x.dtd", "application/xml-dtd; charset=utf-8"),
        ] {
            assert_eq!(content_type(name), expected, "{name}");
        }
    }

    #[test]
    fn the_extension_is_case_insensitive_and_starts_at_the_first_dot() {
        assert_eq!(content_type("FONT.WOFF2"), "font/woff2");
        assert_eq!(
            content_type("a/b.c\\Data.XML"),
            "application/xml; charset=utf-8"
        );
        assert_eq!(content_type("dir.d/name"), "application/octet-stream");
        assert_eq!(content_type("archive.v2.tgz"), "application/gnutar");
        assert_eq!(content_type("trailing."), "application/octet-stream");
    }

    #[test]
    fn the_override_table_is_lower_case_and_unique() {
        for (i, (ext, _)) in KTOR_TYPES.iter().enumerate() {
            assert_eq!(*ext, ext.to_ascii_lowercase());
            assert!(KTOR_TYPES[i + 1..].iter().all(|(e, _)| e != ext), "{ext}");
        }
    }
}
