//! The showcase's everyday plugins, as a Ktor module installs them: `CallLogging` (one line per
//! call at `INFO`), `StatusPages` (a bad request answers `400 Bad request: <message>`, a panic
//! answers 500 and leaves the connection up) and `DefaultHeaders` (`Server`, `Date` and
//! `X-Engine: oxtor`). `GET /divide?a=6&b=3` answers `2`; `b=0` or a missing number is a 400
//! through the exception handler: `curl -i 'http://127.0.0.1:8080/divide?a=1&b=0'`.
use std::collections::HashMap;

use http::StatusCode;
use oxtor::{
    exception::{BadRequestException, CallResult},
    plugins::{
        call_logging::CallLogging, default_headers::DefaultHeaders, status_pages::StatusPages,
    },
    prelude::*,
};

/// Installs the plugins; first, so that they wrap every other plugin and route.
pub(crate) fn install(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(CallLogging { level = tracing::Level::INFO }))?;
    // Before StatusPages, so that its answers get the headers too.
    app.install(install!(DefaultHeaders { header("X-Engine", "oxtor") }))?;
    app.install(install!(StatusPages {
        exception(|_call, cause: &BadRequestException| (StatusCode::BAD_REQUEST, format!("Bad request: {cause}")))
    }))
}

fn number(query: &HashMap<String, String>, name: &str) -> CallResult<i64> {
    let value = query
        .get(name)
        .ok_or_else(|| BadRequestException::new(format!("`{name}` is missing")))?;
    Ok(value
        .parse()
        .map_err(|_| BadRequestException::new(format!("`{name}` is not a number")))?)
}

/// `GET /divide?a=6&b=3`: `2`; errors are `BadRequestException`s, answered by `StatusPages`.
#[route(GET, "/divide")]
async fn divide(Query(query): Query<HashMap<String, String>>) -> CallResult<String> {
    let (a, b) = (number(&query, "a")?, number(&query, "b")?);
    let quotient = a
        .checked_div(b)
        .ok_or_else(|| BadRequestException::new("division by zero"))?;
    Ok(quotient.to_string())
}

/// The plugins' route.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! { divide }
}
