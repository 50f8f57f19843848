//! Resource paths: Ktor's normalisation (`/` and `\` separate segments, empty and `.` segments
//! are dropped, a `..` segment is an error), so a leading `/` is harmless and nothing can climb
//! out of the embedded folder.
use super::ResourceError;

/// The normalised segments of `path` joined by `/`; `..` anywhere is
/// [`ResourceError::Traversal`].
pub(crate) fn normalize(path: &str) -> Result<String, ResourceError> {
    let mut out = String::with_capacity(path.len());
    for segment in path.split(['/', '\\']) {
        match segment {
            "" | "." => {}
            ".." => {
                return Err(ResourceError::Traversal {
                    path: path.to_owned(),
                })
            }
            segment => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(segment);
            }
        }
    }
    Ok(out)
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

    #[test]
    fn leading_slashes_dots_and_backslashes_are_normalised() {
        assert_eq!(
            normalize("/public//./css\\app.css").as_deref(),
            Ok("public/css/app.css")
        );
        assert_eq!(normalize("").as_deref(), Ok(""));
    }

    #[test]
    fn a_dot_dot_segment_is_traversal() {
        for path in ["../x", "a/../b", "a\\..\\b", ".."] {
            assert!(
                matches!(normalize(path), Err(ResourceError::Traversal { .. })),
                "{path}"
            );
        }
        assert_eq!(normalize("a..b/..c").as_deref(), Ok("a..b/..c"));
    }

    #[test]
    fn a_package_is_split_on_dots_and_slashes() {
        assert_eq!(
            in_package("x.txt", "com.example").as_deref(),
            Ok("com/example/x.txt")
        );
        assert_eq!(in_package("x.txt", "").as_deref(), Ok("x.txt"));
        assert!(in_package("x.txt", "com..").is_ok());
    }
}
