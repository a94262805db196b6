//! UDP: one `SO_REUSEPORT` socket per core on each listen address, each served by its own
//! task with a reused receive buffer, so the kernel spreads datagrams across cores.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

use super::{Engine, Transport};

/// Binds `count` UDP sockets sharing `addr` (port 0 picks one port for all of them).
pub fn bind(addr: SocketAddr, count: usize) -> io::Result<Vec<UdpSocket>> {
    let mut out = Vec::with_capacity(count);
    let mut addr = addr;
    for _ in 0..count.max(1) {
        let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        if addr.is_ipv6() {
            s.set_only_v6(true)?;
        }
        s.set_reuse_port(true)?;
        s.set_nonblocking(true)?;
        // Room for bursts: the default receive buffer drops datagrams under load.
        let _ = s.set_recv_buffer_size(4 << 20);
        s.bind(&addr.into())?;
        let sock = UdpSocket::from_std(s.into())?;
        addr = sock.local_addr()?;
        out.push(sock);
    }
    Ok(out)
}

/// Serves one socket until `stop` is cancelled.
pub async fn serve(sock: UdpSocket, engine: Arc<Engine>, stop: CancellationToken) {
    let mut buf = vec![0u8; 65535];
    loop {
        let (len, peer) = tokio::select! {
            r = sock.recv_from(&mut buf) => match r {
                Ok(x) => x,
                // ICMP errors from earlier sends surface here; they are not fatal.
                Err(_) => continue,
            },
            _ = stop.cancelled() => return,
        };
        if let Some(resp) = engine.handle(&buf[..len], Transport::Udp, peer.ip()) {
            let _ = sock.send_to(&resp, peer).await;
        }
    }
}
