//! UDP: one `SO_REUSEPORT` socket per core on each listen address, each served by its own
//! OS thread with a reused receive buffer, so the kernel spreads datagrams across cores.
//!
//! Dedicated threads rather than async tasks: a datagram never waits behind the prober's or
//! the admin server's tasks on the runtime, and a blocking receive costs no epoll round.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::net::UdpSocket;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

use super::batch::{BATCH, Batch};
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
        // Wake up now and then to notice shutdown.
        s.set_read_timeout(Some(Duration::from_millis(200)))?;
        // Room for bursts: the default receive buffer drops datagrams under load.
        let _ = s.set_recv_buffer_size(4 << 20);
        s.bind(&addr.into())?;
        let sock: UdpSocket = s.into();
        addr = sock.local_addr()?;
        out.push(sock);
    }
    Ok(out)
}

/// Serves one socket until `stop` is cancelled; runs on its own thread. Datagrams are
/// taken and answered in batches ([`super::batch`]).
pub fn serve(sock: UdpSocket, engine: Arc<Engine>, stop: CancellationToken) {
    let mut batch = Batch::default();
    // Answer buffers and the datagram each answers, reused batch after batch.
    let mut outs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(1232)).collect();
    let mut from: Vec<usize> = Vec::with_capacity(BATCH);
    // `is_cancelled` takes a lock; the loop reads a flag that a task sets on cancellation
    // (or, outside a runtime, asks the token itself).
    let stopped = Arc::new(AtomicBool::new(false));
    let watched = tokio::runtime::Handle::try_current().map(|rt| {
        let (flag, stop) = (stopped.clone(), stop.clone());
        rt.spawn(async move {
            stop.cancelled().await;
            flag.store(true, Ordering::Relaxed);
        })
    });
    loop {
        let stopping = match &watched {
            Ok(_) => stopped.load(Ordering::Relaxed),
            Err(_) => stop.is_cancelled(),
        };
        if stopping {
            return;
        }
        // Timeouts (to notice `stop`) and ICMP errors from earlier sends land here.
        let Ok(n) = batch.recv(&sock) else { continue };
        from.clear();
        let now = engine.current();
        for i in 0..n {
            let (query, peer) = batch.datagram(i);
            let Some(peer) = peer else { continue };
            let out = &mut outs[from.len()];
            if engine.handle_with(&now, query, Transport::Udp, peer.ip(), out) {
                from.push(i);
            }
        }
        drop(now);
        batch.send(&sock, &from, &outs);
    }
}
