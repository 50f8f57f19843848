//! oauth2's [`AsyncHttpClient`] on oxtor's [`HttpClient`], with Ktor's reading of the token
//! endpoint's answer.
//!
//! oauth2 sends a form `POST` and expects an RFC 6749 JSON answer. Ktor reads more, so this
//! adapter normalises the answer before oauth2 parses it:
//! - a form body (`application/x-www-form-urlencoded`, or a body that looks like one) or a JSON
//!   one (by type, or by looking like `{..}`) is read; anything else is
//!   [`Unparsable`](TokenHttpError::Unparsable);
//! - an `error` parameter wins over the status (Ktor checks it first), and reaches oauth2 as
//!   an RFC error answer;
//! - then a non-success status is [`Status`](TokenHttpError::Status), a missing `access_token`
//!   is [`MissingAccessToken`](TokenHttpError::MissingAccessToken);
//! - `expires_in` given as a string becomes a number; only primitive values are kept (as Ktor).
//!
//! With `request_method = GET` (Ktor's old default) the form is sent as the URL query instead.
use std::{sync::Mutex, time::Duration};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::{header, HeaderValue, Method, StatusCode};
use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use crate::client::{ClientError, HttpClient, RequestBody, TimeoutKind};

/// The most of a token response read.
const MAX_TOKEN_RESPONSE: usize = 1024 * 1024;

/// Why the token endpoint's answer is not a token response.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenHttpError {
    #[error("{0}")]
    Unreachable(String),
    #[error("timeout")]
    Timeout,
    #[error("status {0}")]
    Status(u16),
    #[error("{0}")]
    Unparsable(String),
    #[error("missing access_token")]
    MissingAccessToken,
}

impl From<ClientError> for TokenHttpError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Timeout(
                TimeoutKind::Request | TimeoutKind::Socket | TimeoutKind::Connect,
            ) => Self::Timeout,
            other => Self::Unreachable(other.to_string()),
        }
    }
}

/// The adapter: one per token request.
pub(crate) struct TokenHttp<'a> {
    pub(crate) client: &'a HttpClient,
    pub(crate) method: Method,
    pub(crate) timeout: Duration,
    /// The parameters of a successful answer as read, before oauth2 parses them (oauth2
    /// lower-cases `token_type`; Ktor's principal keeps every parameter as sent).
    pub(crate) answer: Mutex<Option<Map<String, Value>>>,
}

impl<'c> AsyncHttpClient<'c> for TokenHttp<'_> {
    type Error = TokenHttpError;
    type Future = BoxFuture<'c, Result<HttpResponse, TokenHttpError>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut url = parts.uri.to_string();
            let get = self.method == Method::GET;
            if get && !body.is_empty() {
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&String::from_utf8_lossy(&body));
            }
            let method = if get { Method::GET } else { parts.method };
            let statement = self.client.request(method, &url).with(|r| {
                for (name, value) in &parts.headers {
                    if get && name == header::CONTENT_TYPE {
                        continue;
                    }
                    if let Ok(v) = value.to_str() {
                        r.headers(|h| {
                            h.set(name.as_str(), v);
                        });
                    }
                }
                // Ktor's Accept: both answers are read.
                r.headers(|h| {
                    h.set(
                        "accept",
                        "application/json,application/x-www-form-urlencoded",
                    );
                });
                if !get {
                    r.body(RequestBody::Bytes(Bytes::from(body)));
                }
                r.timeout(self.timeout);
            });
            let response = statement.send().await?;
            let status = response.status();
            let content_type = response
                .header(header::CONTENT_TYPE.as_str())
                .map(str::to_ascii_lowercase);
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(chunk) = body.chunk().await? {
                if bytes.len() + chunk.len() > MAX_TOKEN_RESPONSE {
                    return Err(TokenHttpError::Unparsable(
                        "token response larger than 1 MiB".into(),
                    ));
                }
                bytes.extend_from_slice(&chunk);
            }
            let (response, read) = read_answer(status, content_type.as_deref(), &bytes)?;
            if let (Some(fields), Ok(mut answer)) = (read, self.answer.lock()) {
                *answer = Some(fields);
            }
            Ok(response)
        })
    }
}

