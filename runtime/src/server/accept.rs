//! Binding a connector (with a listen backlog of [`BACKLOG`]) and its accept loop: a permit per
//! connection (`max_connections`: at the cap, accepting waits), and back-off when the process is
//! out of file descriptors (`EMFILE`, `ENFILE`) or memory, so that it neither spins a core nor
//! stops.
use std::{io, sync::Arc, time::Duration};

use tokio::{
    net::{TcpListener, TcpSocket},
    time::Instant,
};

use super::{connection, hooks::StreamWrapper, EngineShared};

/// The first pause after a failed accept; it doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Failed accepts are logged at most once per interval (with how many failed since).
const LOG_INTERVAL: Duration = Duration::from_secs(5);

/// Connections the kernel completes and queues while the engine is not accepting (at
/// `max_connections`, out of descriptors, or busy), as nginx's default on Linux (511) and
/// above; the kernel caps it at `net.core.somaxconn`. Past it, clients' SYNs are dropped and
/// they retry after seconds.
const BACKLOG: u32 = 1024;

/// Binds `addr` (`host:port`) to the first of its addresses that binds, with [`BACKLOG`].
pub(crate) async fn bind(addr: &str) -> io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        // As std's and tokio's own `bind` do: a restarted server can bind at once.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(BACKLOG)) {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
}

/// Binds `workers` sockets to `addr` (`host:port`, the first of its addresses that binds) with
/// `SO_REUSEPORT`, none listening yet: each worker of the
/// [thread-per-core mode](super::ServerConfig::thread_per_core) listens on its own, and the
/// kernel spreads new connections over them. Port 0 picks one free port for all.
#[cfg(unix)]
pub(crate) async fn bind_reuseport(addr: &str, workers: usize) -> io::Result<Vec<TcpSocket>> {
    let reuseport = |addr: std::net::SocketAddr| {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        socket.set_reuseport(true)?;
        socket.bind(addr)?;
        Ok::<_, io::Error>(socket)
    };
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let first = match reuseport(addr) {
            Ok(socket) => socket,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        // The others bind the port the first one got.
        let bound = first.local_addr()?;
        let mut sockets = Vec::with_capacity(workers);
        sockets.push(first);
        for _ in 1..workers {
            sockets.push(reuseport(bound)?);
        }
        return Ok(sockets);
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
}

/// Makes a socket of [`bind_reuseport`] listen (on the current runtime).
pub(crate) fn listen(socket: TcpSocket) -> io::Result<TcpListener> {
    socket.listen(BACKLOG)
}

/// When an accept loop takes its connection permit (`max_connections`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Permit {
    /// Before accepting: at the cap, new connections wait in the listen backlog. For the one
    /// listener of the default mode.
    BeforeAccept,
    /// After accepting: each worker of the thread-per-core mode has a listener of its own, and
    /// one waiting in `accept` with the last permit would starve a connection the kernel gave
    /// to another worker. At the cap, each worker holds at most one accepted connection until
    /// a permit frees up.
    AfterAccept,
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    shared: Arc<EngineShared>,
    wrapper: Option<Arc<dyn StreamWrapper>>,
    when: Permit,
) {
    let mut failures = Failures::default();
    let acquire = || async {
        tokio::select! {
            biased;
            _ = shared.graceful.cancelled() => None,
            // Closed: never done while accepting.
            permit = shared.connections.clone().acquire_owned() => permit.ok(),
        }
    };
    loop {
        let early = match when {
            Permit::BeforeAccept => match acquire().await {
                Some(permit) => Some(permit),
                None => break,
            },
            Permit::AfterAccept => None,
        };
        let (stream, peer) = tokio::select! {
            biased;
            _ = shared.graceful.cancelled() => break,
            res = listener.accept() => match res {
                Ok(accepted) => accepted,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of descriptors or memory: the pending connection stays in the
                    // backlog; wait for resources to free up instead of retrying at once.
                    drop(early);
                    let pause = failures.failed(&e);
                    tokio::select! {
                        biased;
                        _ = shared.graceful.cancelled() => break,
                        _ = tokio::time::sleep(pause) => continue,
                    }
                }
            },
        };
        failures.succeeded();
        let permit = match early {
            Some(permit) => permit,
            None => match acquire().await {
                Some(permit) => permit,
                None => break,
            },
        };
        shared.tasks.tracker().spawn(connection::serve(
            stream,
            peer,
            shared.clone(),
            wrapper.clone(),
            permit,
        ));
    }
    tracing::info!("stopped accepting connections");
}

/// Errors that concern one connection only (the client gave up before we accepted it).
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// The accept loop's back-off and its rate-limited log.
#[derive(Debug, Default)]
struct Failures {
    /// Consecutive failures.
    streak: u32,
    /// Failures since the last log line.
    unlogged: u64,
    last_log: Option<Instant>,
}

impl Failures {
    /// Counts a failure, logs it if the last log is old enough, returns how long to pause.
    fn failed(&mut self, e: &io::Error) -> Duration {
        self.streak = self.streak.saturating_add(1);
        self.unlogged += 1;
        let now = Instant::now();
        if self
            .last_log
            .is_none_or(|at| now.duration_since(at) >= LOG_INTERVAL)
        {
            tracing::warn!(
                error = %e,
                failures = self.unlogged,
                "accept failed (out of file descriptors?); backing off"
            );
            self.unlogged = 0;
            self.last_log = Some(now);
        }
        backoff(self.streak)
    }

    fn succeeded(&mut self) {
        if self.streak > 0 {
            tracing::info!(failures = self.unlogged, "accepting again");
            self.streak = 0;
            self.unlogged = 0;
            self.last_log = None;
        }
    }
}

/// The pause after the `streak`-th consecutive failure: 50 ms doubling, at most 1 s.
fn backoff(streak: u32) -> Duration {
    let doublings = streak.saturating_sub(1).min(10);
    (MIN_BACKOFF * 2u32.pow(doublings)).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_50_ms_up_to_1_s() {
        let pauses: Vec<_> = (1..=7).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(pauses, [50, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn a_client_giving_up_is_not_a_resource_error() {
        assert!(is_connection_error(
            &io::ErrorKind::ConnectionAborted.into()
        ));
        assert!(!is_connection_error(&io::Error::from_raw_os_error(24)));
    }
}
