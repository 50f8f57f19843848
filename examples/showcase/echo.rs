//! `POST /echo/stream`: answers `server: <line>\n` for each request line as soon as it arrives,
//! so a duplex HTTP/2 client (`cargo run --example client`) can talk to it line by line.
use axum::{
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::StreamExt;
use oxtor::prelude::*;

/// Streams back `server: <line>\n` per line of the request body, as each line completes.
#[route(POST, "/echo/stream")]
async fn echo_stream(body: Body) -> Response {
    let mut input = body.into_data_stream();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, axum::Error>>(16);
    tokio::spawn(async move {
        let mut pending: Vec<u8> = Vec::new();
        while let Some(chunk) = input.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                let mut line = b"server: ".to_vec();
                line.extend(pending.drain(..=end));
                if tx.send(Ok(Bytes::from(line))).await.is_err() {
                    return;
                }
            }
        }
        if !pending.is_empty() {
            let mut line = b"server: ".to_vec();
            line.append(&mut pending);
            line.push(b'\n');
            let _ = tx.send(Ok(Bytes::from(line))).await;
        }
    });
    let output = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::from_stream(output),
    )
        .into_response()
}

/// The echo route.
pub(crate) fn routes() -> oxtor::routing::Routes {
    routing! { echo_stream }
}