/// Reads the answer as Ktor does and rewrites it as the RFC 6749 JSON oauth2 parses.
#[cfg(test)]
pub(crate) fn normalise(
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<HttpResponse, TokenHttpError> {
    read_answer(status, content_type, body).map(|(response, _)| response)
}

/// As `normalise`, with the parameters of a token answer as the server sent them (before the
/// `token_type` oauth2 requires is filled in when absent), for the principal.
fn read_answer(
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(HttpResponse, Option<Map<String, Value>>), TokenHttpError> {
    let essence = content_type.map(|ct| ct.split(';').next().unwrap_or("").trim().to_owned());
    let text = std::str::from_utf8(body).map_err(|_| {
        if status.is_success() {
            TokenHttpError::Unparsable("token response is not UTF-8".into())
        } else {
            TokenHttpError::Status(status.as_u16())
        }
    })?;
    let trimmed = text.trim();
    let parsed = match essence.as_deref() {
        Some("application/json") => parse_json(trimmed),
        Some(ct) if ct.ends_with("+json") => parse_json(trimmed),
        Some("application/x-www-form-urlencoded") => Ok(parse_form(trimmed)),
        _ if trimmed.starts_with('{') && trimmed.ends_with('}') => parse_json(trimmed),
        _ if looks_like_form(trimmed) => Ok(parse_form(trimmed)),
        _ => Err(TokenHttpError::Unparsable(format!(
            "unsupported content type {}",
            content_type.unwrap_or("(none)")
        ))),
    };
    let mut fields = match parsed {
        Ok(f) => f,
        // A failure status whose body is not a token answer is the status.
        Err(_) if !status.is_success() => return Err(TokenHttpError::Status(status.as_u16())),
        Err(e) => return Err(e),
    };
    let error = fields.contains_key("error");
    let answer = (!error).then(|| fields.clone());
    if !error {
        if !status.is_success() {
            return Err(TokenHttpError::Status(status.as_u16()));
        }
        if !matches!(fields.get("access_token"), Some(Value::String(t)) if !t.is_empty()) {
            return Err(TokenHttpError::MissingAccessToken);
        }
        if let Some(Value::String(s)) = fields.get("expires_in") {
            let n = s.trim().parse::<u64>().map_err(|_| {
                TokenHttpError::Unparsable(format!("expires_in is not a number: {s:?}"))
            })?;
            fields.insert("expires_in".into(), Value::from(n));
        }
        match fields.get("token_type") {
            // Kept as text, as sent (Ktor reads every primitive as its text).
            Some(Value::String(_)) => {}
            Some(Value::Number(n)) => {
                let text = n.to_string();
                fields.insert("token_type".into(), Value::String(text));
            }
            _ => {
                fields.insert("token_type".into(), Value::String(String::new()));
            }
        }
    }
    let json =
        serde_json::to_vec(&fields).map_err(|e| TokenHttpError::Unparsable(e.to_string()))?;
    let mut response = HttpResponse::new(json);
    *response.status_mut() = if error {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok((response, answer))
}

fn parse_json(text: &str) -> Result<Map<String, Value>, TokenHttpError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| TokenHttpError::Unparsable(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(TokenHttpError::Unparsable(
            "token response is not a JSON object".into(),
        ));
    };
    // Only primitive values are kept, as strings or numbers (Ktor keeps primitives only).
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(_) | Value::Number(_) => Some((k, v)),
            Value::Bool(b) => Some((k, Value::String(b.to_string()))),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        })
        .collect())
}

fn parse_form(text: &str) -> Map<String, Value> {
    let mut map = Map::new();
    for (k, v) in oauth2::url::form_urlencoded::parse(text.as_bytes()) {
        // The first value of a repeated key wins.
        map.entry(k.into_owned())
            .or_insert_with(|| Value::String(v.into_owned()));
    }
    map
}

/// `k=v&k2=v2`, as Ktor's guess.
fn looks_like_form(text: &str) -> bool {
    !text.is_empty()
        && text.split('&').all(|pair| {
            let (k, _) = pair.split_once('=').unwrap_or((pair, ""));
            pair.contains('=')
                && !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.%+".contains(&b))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &HttpResponse) -> Value {
        serde_json::from_slice(r.body()).unwrap()
    }

    #[test]
    fn form_answer_becomes_json_with_numeric_expiry() {
        let r = normalise(
            StatusCode::OK,
            Some("application/x-www-form-urlencoded"),
            b"access_token=a1&token_type=bearer&expires_in=3600&x=y",
        )
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            body(&r),
            serde_json::json!({"access_token":"a1","token_type":"bearer","expires_in":3600,"x":"y"})
        );
    }

    #[test]
    fn error_inside_a_200_is_an_error_answer() {
        let r = normalise(StatusCode::OK, None, b"error=Invalid+response%21").unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(body(&r)["error"], "Invalid response!");
    }

    #[test]
    fn json_non_primitives_are_dropped() {
        let r = normalise(
            StatusCode::OK,
            Some("application/json; charset=utf-8"),
            br#"{"access_token":"a","token_type":"Bearer","obj":{"a":1},"n":null}"#,
        )
        .unwrap();
        assert_eq!(
            body(&r),
            serde_json::json!({"access_token":"a","token_type":"Bearer"})
        );
    }

    #[test]
    fn failure_status_without_error_is_the_status() {
        assert!(matches!(
            normalise(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("text/html"),
                b"<h1>oops</h1>"
            ),
            Err(TokenHttpError::Status(500))
        ));
        assert!(matches!(
            normalise(StatusCode::NOT_FOUND, Some("application/json"), b"{}"),
            Err(TokenHttpError::Status(404))
        ));
    }

    #[test]
    fn unknown_body_is_unparsable_and_missing_token_is_reported() {
        assert!(matches!(
            normalise(StatusCode::OK, Some("text/plain"), b"hello world"),
            Err(TokenHttpError::Unparsable(_))
        ));
        assert!(matches!(
            normalise(
                StatusCode::OK,
                Some("application/json"),
                br#"{"token_type":"bearer"}"#
            ),
            Err(TokenHttpError::MissingAccessToken)
        ));
    }
}
