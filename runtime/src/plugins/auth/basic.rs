//! The Basic provider (RFC 7617; Ktor's `basic`): `Authorization: Basic base64(user:password)`,
//! decoded as UTF-8.
//!
//! No `Authorization` header, another scheme, or a value that is not base64 of UTF-8
//! `user:password` → `NoCredentials`; `validate` returning `None` → `InvalidCredentials`.
//! Either way the challenge answers `401` with
//! `WWW-Authenticate: Basic realm="<realm>", charset="UTF-8"`.
//!
//! # Example
//! ```
//! use oxtor_runtime::plugins::auth::{Authentication, UserIdPrincipal};
//!
//! let auth = Authentication::configure(|cfg| {
//!     cfg.basic("b", |cfg| {
//!         cfg.realm("Access to the '/' path");
//!         cfg.validate(|c| async move {
//!             (c.name == "jetbrains" && c.password == "foobar").then(|| UserIdPrincipal::new(c.name))
//!         });
//!     });
//! });
//! assert!(auth.is_ok());
//! ```
use std::{future::Future, sync::Arc};

use axum::extract::Request;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use http::{header, HeaderValue};

use super::{
    context::{AuthenticationFailedCause, Failure},
    validate::{www_authenticate, Scheme, Validate},
    AuthenticationProvider,
};
use crate::ConfigError;

/// A user name and password (Ktor's `UserPasswordCredential`).
#[derive(Clone, PartialEq, Eq)]
pub struct UserPasswordCredential {
    /// The user name.
    pub name: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for UserPasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserPasswordCredential")
            .field("name", &self.name)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// The configuration of a `basic("name") { .. }` provider. See the [module docs](self).
pub struct BasicConfig {
    path: String,
    realm: String,
    validate: Option<Validate<BasicScheme>>,
}

impl std::fmt::Debug for BasicConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicConfig")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl BasicConfig {
    pub(crate) fn new(path: String) -> Self {
        Self {
            path,
            realm: "Ktor Server".to_owned(),
            validate: None,
        }
    }

    /// The realm in the challenge (default `Ktor Server`, as Ktor).
    pub fn realm(&mut self, realm: impl Into<String>) -> &mut Self {
        self.realm = realm.into();
        self
    }

    /// Checks credentials: `|credential| async move { .. }` returning `Some(principal)` or
    /// `None`. Required.
    pub fn validate<F, Fut, T>(&mut self, validate: F) -> &mut Self
    where
        F: Fn(UserPasswordCredential) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Option<T>> + Send + 'static,
        T: Clone + Send + Sync + 'static,
    {
        self.validate = Some(Validate::new(validate));
        self
    }

    pub(crate) fn build(self) -> Result<Arc<dyn AuthenticationProvider>, ConfigError> {
        let validate = self.validate.ok_or_else(|| {
            ConfigError::new(
                format!("{}.validate", self.path),
                "Basic authentication requires a validate() function to be configured",
            )
        })?;
        let challenge = format!(
            "Basic realm=\"{}\", charset=\"UTF-8\"",
            escape_quoted(&self.realm)
        );
        let challenge = HeaderValue::try_from(challenge).map_err(|_| {
            ConfigError::new(
                format!("{}.realm", self.path),
                "the realm must be visible ASCII text",
            )
        })?;
        Ok(validate.provider(BasicScheme { challenge }))
    }
}

/// `"` and `\` escaped for a quoted-string (RFC 9110 §5.6.4).
pub(crate) fn escape_quoted(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// `Authorization: Basic ..`, challenged with `WWW-Authenticate: Basic realm=..`.
pub(crate) struct BasicScheme {
    challenge: HeaderValue,
}

/// The credentials of `Authorization: Basic ..`, if the header is one and decodes.
pub(crate) fn basic_credentials(value: &HeaderValue) -> Option<UserPasswordCredential> {
    let value = value.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(rest.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (name, password) = decoded.split_once(':')?;
    Some(UserPasswordCredential {
        name: name.to_owned(),
        password: password.to_owned(),
    })
}

impl Scheme for BasicScheme {
    type Credential = UserPasswordCredential;

    fn credential(
        &self,
        request: &Request,
    ) -> Result<UserPasswordCredential, AuthenticationFailedCause> {
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(basic_credentials)
            .ok_or(AuthenticationFailedCause::NoCredentials)
    }

    fn failure(&self, cause: AuthenticationFailedCause) -> Failure {
        www_authenticate(&self.challenge, cause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_credentials_decode() {
        let v = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("jürgen:pässword:x")))
            .unwrap();
        let c = basic_credentials(&v).unwrap();
        assert_eq!(
            (c.name.as_str(), c.password.as_str()),
            ("jürgen", "pässword:x")
        );
    }

    #[test]
    fn other_scheme_or_bad_base64_is_no_credentials() {
        assert!(basic_credentials(&HeaderValue::from_static("Bearer abc")).is_none());
        assert!(basic_credentials(&HeaderValue::from_static("Basic !!!")).is_none());
        let no_colon =
            HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("user"))).unwrap();
        assert!(basic_credentials(&no_colon).is_none());
    }
}
