//! The showcase's compression part: the whole app is compressed with the seed's
//! `zstd { level = 3 }` plus gzip, deflate and br (zstd preferred when a client accepts several),
//! and `GET /events` is a server-sent event stream opted into compression that sends
//! `data: tick N` once a second, flushed through the coding per event:
//! `curl -N --compressed http://127.0.0.1:8080/events`.
use std::{convert::Infallible, time::Duration};

use axum::response::{
    sse::{Event, Sse},
    IntoResponse,
};
use oxtor::{
    plugins::compression::{CompressEventStream, Compression},
    prelude::*,
};

/// Installs the compression plugin on the whole application.
pub(crate) fn install(app: &mut Application) -> oxtor::Result<()> {
    app.install(install!(Compression {
        zstd { level = 3 }
        brotli { priority = 0.95 }
        gzip { priority = 0.9 }
        deflate { priority = 0.8 }
    }))
}

/// `GET /events`: `data: tick N` once a second, N from 1, compressed and flushed per event.
#[route(GET, "/events")]
async fn events() -> impl IntoResponse {
    let ticks = futures_util::stream::unfold(1u64, |n| async move {
        if n > 1 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let event = Event::default().data(format!("tick {n}"));
        Some((Ok::<_, Infallible>(event), n + 1))
    });
    (CompressEventStream, Sse::new(ticks))
}

/// The compression routes.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! { events }
}
