//! UDP: one `SO_REUSEPORT` socket per core on each listen address, each served by its own
//! OS thread with a reused receive buffer, so the kernel spreads datagrams across cores.
//!
//! Dedicated threads rather than async tasks: a datagram never waits behind the prober's or
//! the admin server's tasks on the runtime, and a blocking receive costs no epoll round.
//!
//! The receive blocks with no timeout. A timeout (`SO_RCVTIMEO`) would arm and cancel a
//! kernel timer on every sleep, and at a moderate rate the thread sleeps about once per
//! query; stop is signalled instead by shutting the socket's receive side, which wakes
//! the blocked receive ([`spawn`]).

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::net::UdpSocket;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::batch::{BATCH, Batch};
use super::rrl::{self, Verdict};
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
        room_for_bursts(&s);
        send_whole(&s, addr.is_ipv6());
        s.bind(&addr.into())?;
        let sock: UdpSocket = s.into();
        addr = sock.local_addr()?;
        out.push(sock);
    }
    Ok(out)
}

/// The receive buffer asked for: room for a burst of several thousand queries. At the
/// kernel's default (212,992 bytes) a burst of a few hundred is dropped; in the benchmark
/// Knot and gdnsd lose part of dnsperf's first 500 queries that way.
const RECV_BUFFER: usize = 4 << 20;

/// Sets the receive buffer to [`RECV_BUFFER`]. `SO_RCVBUF` is capped at
/// `net.core.rmem_max`, which Debian leaves at 212,992, so it is asked for with
/// `SO_RCVBUFFORCE` first, as NSD does; that passes the cap where the process may
/// (CAP_NET_ADMIN, as root usually has), and `SO_RCVBUF` gets what the cap allows elsewhere.
fn room_for_bursts(s: &Socket) {
    let forced = set_int(
        s,
        libc::SOL_SOCKET,
        libc::SO_RCVBUFFORCE,
        RECV_BUFFER as libc::c_int,
    );
    if !forced {
        let _ = s.set_recv_buffer_size(RECV_BUFFER);
    }
}

/// `setsockopt` of a c_int option; true if the kernel took it.
fn set_int(s: &Socket, level: libc::c_int, name: libc::c_int, value: libc::c_int) -> bool {
    // SAFETY: a valid socket and a c_int option value of the right size.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        ) == 0
    }
}

/// Sends answers whole, with DF set on IPv4, and ignores path MTU information
/// (`IP_PMTUDISC_PROBE`). RFC 9715 §3.1 recommends DF on IPv4 responses: an answer is
/// never fragmented, on the way or at the source, so it is not open to fragment
/// injection. The socket sends at the interface's MTU whatever ICMP "fragmentation
/// needed" says, so a forged one cannot make it fragment or fail either. UDP answers fit
/// 1232 bytes (DNS Flag Day 2020), below the MTU of any IPv6 link (1280), so DF loses
/// nothing in practice. It is also cheaper than NSD's and Knot's `IP_PMTUDISC_OMIT`
/// (no DF): a datagram with DF on an unconnected socket gets IP ID 0, and one without
/// gets a hashed ID per datagram (`__ip_select_ident`, 2.5 % of the server's CPU at
/// saturation here). Best effort: an old kernel keeps its default.
fn send_whole(s: &Socket, v6: bool) {
    let (level, name, value) = if v6 {
        (
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_PROBE,
        )
    } else {
        (
            libc::IPPROTO_IP,
            libc::IP_MTU_DISCOVER,
            libc::IP_PMTUDISC_PROBE,
        )
    };
    let _ = set_int(s, level, name, value);
}

/// Serves `sock` on a thread of its own until `stop` is cancelled. On cancellation a task
/// raises the thread's flag, then shuts the socket's receive side: Linux wakes a receive
/// blocked on it (`inet_shutdown` wakes the socket's waiters even for an unconnected UDP
/// socket), and the thread sees the flag and returns. The task holds the socket until
/// then, so the descriptor it shuts cannot have been closed and reused.
pub fn spawn(sock: UdpSocket, engine: Arc<Engine>, stop: CancellationToken, tracker: &TaskTracker) {
    let sock = Arc::new(sock);
    let stopped = Arc::new(AtomicBool::new(false));
    let (s, flag) = (sock.clone(), stopped.clone());
    tracker.spawn(async move {
        stop.cancelled().await;
        flag.store(true, Ordering::Release);
        // SAFETY: `s` keeps the descriptor open. Linux reports ENOTCONN for an
        // unconnected socket, yet marks it shut and wakes its readers.
        unsafe { libc::shutdown(s.as_raw_fd(), libc::SHUT_RD) };
    });
    tracker.spawn_blocking(move || serve(&sock, &engine, &stopped));
}

