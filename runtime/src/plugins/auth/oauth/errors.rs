//! The `Error` causes the OAuth provider reports, each its own type so a `fallback` can tell
//! them apart (`cause.is::<OAuth2RedirectError>()`).
use std::fmt;

/// The authorization server redirected back with `error=` (the user denied access, …).
/// Ktor's `OAuth2RedirectError`; its message is `error: description`, or `error` alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2RedirectError {
    /// The `error` parameter (`access_denied`, …).
    pub error: String,
    /// The `error_description` parameter.
    pub error_description: Option<String>,
}

impl fmt::Display for OAuth2RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.error_description {
            Some(d) => write!(f, "{}: {d}", self.error),
            None => f.write_str(&self.error),
        }
    }
}

impl std::error::Error for OAuth2RedirectError {}

/// The token endpoint answered `invalid_grant` (a bad or used code). The `fallback` sees it
/// first; if it does not respond, the user is sent back to the authorize URL (Ktor main's
/// `OAuth2InvalidGrantError`, KTOR-9523).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuth2InvalidGrantError {
    /// The `error_description`, if any.
    pub error_description: Option<String>,
}

impl fmt::Display for OAuth2InvalidGrantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Failed to request OAuth2 access token: invalid_grant")?;
        if let Some(d) = &self.error_description {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuth2InvalidGrantError {}

/// The code could not be exchanged for a token (Ktor's "Failed to request OAuth2 access token
/// due to …" `Error`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuth2TokenError {
    /// The token endpoint could not be reached (connection refused, TLS, …).
    Unreachable(String),
    /// The token endpoint did not answer in time.
    Timeout,
    /// The token endpoint answered a non-success status without an OAuth `error`.
    Status(u16),
    /// The answer was neither a JSON nor a form token response.
    Unparsable(String),
    /// The answer carried an OAuth `error` (other than `invalid_grant`), whatever its status.
    ErrorResponse {
        /// The `error` code.
        error: String,
        /// The `error_description`.
        error_description: Option<String>,
    },
    /// A success answer without `access_token`.
    MissingAccessToken,
    /// The token request could not be built (a bad URL from `provider_lookup`, …).
    Request(String),
}

impl fmt::Display for OAuth2TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Failed to request OAuth2 access token due to ")?;
        match self {
            Self::Unreachable(e) => write!(f, "the token endpoint being unreachable: {e}"),
            Self::Timeout => f.write_str("a timeout of the token request"),
            Self::Status(s) => write!(f, "the token endpoint answering status {s}"),
            Self::Unparsable(e) => write!(f, "an unparsable token response: {e}"),
            Self::ErrorResponse {
                error,
                error_description,
            } => match error_description {
                Some(d) => write!(f, "{d} (error code = {error})"),
                None => write!(
                    f,
                    "OAuth2 server responded with {error} (error code = {error})"
                ),
            },
            Self::MissingAccessToken => f.write_str("a token response without access_token"),
            Self::Request(e) => write!(f, "an invalid token request: {e}"),
        }
    }
}

impl std::error::Error for OAuth2TokenError {}

/// The `state` of a callback failed verification: never a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuth2StateError {
    /// Not a state this provider issues.
    Malformed,
    /// Its signature does not match (another key, another provider, or tampered with).
    Forged,
    /// Older than the provider's `state_ttl`.
    Expired,
    /// Already used on this instance.
    Replayed,
}

impl fmt::Display for OAuth2StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "OAuth2 state verification failed: malformed state",
            Self::Forged => "OAuth2 state verification failed: bad signature",
            Self::Expired => "OAuth2 state verification failed: expired state",
            Self::Replayed => "OAuth2 state verification failed: state already used",
        })
    }
}

impl std::error::Error for OAuth2StateError {}
