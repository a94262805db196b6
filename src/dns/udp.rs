//! UDP: one `SO_REUSEPORT` socket per core on each listen address, each served by its own
//! OS thread with a reused receive buffer, so the kernel spreads datagrams across cores.
//!
//! Dedicated threads rather than async tasks: a datagram never waits behind the prober's or
//! the admin server's tasks on the runtime, and a blocking receive costs no epoll round.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
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
        ignore_path_mtu(&s, addr.is_ipv6());
        s.bind(&addr.into())?;
        let sock: UdpSocket = s.into();
        addr = sock.local_addr()?;
        out.push(sock);
    }
    Ok(out)
}

/// Ignores path MTU information on answers, as NSD and Knot do: an ICMP "fragmentation
/// needed" can be forged to make a server fragment its answers, which opens them to
/// fragment-injection attacks on resolvers (RFC 9715 §1). Answers fit 1232 bytes (DNS
/// Flag Day 2020), below the MTU of common links, so they go out whole. It also spares a
/// route MTU lookup per datagram. Best effort: an old kernel without `*_PMTUDISC_OMIT`
/// keeps its default.
fn ignore_path_mtu(s: &Socket, v6: bool) {
    let (level, name, value) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_OMIT,
        )
    } else {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_OMIT,
        )
    };
    // SAFETY: a valid socket and a c_int option value of the right size.
    let _ = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn option(sock: &UdpSocket, level: i32, name: i32) -> i32 {
        let mut value: libc::c_int = -1;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: a valid socket and room for a c_int.
        let r = unsafe {
            libc::getsockopt(
                sock.as_raw_fd(),
                level,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0);
        value
    }

    #[test]
    fn sockets_share_a_port_and_ignore_path_mtu() {
        let socks = bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        assert_eq!(socks.len(), 2);
        assert_eq!(
            socks[0].local_addr().unwrap(),
            socks[1].local_addr().unwrap()
        );
        let v = option(&socks[0], libc::IPPROTO_IP, libc::IP_MTU_DISCOVER);
        assert_eq!(v, libc::IP_PMTUDISC_OMIT);
        let v6 = bind("[::1]:0".parse().unwrap(), 1).unwrap();
        let v = option(&v6[0], libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER);
        assert_eq!(v, libc::IPV6_PMTUDISC_OMIT);
    }
}