/// Answers datagrams on `sock` until `stopped` is raised. Datagrams are taken and
/// answered in batches ([`super::batch`]).
fn serve(sock: &UdpSocket, engine: &Engine, stopped: &AtomicBool) {
    let mut batch = Batch::default();
    // Answer buffers and the datagram each answers, reused batch after batch.
    let mut outs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(1232)).collect();
    let mut from: Vec<usize> = Vec::with_capacity(BATCH);
    loop {
        // Errors (a signal, say) are retried; a receive woken by the stop shutdown finds
        // the flag raised.
        let n = batch.recv(sock);
        if stopped.load(Ordering::Acquire) {
            return;
        }
        let Ok(n) = n else { continue };
        from.clear();
        let now = engine.current();
        let rrl = engine.rrl.load();
        for i in 0..n {
            let (query, peer) = batch.datagram(i);
            let Some(peer) = peer else { continue };
            let out = &mut outs[from.len()];
            if !engine.handle_with(&now, query, Transport::Udp, peer.ip(), out) {
                continue;
            }
            match rrl.as_ref().map_or(Verdict::Send, |r| {
                r.check_in(Some(&now.zones), peer.ip(), out)
            }) {
                Verdict::Send => {}
                Verdict::Slip => rrl::truncate(out),
                Verdict::Drop => continue,
            }
            from.push(i);
        }
        drop((now, rrl));
        batch.send(sock, &from, &outs);
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

    /// The receive blocks with no timeout, so only the shutdown of the socket's receive
    /// side can end the thread: without it the thread is still blocked after 5 s, and the
    /// test fails (the runtime then leaves the thread behind rather than wait for it).
    #[test]
    fn stop_wakes_a_receive_that_has_no_timeout() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sock = bind("127.0.0.1:0".parse().unwrap(), 1).unwrap().remove(0);
        assert_eq!(sock.read_timeout().unwrap(), None);
        let addr = sock.local_addr().unwrap();
        let (stop, tracker) = (CancellationToken::new(), TaskTracker::new());
        let engine = Engine::new(Arc::new(crate::zone::Store::new(Default::default())));
        let ended = rt.block_on(async {
            spawn(sock, engine, stop.clone(), &tracker);
            // The thread is serving: a datagram too short for a header gets no answer
            // but is taken. Then stop, and the thread must end promptly.
            let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            client.send_to(b"short", addr).unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            stop.cancel();
            tracker.close();
            let wait = tracker.wait();
            tokio::time::timeout(std::time::Duration::from_secs(5), wait).await
        });
        // A thread still blocked is left behind rather than waited for.
        rt.shutdown_timeout(std::time::Duration::from_millis(10));
        assert!(ended.is_ok(), "the UDP thread did not stop");
    }

    /// On the wire: a datagram from the socket carries DF, and IP ID 0. Read with a raw
    /// socket, which needs CAP_NET_RAW (CI runs as root); without it the test says so
    /// and checks nothing more than the option above.
    #[test]
    fn answers_leave_with_dont_fragment_set() {
        // SAFETY: plain socket call; the descriptor is owned below.
        let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_UDP) };
        if raw < 0 {
            eprintln!("no raw socket (not root?): DF not checked on the wire");
            return;
        }
        // SAFETY: `raw` is a fresh descriptor nobody else owns.
        let raw: std::os::fd::OwnedFd = unsafe { std::os::fd::FromRawFd::from_raw_fd(raw) };
        let raw = std::net::UdpSocket::from(raw); // only for its read timeout and recv
        raw.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let server = bind("127.0.0.1:0".parse().unwrap(), 1).unwrap().remove(0);
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = client.local_addr().unwrap().port();
        server
            .send_to(b"answer", client.local_addr().unwrap())
            .unwrap();
        let mut buf = [0u8; 2048];
        loop {
            let n = raw
                .recv(&mut buf)
                .expect("the datagram seen on the raw socket");
            let ihl = usize::from(buf[0] & 0x0f) * 4;
            // Other UDP traffic on the machine may show up: find ours by port.
            if n >= ihl + 8 && u16::from_be_bytes([buf[ihl + 2], buf[ihl + 3]]) == port {
                assert_eq!(buf[6] & 0x40, 0x40, "DF is not set");
                assert_eq!(&buf[4..6], &[0, 0], "IP ID is not 0");
                break;
            }
        }
    }

    /// With CAP_NET_ADMIN (root on CI) `SO_RCVBUFFORCE` passes `net.core.rmem_max`;
    /// without it the buffer is what that cap allows. Either way the size is read back from
    /// the kernel.
    #[test]
    fn the_receive_buffer_has_room_for_bursts() {
        let sock = bind("127.0.0.1:0".parse().unwrap(), 1).unwrap().remove(0);
        // The kernel reports twice the size asked for (its bookkeeping overhead).
        let got = option(&sock, libc::SOL_SOCKET, libc::SO_RCVBUF) as usize;
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let caps = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(|hex| u64::from_str_radix(hex.trim(), 16).unwrap())
            .unwrap();
        const CAP_NET_ADMIN: u32 = 12; // linux/capability.h
        if caps & (1 << CAP_NET_ADMIN) != 0 {
            assert_eq!(got, 2 * RECV_BUFFER, "SO_RCVBUFFORCE with CAP_NET_ADMIN");
        } else {
            let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
                .unwrap()
                .trim()
                .parse()
                .unwrap();
            assert_eq!(got, 2 * RECV_BUFFER.min(max), "SO_RCVBUF up to rmem_max");
        }
    }

    #[test]
    fn sockets_share_a_port_and_send_whole() {
        let socks = bind("127.0.0.1:0".parse().unwrap(), 2).unwrap();
        assert_eq!(socks.len(), 2);
        assert_eq!(
            socks[0].local_addr().unwrap(),
            socks[1].local_addr().unwrap()
        );
        let v = option(&socks[0], libc::IPPROTO_IP, libc::IP_MTU_DISCOVER);
        assert_eq!(v, libc::IP_PMTUDISC_PROBE);
        let v6 = bind("[::1]:0".parse().unwrap(), 1).unwrap();
        let v = option(&v6[0], libc::IPPROTO_IPV6, libc::IPV6_MTU_DISCOVER);
        assert_eq!(v, libc::IPV6_PMTUDISC_PROBE);
    }
}
