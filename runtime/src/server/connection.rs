//! Serving one accepted connection: hooks, the optional stream wrapper (TLS), the disconnect
//! watcher, hyper's `auto` connection (HTTP/1.1 or h2c, upgrades kept), graceful and hard stop.
use std::{future::Future, net::SocketAddr, sync::Arc, task::Poll};

use hyper_util::rt::TokioIo;
use tokio::{net::TcpStream, sync::OwnedSemaphorePermit};
use tracing::Instrument;

use super::{
    call::{connection_extensions, CallAborted, CallService, ConnState},
    control::{Registration, Registry},
    executor::Deferred,
    hooks::{BoxedIo, ConnectionInfo, ConnectionIo, StreamWrapper, WrappedStream},
    watch::ReadClosedWatcher,
    EngineShared,
};

/// Serves `stream` until the client leaves, the connection times out or is drained, or the
/// server stops; `permit` (one of `max_connections`) is given back then.
pub(crate) async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<EngineShared>,
    connector_wrapper: Option<Arc<dyn StreamWrapper>>,
    permit: OwnedSemaphorePermit,
) {
    let id = shared.next_id();
    let info = ConnectionInfo {
        id,
        peer_addr: peer,
        local_addr: stream.local_addr().unwrap_or(shared.local_addr),
    };
    let span = tracing::debug_span!("connection", id, %peer);
    let serve = async move {
        let _ = stream.set_nodelay(true);
        tracing::trace!("connection accepted");
        shared.hooks.connection_opened(&info);
        match (connector_wrapper, shared.hooks.wrapper.clone()) {
            (None, None) => {
                let watcher = ReadClosedWatcher::of_plain(&stream);
                let extensions = connection_extensions(&info, None);
                let conn = ConnState::new(&shared, &info);
                drive(TokioIo::new(stream), conn, extensions, watcher, &shared, id).await;
            }
            (first, second) => {
                let watcher = ReadClosedWatcher::new(&stream);
                let wrapped = tokio::time::timeout(
                    shared.handshake_timeout,
                    wrap_all(Box::new(stream), &info, [first, second]),
                )
                .await;
                match wrapped {
                    Ok(Ok(WrappedStream { io, extensions })) => {
                        let extensions = connection_extensions(&info, Some(extensions));
                        let conn = ConnState::new(&shared, &info);
                        drive(TokioIo::new(io), conn, extensions, watcher, &shared, id).await;
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "stream wrapper failed"),
                    Err(_) => tracing::debug!("stream wrapper timed out"),
                }
            }
        }
        shared.hooks.connection_closed(&info);
        drop(permit);
        tracing::trace!("connection over");
    };
    // A disabled span would still be entered and left at each poll of the connection.
    if span.is_disabled() {
        serve.await;
    } else {
        serve.instrument(span).await;
    }
}

async fn drive<I: ConnectionIo>(
    io: TokioIo<I>,
    conn: ConnState,
    extensions: http::Extensions,
    watcher: ReadClosedWatcher,
    shared: &Arc<EngineShared>,
    id: u64,
) {
    let conn = Arc::new(conn);
    let disconnect = conn.disconnect.clone();
    let control = conn.control.clone();
    if let Some(deadlines) = &shared.deadlines {
        deadlines.connection_opened(&control);
    }
    shared.registry.insert(id, control.clone());
    Registry::catch_up(
        &control,
        shared.graceful.is_cancelled(),
        shared.hard_stop.is_cancelled(),
    );
    let service = CallService::new(shared.clone(), conn, extensions);
    let http = shared.builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(http);
    let closed = watcher.closed(&control);
    tokio::pin!(closed);
    let (mut read_closed, mut draining) = (false, false);
    let mut registration = Registration::default();
    let mut deferred = Deferred::for_current_runtime();
    // One hand-written poll: a few atomic flags (shutdown, and the disconnect watch once someone
    // listens; one load), then hyper's connection; nothing else runs on a request's hot path.
    std::future::poll_fn(|cx| {
        let flags = control.poll_flags(&mut registration, cx);
        if flags.http1() {
            deferred.http1();
        }
        if flags.hard_stop() {
            tracing::debug!("closing the connection: the server stops or it timed out");
            return Poll::Ready(());
        }
        if (flags.graceful() || flags.timed_out()) && !draining {
            if flags.timed_out() {
                tracing::debug!("closing the connection: no request in time");
            }
            draining = true;
            http.as_mut().graceful_shutdown();
        }
        // (The watch starts only once its flag is up: until then its future is not polled.)
        if !read_closed && flags.watch() && closed.as_mut().poll(cx).is_ready() {
            read_closed = true;
            tracing::debug!("client closed or reset the connection");
            disconnect.cancel();
        }
        // hyper's connection, then the HTTP/2 streams it accepted meanwhile (polled once
        // each), then hyper again to send what they answered; a few rounds, then the task
        // yields to others (see `executor`).
        for _ in 0..MAX_ROUNDS {
            let polled = deferred.collect(|| http.as_mut().poll(cx));
            let ran = deferred.run();
            match polled {
                Poll::Ready(Err(e)) => {
                    if is_aborted_call(&*e) {
                        tracing::debug!(
                            "connection closed: a call was aborted (its client went away)"
                        );
                    } else {
                        tracing::debug!(error = %e, "connection error");
                    }
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(())) => return Poll::Ready(()),
                Poll::Pending if !ran => return Poll::Pending,
                // Streams ran: what they answered is hyper's to write now.
                Poll::Pending => {}
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
    shared.registry.remove(id);
    // Whatever still runs on this connection has lost its client.
    disconnect.cancel();
}

/// How many times one poll of a connection goes round hyper's connection and the HTTP/2 streams
/// it accepted before the task yields.
const MAX_ROUNDS: usize = 4;

/// Runs the connector's wrapper (TLS), then the application's, merging their extensions.
async fn wrap_all(
    io: BoxedIo,
    info: &ConnectionInfo,
    wrappers: [Option<Arc<dyn StreamWrapper>>; 2],
) -> std::io::Result<WrappedStream> {
    let mut wrapped = WrappedStream {
        io,
        extensions: http::Extensions::new(),
    };
    for wrapper in wrappers.into_iter().flatten() {
        let next = wrapper.wrap(wrapped.io, info).await?;
        wrapped.io = next.io;
        wrapped.extensions.extend(next.extensions);
    }
    Ok(wrapped)
}

/// Whether a connection ended because a call asked to be aborted ([`AbortCall`](super::AbortCall)).
fn is_aborted_call(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<CallAborted>() {
            return true;
        }
        cur = err.source();
    }
    false
}
