//! Resource paths, normalised as Ktor's `normalizePathComponents`, so a leading `/` is harmless
//! and nothing can climb out of the embedded folder:
//!
//! - `/` and `\` separate segments; a `..` segment anywhere is an error (checked on the path as
//!   given, before anything is dropped or trimmed);
//! - empty, `.` and `~` segments are dropped, and so are the Windows device names `CON`, `PRN`,
//!   `AUX`, `NUL`, `COM1`–`COM9` and `LPT1`–`LPT9` (the whole segment, any case: `con.txt` is
//!   kept);
//! - the reserved characters ``\ / : * ? " < > |`` and control characters (below U+0020) are
//!   removed from each segment, then trailing dots and spaces are trimmed, and a segment left
//!   empty is dropped. A normalised segment never ends in `.`, so it is never `.` or `..`:
//!   `. .`, `.. ` or `..*` are dropped, not turned into traversal.
use super::ResourceError;

/// Segments dropped whole, compared ASCII case-insensitively.
const DEVICE_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Characters removed from every segment (besides control characters).
const RESERVED_CHARS: [char; 9] = ['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// The normalised segments of `path` joined by `/`; a `..` segment anywhere is
/// [`ResourceError::Traversal`].
pub(crate) fn normalize(path: &str) -> Result<String, ResourceError> {
    if path.split(['/', '\\']).any(|segment| segment == "..") {
        return Err(ResourceError::Traversal {
            path: path.to_owned(),
        });
    }
    let mut out = String::with_capacity(path.len());
    for segment in path.split(['/', '\\']).filter_map(normalize_segment) {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&segment);
    }
    Ok(out)
}

/// One segment (not `..`) normalised, or `None` when it is dropped.
fn normalize_segment(segment: &str) -> Option<String> {
    if matches!(segment, "" | "." | "~")
        || DEVICE_NAMES
            .iter()
            .any(|name| name.eq_ignore_ascii_case(segment))
    {
        return None;
    }
    let mut kept: String = segment
        .chars()
        .filter(|&c| c >= ' ' && !RESERVED_CHARS.contains(&c))
        .collect();
    let len = kept.trim_end_matches([' ', '.']).len();
    kept.truncate(len);
    // Trimmed of trailing dots, the segment cannot be `.` or `..`.
    (!kept.is_empty()).then_some(kept)
}

/// `package` (Ktor's `resourcePackage`, split on `.`, `/` and `\`) followed by `path`.
pub(crate) fn in_package(path: &str, package: &str) -> Result<String, ResourceError> {
    let package = normalize(&package.replace('.', "/"))?;
    let path = normalize(path)?;
    Ok(match (package.is_empty(), path.is_empty()) {
        (true, _) => path,
        (false, true) => package,
        (false, false) => format!("{package}/{path}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(path: &str) -> String {
        normalize(path).expect("not traversal")
    }

    #[test]
    fn leading_slashes_dots_and_backslashes_are_normalised() {
        assert_eq!(norm("/public//./css\\app.css"), "public/css/app.css");
        assert_eq!(norm(""), "");
    }

    #[test]
    fn a_dot_dot_segment_is_traversal() {
        for path in ["../x", "a/../b", "a\\..\\b", "..", "~/../x", "CON/../x"] {
            assert!(
                matches!(normalize(path), Err(ResourceError::Traversal { .. })),
                "{path}"
            );
        }
        assert_eq!(norm("a..b/..c"), "a..b/..c");
    }

    #[test]
    fn tilde_segments_are_dropped() {
        assert_eq!(norm("~/testdir/test.html"), "testdir/test.html");
        assert_eq!(norm("a/~/~/b"), "a/b");
        assert_eq!(norm("~test/~~"), "~test/~~");
    }

    #[test]
    fn device_names_are_dropped_in_any_case() {
        for name in [
            "CON", "con", "Prn", "aux", "NUL", "com1", "COM9", "lpt1", "Lpt9",
        ] {
            assert_eq!(norm(&format!("{name}/a/{name}")), "a", "{name}");
        }
        // Only the whole segment: Ktor keeps these.
        assert_eq!(
            norm("con.txt/COM10/LPT0/CONSOLE"),
            "con.txt/COM10/LPT0/CONSOLE"
        );
    }

    #[test]
    fn reserved_and_control_characters_are_removed() {
        assert_eq!(norm("a:b/c*d?e/\"f\"<g>|h"), "ab/cde/fgh");
        assert_eq!(norm("a\0b/c\x1fd/\t/e\x7f"), "ab/cd/e\x7f");
        assert_eq!(norm("C:/windows"), "C/windows");
        assert_eq!(norm("*/?/a"), "a");
    }

    #[test]
    fn trailing_dots_and_spaces_are_trimmed() {
        assert_eq!(norm("testdir/test.html."), "testdir/test.html");
        assert_eq!(norm("a./b  /c. . /d . ."), "a/b/c/d");
        assert_eq!(norm(" a/b"), " a/b");
    }

    #[test]
    fn trimming_never_makes_a_dot_dot() {
        for path in [
            ". ./x", ".. /x", " ../x", "...", "..*/x", "..:/x", ". . ./x", ".\0./x",
        ] {
            let out = norm(path);
            assert!(
                !out.split('/').any(|s| s == ".." || s == "."),
                "{path}: {out}"
            );
            assert_eq!(out.trim_end_matches('x'), "", "{path}: {out}");
        }
    }

    #[test]
    fn a_package_is_split_on_dots_and_slashes() {
        assert_eq!(
            in_package("x.txt", "com.example").as_deref(),
            Ok("com/example/x.txt")
        );
        assert_eq!(in_package("x.txt", "").as_deref(), Ok("x.txt"));
        assert!(in_package("x.txt", "com..").is_ok());
        assert_eq!(
            in_package("~/x.txt.", "com.CON").as_deref(),
            Ok("com/x.txt")
        );
    }
}
