//! Learning that a client closed or reset its TCP connection without reading from it.
//!
//! hyper reads a connection only when it needs bytes, so a client that leaves while its request
//! body is unread goes unnoticed until the handler reads the body. The kernel knows sooner:
//! `EPOLLRDHUP`/`EPOLLHUP`, which tokio reports as [`Ready::is_read_closed`] even while unread
//! bytes are pending. Waiting on the stream's own readiness would spin while those bytes sit
//! unread (readiness stays set until someone reads) and clearing it would stall hyper, so the
//! watcher registers a duplicate of the socket's descriptor with its own readiness: it can clear
//! "readable" after each wake-up without touching hyper's, and the kernel's edge-triggered events
//! reach both registrations. The duplicate is made only once someone listens (a connection
//! nobody asks about holds one descriptor) and is dropped with the connection's task.
use std::io;

use super::control::ConnControl;

use tokio::{
    io::{Interest, Ready},
    net::TcpStream,
};

/// Watches one TCP connection for the client's close (FIN) or reset (RST).
pub(crate) struct ReadClosedWatcher {
    #[cfg(unix)]
    socket: Socket,
}

/// The watched socket's descriptor.
#[cfg(unix)]
enum Socket {
    /// A plain connection's: hyper owns the socket itself, so it is duplicated only once
    /// someone listens, and an idle connection costs one descriptor, not two.
    Owned(std::os::fd::RawFd),
    /// A duplicate made at accept (a stream wrapper might drop the socket it was given).
    Duplicate(Option<std::os::fd::OwnedFd>),
}

impl ReadClosedWatcher {
    /// A watcher of `stream`'s socket, which the stream wrapper then takes: duplicated now
    /// (off Unix, one that never fires). Nothing is registered with the reactor yet.
    pub(crate) fn new(stream: &TcpStream) -> Self {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            Self {
                socket: Socket::Duplicate(stream.as_fd().try_clone_to_owned().ok()),
            }
        }
        #[cfg(not(unix))]
        {
            let _ = stream;
            Self {}
        }
    }

    /// A watcher of `stream`'s socket, which hyper's connection then owns until it is over:
    /// nothing is duplicated until someone listens.
    pub(crate) fn of_plain(stream: &TcpStream) -> Self {
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            Self {
                socket: Socket::Owned(stream.as_raw_fd()),
            }
        }
        #[cfg(not(unix))]
        {
            Self::new(stream)
        }
    }

    /// A duplicate of the watched socket's descriptor, `None` if it cannot be made.
    #[cfg(unix)]
    fn duplicate(self) -> Option<std::os::fd::OwnedFd> {
        let dup = match self.socket {
            Socket::Owned(fd) => {
                // SAFETY: `fd` is the socket of a plain connection, owned by its hyper
                // `Connection`. `drive` polls this watcher only before that connection in the
                // same poll, and never again once the connection's future completed (its
                // socket is dropped, or handed to an upgrade, only then), so the socket is open
                // here; the borrow ends within this statement.
                unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) }
                    .try_clone_to_owned()
                    .ok()
            }
            Socket::Duplicate(dup) => dup,
        };
        if dup.is_none() {
            tracing::debug!("cannot watch the connection for a disconnect");
        }
        dup
    }

    /// Resolves once the client has closed or reset the connection. It starts watching only
    /// once `control` asks for it (someone listens to a `ClientDisconnect`), so connections
    /// nobody asks about cost nothing; pending forever if the socket can't be watched.
    pub(crate) async fn closed(self, control: &ConnControl) {
        // `drive` registers the task's waker (`poll_flags`) before it polls this future.
        std::future::poll_fn(|_| control.poll_watch()).await;
        #[cfg(unix)]
        if let Some(dup) = self
            .duplicate()
            .map(std::net::TcpStream::from)
            // The duplicate shares the original's (non-blocking) file status flags.
            .and_then(|s| TcpStream::from_std(s).ok())
        {
            loop {
                match dup.ready(Interest::READABLE | Interest::ERROR).await {
                    Ok(ready) if is_closed(ready) => return,
                    Ok(_) => {
                        // Data to read: hyper's business. Forget this wake-up (on our
                        // registration only) and wait for the next event.
                        let _ = dup.try_io(Interest::READABLE, || {
                            Err::<(), _>(io::ErrorKind::WouldBlock.into())
                        });
                    }
                    Err(_) => return,
                }
            }
        }
        std::future::pending::<()>().await;
    }
}

fn is_closed(ready: Ready) -> bool {
    ready.is_read_closed() || ready.is_error()
}
