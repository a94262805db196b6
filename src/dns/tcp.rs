//! TCP (RFC 7766): length-prefixed messages, many per connection. Queries pipelined by the
//! client are read and answered in order; an idle connection is closed after a timeout,
//! and the number of connections is bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::Engine;

/// How long a connection may sit idle between queries (RFC 7766 §6.2.3 suggests seconds).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// At most this many client connections per listener.
pub const MAX_CONNECTIONS: usize = 512;

/// Binds a TCP listener.
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
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

/// Accepts connections until `stop`; connection tasks are tracked so that shutdown can
/// wait for in-flight answers.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    stop: CancellationToken,
    tracker: TaskTracker,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return },
            _ = stop.cancelled() => return,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => continue,
            },
            _ = stop.cancelled() => return,
        };
        let engine = engine.clone();
        let stop = stop.clone();
        tracker.spawn(async move {
            let _ = connection(stream, peer.ip(), engine, stop).await;
            drop(permit);
        });
    }
}

async fn connection(
    stream: TcpStream,
    peer: std::net::IpAddr,
    engine: Arc<Engine>,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut buf = vec![0u8; 65535];
    loop {
        let len = tokio::select! {
            l = tokio::time::timeout(IDLE_TIMEOUT, r.read_u16()) => match l {
                Ok(Ok(l)) => l as usize,
                _ => return Ok(()),
            },
            _ = stop.cancelled() => return Ok(()),
        };
        match tokio::time::timeout(IDLE_TIMEOUT, r.read_exact(&mut buf[..len])).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let mut out = Vec::new();
        for resp in engine.handle_tcp(&buf[..len], peer) {
            out.extend_from_slice(&(resp.len() as u16).to_be_bytes());
            out.extend_from_slice(&resp);
        }
        w.write_all(&out).await?;
    }
}
