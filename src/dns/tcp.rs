//! TCP (RFC 7766): length-prefixed messages, many per connection, answered in order.
//!
//! Every wait on the client is bounded by the idle timeout (RFC 7766 §6.2.3): the next
//! query must start, arrive in full, and its answer be taken within it, so idle,
//! slow-sending (slowloris) and non-reading clients are all closed in seconds. Queries
//! are read one at a time, after the previous answer is written, so a client that
//! pipelines without reading holds at most the kernel's buffers, never ours. Zone
//! transfers are encoded a message at a time as the client reads ([`transfer::Outgoing`]).
//! Connections are bounded overall and per client ([`Conns`]).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::conns::{Conns, Ticket};
use super::engine::TcpReply;
use super::{Engine, transfer};

/// Binds a TCP listener.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(1024)?;
    TcpListener::from_std(s.into())
}

/// What every TCP listener shares: the engine, the open connections and the timeout.
#[derive(Clone)]
pub struct Shared {
    pub engine: Arc<Engine>,
    pub conns: Arc<Conns>,
    pub idle: Duration,
}

/// Accepts connections until `stop`; connection tasks are tracked so that shutdown can
/// wait for in-flight answers.
pub async fn serve(
    listener: TcpListener,
    shared: Shared,
    stop: CancellationToken,
    tracker: TaskTracker,
) {
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of descriptors (EMFILE) or a connection reset before it was
                    // taken: wait a moment rather than spin on the error.
                    tracing::debug!("TCP accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = stop.cancelled() => return,
        };
        // Refused: closed at once, when `stream` is dropped.
        let Ok(ticket) = shared.conns.admit(peer.ip(), &stop) else {
            continue;
        };
        let shared = shared.clone();
        tracker.spawn(async move {
            let _ = connection(stream, peer.ip(), &shared, &ticket).await;
        });
    }
}

/// Waits for `f` within the idle timeout, unless the connection is told to close.
async fn bounded<T>(
    ticket: &Ticket,
    idle: Duration,
    f: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    tokio::select! {
        r = tokio::time::timeout(idle, f) => r.unwrap_or_else(|_| Err(io::ErrorKind::TimedOut.into())),
        _ = ticket.close.cancelled() => Err(io::ErrorKind::ConnectionAborted.into()),
    }
}

async fn connection(
    stream: TcpStream,
    peer: IpAddr,
    shared: &Shared,
    ticket: &Ticket,
) -> io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut query = Vec::new();
    let mut out = Vec::new();
    loop {
        let len = bounded(ticket, shared.idle, r.read_u16()).await?;
        query.resize(usize::from(len), 0);
        bounded(ticket, shared.idle, r.read_exact(&mut query)).await?;
        ticket.touch();
        match shared.engine.handle_tcp(&query, peer) {
            TcpReply::None => {}
            TcpReply::One(m) => send(&mut w, &mut out, &m, ticket, shared.idle).await?,
            TcpReply::Transfer(mut t) => {
                stream_out(&mut w, &mut out, &mut t, ticket, shared.idle).await?
            }
        }
    }
}

/// Sends the messages of a transfer one by one, encoding each when the last is taken.
async fn stream_out(
    w: &mut (impl AsyncWrite + Unpin),
    out: &mut Vec<u8>,
    t: &mut transfer::Outgoing,
    ticket: &Ticket,
    idle: Duration,
) -> io::Result<()> {
    while let Some(m) = t.next_message() {
        send(w, out, &m, ticket, idle).await?;
    }
    Ok(())
}

/// Writes one length-prefixed message in one write; the client must take it within the
/// idle timeout.
async fn send(
    w: &mut (impl AsyncWrite + Unpin),
    out: &mut Vec<u8>,
    msg: &[u8],
    ticket: &Ticket,
    idle: Duration,
) -> io::Result<()> {
    out.clear();
    out.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    out.extend_from_slice(msg);
    bounded(ticket, idle, w.write_all(out)).await?;
    ticket.touch();
    Ok(())
}
