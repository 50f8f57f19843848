//! The HTTP client (feature `client`): [`HttpClient`] on hyper-util's pooled client.
//!
//! # Example
//! ```
//! let _ = oxtor_runtime::client::HttpClient::default();
//! ```

/// An HTTP client.
#[derive(Debug, Default, Clone)]
pub struct HttpClient {}
