//! The OAuth 2 flow for one request: read the callback, redirect, or exchange the code.
use std::{
    borrow::Cow,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::body::Body;
use futures_util::future::BoxFuture;
use http::{header, StatusCode};
use oauth2::{
    basic::{
        BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
        BasicTokenIntrospectionResponse, BasicTokenType,
    },
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde_json::Value;

use super::{
    errors::{OAuth2InvalidGrantError, OAuth2RedirectError, OAuth2TokenError},
    http::{TokenHttp, TokenHttpError},
    state::StateCodec,
    Fallback, OAuthAccessTokenResponse, OAuthServerSettings, OnStateCreated, ProviderLookup,
    UrlProvider,
};
use crate::{
    client::HttpClient,
    plugins::auth::{
        AuthCall, AuthContext, AuthError, AuthenticationFailedCause, AuthenticationProvider,
        Challenge, Failure,
    },
};

/// The most of a form callback body read.
const MAX_CALLBACK_FORM: usize = 64 * 1024;

/// Extra token response fields, kept for [`OAuthAccessTokenResponse::extra_parameters`].
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Extra {
    #[serde(flatten)]
    fields: serde_json::Map<String, Value>,
}

impl ExtraTokenFields for Extra {}

type Token = StandardTokenResponse<Extra, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    Token,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

pub(crate) struct Inner {
    pub(crate) settings: Option<OAuthServerSettings>,
    pub(crate) client: HttpClient,
    pub(crate) url_provider: UrlProvider,
    pub(crate) provider_lookup: Option<ProviderLookup>,
    pub(crate) on_state_created: Option<OnStateCreated>,
    pub(crate) fallback: Option<Fallback>,
    pub(crate) codec: StateCodec,
    pub(crate) token_timeout: Duration,
}

/// The provider an `oauth` block registers.
pub(crate) struct OAuthProvider {
    inner: Arc<Inner>,
}

/// What a callback request carries.
enum Callback {
    None,
    Error(OAuth2RedirectError),
    Code { code: String, state: String },
}

/// The settings' URLs parse; `Err((key, message))`.
pub(crate) fn check_settings(s: &OAuthServerSettings) -> Result<(), (&'static str, String)> {
    AuthUrl::new(s.authorize_url.clone())
        .map_err(|e| ("authorize_url", format!("{:?}: {e}", s.authorize_url)))?;
    TokenUrl::new(s.access_token_url.clone())
        .map_err(|e| ("access_token_url", format!("{:?}: {e}", s.access_token_url)))?;
    if s.client_id.is_empty() {
        return Err(("client_id", "is required".into()));
    }
    if s.request_method != http::Method::POST && s.request_method != http::Method::GET {
        return Err((
            "request_method",
            format!("{} is not supported: use POST or GET", s.request_method),
        ));
    }
    Ok(())
}

fn oauth_client(s: &OAuthServerSettings, redirect: &str) -> Result<Client, OAuth2TokenError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        OAuth2TokenError::Request(format!("invalid {what}: {e}"))
    };
    let auth = AuthUrl::new(s.authorize_url.clone()).map_err(|e| bad("authorize_url", &e))?;
    let token =
        TokenUrl::new(s.access_token_url.clone()).map_err(|e| bad("access_token_url", &e))?;
    let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| bad("redirect URL", &e))?;
    let mut client = oauth2::Client::new(ClientId::new(s.client_id.clone()))
        .set_auth_uri(auth)
        .set_token_uri(token)
        .set_redirect_uri(redirect)
        .set_auth_type(if s.access_token_requires_basic_auth {
            AuthType::BasicAuth
        } else {
            AuthType::RequestBody
        });
    if !s.client_secret.is_empty() {
        client = client.set_client_secret(ClientSecret::new(s.client_secret.clone()));
    }
    Ok(client)
}

/// The principal: `answer` is the token endpoint's parameters as read ([`TokenHttp::answer`]);
/// `token_type` and `extra_parameters` come from it as sent, as in Ktor.
fn principal(
    token: &Token,
    answer: serde_json::Map<String, Value>,
    state: String,
) -> OAuthAccessTokenResponse {
    let extra: std::collections::BTreeMap<String, String> = answer
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Number(n) => Some((k, n.to_string())),
            Value::Bool(b) => Some((k, b.to_string())),
            _ => None,
        })
        .collect();
    OAuthAccessTokenResponse {
        access_token: token.access_token().secret().clone(),
        token_type: extra
            .get("token_type")
            .cloned()
            .unwrap_or_else(|| token.token_type().as_ref().to_owned()),
        expires_in: token.expires_in(),
        refresh_token: token.refresh_token().map(|t| t.secret().clone()),
        state: Some(state),
        extra_parameters: extra,
    }
}

