//! Serving one accepted connection: hooks, the optional stream wrapper (TLS), the disconnect
//! watcher, hyper's `auto` connection (HTTP/1.1 or h2c, upgrades kept), graceful and hard stop.
use std::{net::SocketAddr, sync::Arc};

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::{
    call::{CallService, ConnState},
    hooks::{ConnectionInfo, ConnectionIo, WrappedStream},
    watch::ReadClosedWatcher,
    EngineShared,
};

/// Serves `stream` until the client leaves, the connection is drained, or the server stops.
pub(crate) async fn serve(stream: TcpStream, peer: SocketAddr, shared: Arc<EngineShared>) {
    let id = shared.next_id();
    let info = ConnectionInfo {
        id,
        peer_addr: peer,
        local_addr: stream.local_addr().unwrap_or(shared.local_addr),
    };
    let span = tracing::debug_span!("connection", id, %peer);
    async move {
        let _ = stream.set_nodelay(true);
        shared.hooks.connection_opened(&info);
        let watcher = ReadClosedWatcher::new(&stream);
        match shared.hooks.wrapper.clone() {
            None => {
                let conn = ConnState::new(info.clone(), None);
                drive(TokioIo::new(stream), conn, watcher, &shared).await;
            }
            Some(wrapper) => {
                let wrapped = tokio::time::timeout(
                    shared.handshake_timeout,
                    wrapper.wrap(Box::new(stream), &info),
                )
                .await;
                match wrapped {
                    Ok(Ok(WrappedStream { io, extensions })) => {
                        let ext = (!extensions.is_empty()).then_some(extensions);
                        let conn = ConnState::new(info.clone(), ext);
                        drive(TokioIo::new(io), conn, watcher, &shared).await;
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "stream wrapper failed"),
                    Err(_) => tracing::debug!("stream wrapper timed out"),
                }
            }
        }
        shared.hooks.connection_closed(&info);
        tracing::trace!("connection over");
    }
    .instrument(span)
    .await;
}

impl ConnState {
    fn new(info: ConnectionInfo, extensions: Option<http::Extensions>) -> Self {
        Self {
            info,
            disconnect: CancellationToken::new(),
            extensions,
        }
    }
}

async fn drive<I: ConnectionIo>(
    io: TokioIo<I>,
    conn: ConnState,
    watcher: ReadClosedWatcher,
    shared: &Arc<EngineShared>,
) {
    let conn = Arc::new(conn);
    let disconnect = conn.disconnect.clone();
    let service = CallService {
        shared: shared.clone(),
        conn,
    };
    let http = shared.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(http);
    let closed = watcher.closed();
    tokio::pin!(closed);
    let (mut read_closed, mut draining) = (false, false);
    loop {
        tokio::select! {
            biased;
            res = http.as_mut() => {
                if let Err(e) = res {
                    tracing::debug!(error = %e, "connection error");
                }
                break;
            }
            _ = closed.as_mut(), if !read_closed => {
                read_closed = true;
                tracing::debug!("client closed or reset the connection");
                disconnect.cancel();
            }
            _ = shared.graceful.cancelled(), if !draining => {
                draining = true;
                http.as_mut().graceful_shutdown();
            }
            _ = shared.hard_stop.cancelled() => {
                tracing::debug!("closing the connection: the server stops");
                break;
            }
        }
    }
    // Whatever still runs on this connection has lost its client.
    disconnect.cancel();
}
