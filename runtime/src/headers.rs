//! Header helpers: [`HeaderMapExt`] on [`http::HeaderMap`].
//!
//! # Example
//! ```
//! use oxtor_runtime::headers::HeaderMapExt;
//! let headers = http::HeaderMap::new();
//! assert_eq!(headers.get_split_values("x-none"), None);
//! ```

/// Extension methods on [`http::HeaderMap`].
pub trait HeaderMapExt {
    /// Every value of header `name` split on `,` outside quotes (Ktor's `getSplitValues`).
    fn get_split_values(&self, name: &str) -> Option<Vec<String>>;
}

impl HeaderMapExt for http::HeaderMap {
    fn get_split_values(&self, name: &str) -> Option<Vec<String>> {
        let mut values = self.get_all(name).iter().peekable();
        values.peek()?;
        Some(
            values
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }
}