/// The authorize redirect's `Location`: `authorize_url` (its own query kept first), then, in
/// Ktor's order, `client_id`, `redirect_uri`, `scope` (the scopes joined by one space; only when
/// there are some), `state`, `response_type=code`, oxtor's PKCE `code_challenge` and
/// `code_challenge_method=S256`, then `extra_auth_parameters` in their order, repeats kept.
/// Names and values are encoded as Ktor's `URLBuilder.parameters` does: only `A-Z a-z 0-9 - . _ ~`
/// stay as they are, a space in a value is `+` (in a name `%20`), anything else `%XX`.
fn authorize_location(
    s: &OAuthServerSettings,
    redirect: &str,
    state: &str,
    challenge: &PkceCodeChallenge,
) -> Result<String, OAuth2TokenError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        OAuth2TokenError::Request(format!("invalid {what}: {e}"))
    };
    let mut url = AuthUrl::new(s.authorize_url.clone())
        .map_err(|e| bad("authorize_url", &e))?
        .url()
        .clone();
    RedirectUrl::new(redirect.to_owned()).map_err(|e| bad("redirect URL", &e))?;
    let scope = s.default_scopes.join(" ");
    let mut params: Vec<(&str, &str)> =
        vec![("client_id", &s.client_id), ("redirect_uri", redirect)];
    if !s.default_scopes.is_empty() {
        params.push(("scope", &scope));
    }
    params.extend([
        ("state", state),
        ("response_type", "code"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", challenge.method().as_str()),
    ]);
    params.extend(
        s.extra_auth_parameters
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let mut query = url.query().unwrap_or("").to_owned();
    for (k, v) in params {
        if !query.is_empty() {
            query.push('&');
        }
        encode_query_component(&mut query, k, false);
        query.push('=');
        encode_query_component(&mut query, v, true);
    }
    url.set_query(Some(&query));
    Ok(url.into())
}

/// Ktor's `encodeURLParameter(spaceToPlus)`: unreserved characters as they are, the rest as
/// `%XX` per UTF-8 byte.
fn encode_query_component(out: &mut String, s: &str, space_to_plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' if space_to_plus => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
}

/// Why an exchange failed.
enum ExchangeError {
    InvalidGrant(OAuth2InvalidGrantError),
    Other(AuthError),
}

impl OAuthProvider {
    pub(crate) fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

impl Inner {
    async fn settings(&self, call: &AuthCall) -> Option<OAuthServerSettings> {
        match &self.provider_lookup {
            Some(lookup) => lookup(call.clone()).await.or_else(|| self.settings.clone()),
            None => self.settings.clone(),
        }
    }

    /// Runs the fallback, then reports the `Error` (no challenge).
    async fn error(&self, call: AuthCall, cause: AuthError) -> Failure {
        if let Some(fallback) = &self.fallback {
            fallback(call, cause.clone()).await;
        }
        Failure::new(AuthenticationFailedCause::Error(cause))
    }

    async fn exchange(
        &self,
        settings: &OAuthServerSettings,
        redirect: &str,
        code: String,
        state: &str,
    ) -> Result<(Token, serde_json::Map<String, Value>), ExchangeError> {
        let other = |e: OAuth2TokenError| ExchangeError::Other(AuthError::from_error(e));
        self.codec
            .verify(&settings.name, state)
            .map_err(|e| ExchangeError::Other(AuthError::from_error(e)))?;
        let client = oauth_client(settings, redirect).map_err(other)?;
        let verifier = PkceCodeVerifier::new(self.codec.pkce_verifier(state));
        let mut request = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier);
        for (k, v) in &settings.extra_token_parameters {
            request = request.add_extra_param(k.as_str(), v.as_str());
        }
        let http = TokenHttp {
            client: &self.client,
            method: settings.request_method.clone(),
            timeout: self.token_timeout,
            answer: Mutex::default(),
        };
        let token = request.request_async(&http).await.map_err(|e| match e {
            RequestTokenError::ServerResponse(e) => match e.error() {
                BasicErrorResponseType::InvalidGrant => {
                    ExchangeError::InvalidGrant(OAuth2InvalidGrantError {
                        error_description: e.error_description().cloned(),
                    })
                }
                code => other(OAuth2TokenError::ErrorResponse {
                    error: code.as_ref().to_owned(),
                    error_description: e.error_description().cloned(),
                }),
            },
            RequestTokenError::Request(e) => other(match e {
                TokenHttpError::Unreachable(m) => OAuth2TokenError::Unreachable(m),
                TokenHttpError::Timeout => OAuth2TokenError::Timeout,
                TokenHttpError::Status(s) => OAuth2TokenError::Status(s),
                TokenHttpError::Unparsable(m) => OAuth2TokenError::Unparsable(m),
                TokenHttpError::MissingAccessToken => OAuth2TokenError::MissingAccessToken,
            }),
            RequestTokenError::Parse(e, _) => other(OAuth2TokenError::Unparsable(e.to_string())),
            RequestTokenError::Other(m) => other(OAuth2TokenError::Unparsable(m)),
        })?;
        let answer = http.answer.into_inner().ok().flatten().unwrap_or_default();
        Ok((token, answer))
    }

    /// The redirect to the authorization server, for a failure with `cause`.
    fn redirect(
        self: &Arc<Self>,
        settings: OAuthServerSettings,
        cause: AuthenticationFailedCause,
    ) -> Failure {
        let inner = self.clone();
        Failure::with_challenge(
            cause,
            Challenge::new(move |call: AuthCall| async move {
                let redirect = (inner.url_provider)(&call);
                let state = inner.codec.issue(&settings.name);
                let verifier = PkceCodeVerifier::new(inner.codec.pkce_verifier(&state));
                let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
                let url = match authorize_location(&settings, &redirect, &state, &challenge) {
                    Ok(url) => url,
                    Err(e) => {
                        tracing::error!(provider = %settings.name, "OAuth settings: {e}");
                        call.respond((
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "OAuth settings are invalid",
                        ));
                        return;
                    }
                };
                if let Some(f) = &inner.on_state_created {
                    f(call.clone(), state.clone()).await;
                }
                call.respond_redirect(&url);
            }),
        )
    }
}

/// Reads the callback from the form body (put back for the route) or the query.
async fn read_callback(cx: &mut AuthContext) -> Result<Callback, AuthError> {
    let is_form = cx
        .request()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let form;
    let params: Cow<'_, [u8]> = if is_form {
        let body = std::mem::take(cx.request_mut().body_mut());
        let bytes = axum::body::to_bytes(body, MAX_CALLBACK_FORM)
            .await
            .map_err(|e| AuthError::new(format!("cannot read the OAuth callback form: {e}")))?;
        *cx.request_mut().body_mut() = Body::from(bytes.clone());
        form = bytes;
        Cow::Borrowed(&form[..])
    } else {
        Cow::Owned(cx.request().uri().query().unwrap_or("").as_bytes().to_vec())
    };
    let (mut error, mut description, mut code, mut state) = (None, None, None, None);
    for (k, v) in oauth2::url::form_urlencoded::parse(&params) {
        let slot = match &*k {
            "error" => &mut error,
            "error_description" => &mut description,
            "code" => &mut code,
            "state" => &mut state,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v.into_owned());
        }
    }
    Ok(match (error, code, state) {
        (Some(error), _, _) => Callback::Error(OAuth2RedirectError {
            error,
            error_description: description,
        }),
        (None, Some(code), Some(state)) => Callback::Code { code, state },
        _ => Callback::None,
    })
}

