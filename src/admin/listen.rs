//! The admin listener, bounded: at most [`MAX_CONNECTIONS`] connections (a few per
//! client), each closed when it has sent no response for [`IDLE`]. Without these, a
//! thousand idle or slow connections to the admin port took every descriptor, and with
//! them reloads, probes and drains failed ("Too many open files"). Progress is counted
//! only in responses written, so a client that trickles a request (slowloris) is the first
//! to be closed when room is needed, and is closed anyway after [`IDLE`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::dns::conns::{Conns, Ticket};

/// Admin connections at once: a status page, a scraper and a few operators need far
/// fewer.
pub const MAX_CONNECTIONS: usize = 64;
/// Admin connections at once from one client.
pub const MAX_PER_CLIENT: usize = 16;
/// How long a connection may go without a response written (a request must arrive in
/// full within it, and a keep-alive connection is closed after it).
pub const IDLE: Duration = Duration::from_secs(10);

/// A listener whose connections are bounded as the module says.
pub struct Bounded {
    listener: TcpListener,
    conns: Arc<Conns>,
    stop: CancellationToken,
}

impl Bounded {
    pub fn new(listener: TcpListener, stop: CancellationToken) -> Bounded {
        Bounded {
            listener,
            conns: Conns::new(MAX_CONNECTIONS, MAX_PER_CLIENT),
            stop,
        }
    }
}

impl axum::serve::Listener for Bounded {
    type Io = Guarded;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Guarded, SocketAddr) {
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::debug!("admin accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            if let Ok(ticket) = self.conns.admit(peer.ip(), &self.stop) {
                return (Guarded::new(stream, ticket), peer);
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

/// A connection that fails its reads and writes once it is told to close or has been
/// idle too long, which makes the HTTP server drop it.
pub struct Guarded {
    stream: TcpStream,
    ticket: Ticket,
    closed: Pin<Box<WaitForCancellationFutureOwned>>,
    idle: Pin<Box<Sleep>>,
}

impl Guarded {
    fn new(stream: TcpStream, ticket: Ticket) -> Guarded {
        let closed = Box::pin(ticket.close.clone().cancelled_owned());
        Guarded {
            stream,
            ticket,
            closed,
            idle: Box::pin(tokio::time::sleep(IDLE)),
        }
    }

    /// An error once the connection must end; otherwise registers for both wake-ups.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.closed.as_mut().poll(cx).is_ready() {
            return Err(io::ErrorKind::ConnectionAborted.into());
        }
        if self.idle.as_mut().poll(cx).is_ready() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        Ok(())
    }
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.check(cx)?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.check(cx)?;
        let n = ready!(Pin::new(&mut self.stream).poll_write(cx, buf))?;
        if n > 0 {
            self.ticket.touch();
            self.idle.as_mut().reset(Instant::now() + IDLE);
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
