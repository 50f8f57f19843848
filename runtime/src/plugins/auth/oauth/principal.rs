//! [`OAuthServerSettings`] (Ktor's `OAuth2ServerSettings`) and the principal of a completed
//! flow, [`OAuthAccessTokenResponse`].
use std::{collections::BTreeMap, time::Duration};

use http::Method;

/// Where and how to talk to one authorization server. The static settings of an
/// `oauth("name") { .. }` block fill one; a `provider_lookup` returns one per call.
///
/// ```
/// use oxtor_runtime::plugins::auth::oauth::OAuthServerSettings;
///
/// let github = OAuthServerSettings {
///     name: "github".into(),
///     authorize_url: "https://github.com/login/oauth/authorize".into(),
///     access_token_url: "https://github.com/login/oauth/access_token".into(),
///     client_id: "id".into(),
///     client_secret: "secret".into(),
///     default_scopes: vec!["read:user".into()],
///     ..OAuthServerSettings::default()
/// };
/// assert_eq!(github.request_method, http::Method::POST);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthServerSettings {
    /// The settings' name (binds the `state`: a state issued for one name is rejected by
    /// another).
    pub name: String,
    /// The authorization endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub access_token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// Scopes asked for, joined with spaces in `scope`.
    pub default_scopes: Vec<String>,
    /// Extra query parameters of the authorize redirect (repeated keys allowed).
    pub extra_auth_parameters: Vec<(String, String)>,
    /// Extra parameters of the token request.
    pub extra_token_parameters: Vec<(String, String)>,
    /// Sends the client credentials as HTTP Basic instead of in the form.
    pub access_token_requires_basic_auth: bool,
    /// The token request's method: `POST` with a form body (default, RFC 6749 §3.2) or `GET`
    /// with the parameters in the query (Ktor's old default).
    pub request_method: Method,
}

impl Default for OAuthServerSettings {
    fn default() -> Self {
        Self {
            name: String::new(),
            authorize_url: String::new(),
            access_token_url: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            default_scopes: Vec::new(),
            extra_auth_parameters: Vec::new(),
            extra_token_parameters: Vec::new(),
            access_token_requires_basic_auth: false,
            request_method: Method::POST,
        }
    }
}

impl std::fmt::Debug for OAuthServerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthServerSettings")
            .field("name", &self.name)
            .field("authorize_url", &self.authorize_url)
            .field("access_token_url", &self.access_token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("default_scopes", &self.default_scopes)
            .field("request_method", &self.request_method)
            .finish_non_exhaustive()
    }
}

/// The principal of a completed OAuth 2 flow: the token endpoint's answer (Ktor's
/// `OAuthAccessTokenResponse.OAuth2`). Take it in the route as
/// `Principal<OAuthAccessTokenResponse>`.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthAccessTokenResponse {
    /// `access_token`.
    pub access_token: String,
    /// `token_type` exactly as the server sent it (`Bearer` stays `Bearer`, as in Ktor; token
    /// types are case-insensitive, RFC 6749 §7.1, so compare with `eq_ignore_ascii_case`);
    /// empty when the server sent none.
    pub token_type: String,
    /// `expires_in`, if given.
    pub expires_in: Option<Duration>,
    /// `refresh_token`, if given.
    pub refresh_token: Option<String>,
    /// The callback's `state` (what `on_state_created` saw), to find data stored for the flow.
    pub state: Option<String>,
    /// Every primitive parameter of the answer, as text (the ones above included), as the
    /// server sent it.
    pub extra_parameters: BTreeMap<String, String>,
}

impl std::fmt::Debug for OAuthAccessTokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthAccessTokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