impl AuthenticationProvider for OAuthProvider {
    fn authenticate<'a>(&'a self, cx: &'a mut AuthContext) -> BoxFuture<'a, Result<(), Failure>> {
        Box::pin(async move {
            let inner = &self.inner;
            let call = cx.call();
            let Some(settings) = inner.settings(&call).await else {
                let cause = AuthError::new("no OAuth 2 server settings for this call");
                return Err(inner.error(call, cause).await);
            };
            let callback = match read_callback(cx).await {
                Ok(c) => c,
                Err(cause) => return Err(inner.error(call, cause).await),
            };
            match callback {
                Callback::None => {
                    Err(inner.redirect(settings, AuthenticationFailedCause::NoCredentials))
                }
                Callback::Error(e) => Err(inner.error(call, AuthError::from_error(e)).await),
                Callback::Code { code, state } => {
                    let redirect = (inner.url_provider)(&call);
                    match inner.exchange(&settings, &redirect, code, &state).await {
                        Ok((token, answer)) => {
                            cx.set_principal(principal(&token, answer, state));
                            Ok(())
                        }
                        Err(ExchangeError::InvalidGrant(e)) => {
                            let cause = AuthError::from_error(e);
                            if let Some(fallback) = &inner.fallback {
                                fallback(call.clone(), cause.clone()).await;
                            }
                            if call.is_handled() {
                                Err(Failure::new(AuthenticationFailedCause::Error(cause)))
                            } else {
                                Err(inner.redirect(
                                    settings,
                                    AuthenticationFailedCause::InvalidCredentials,
                                ))
                            }
                        }
                        Err(ExchangeError::Other(cause)) => Err(inner.error(call, cause).await),
                    }
                }
            }
        })
    }
}
