//! Attack patterns from many loopback clients (127.x.y.z, one address per attacker, as a
//! botnet would come), and the probes that say whether honest clients are still served.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{connect_from_with, query_bytes, write_framed};
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;

/// Raises this process's open-file limit to the hard limit: thousands of attacking
/// connections need thousands of descriptors.
pub fn raise_nofile() {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

/// The source address of attacker `i` in the block `127.<block>.0.0/16`.
pub fn attacker(block: u8, i: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        block,
        (i / 250) as u8,
        (i % 250) as u8 + 1,
    ))
}

/// Opens `n` connections to `to`, one from each attacker address of `block`, and keeps
/// those that connected. Their receive buffers are small: what they leave unread would
/// otherwise fill this machine's TCP memory, which on a network would be the attacker's.
pub fn open_many(block: u8, n: usize, to: SocketAddr) -> Vec<TcpStream> {
    (0..n)
        .filter_map(|i| connect_from_with(attacker(block, i), to, Some(4096)).ok())
        .collect()
}

/// Asks `n` TCP queries for `name` A from 127.0.0.1, `gap` apart, each on a new
/// connection with a 2 s limit; returns how many were answered.
pub fn probe_tcp(to: SocketAddr, name: &str, n: usize, gap: Duration) -> usize {
    let q = query_bytes(name, RecordType::A, None);
    let mut answered = 0;
    for _ in 0..n {
        let ok = (|| {
            let mut s = TcpStream::connect_timeout(&to, Duration::from_secs(2)).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
            s.set_write_timeout(Some(Duration::from_secs(2))).ok()?;
            let mut out = (q.len() as u16).to_be_bytes().to_vec();
            out.extend_from_slice(&q);
            s.write_all(&out).ok()?;
            let mut len = [0u8; 2];
            s.read_exact(&mut len).ok()?;
            let mut buf = vec![0u8; u16::from_be_bytes(len).into()];
            s.read_exact(&mut buf).ok()?;
            Message::from_vec(&buf).ok()
        })();
        answered += usize::from(ok.is_some_and(|m| !m.answers.is_empty()));
        std::thread::sleep(gap);
    }
    answered
}

/// Whether the server has closed `s` (reads reach the end, or fail other than by
/// timing out) within `limit`, reading and discarding whatever it had sent.
pub fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    count_closed(std::slice::from_mut(s), limit) == 1
}

/// How many of `conns` the server closes within `limit` (one deadline for all), reading
/// and discarding whatever it had sent.
pub fn count_closed(conns: &mut [TcpStream], limit: Duration) -> usize {
    let end = Instant::now() + limit;
    let mut open: Vec<&mut TcpStream> = conns.iter_mut().collect();
    let total = open.len();
    let mut buf = vec![0u8; 65536];
    for c in &mut open {
        let _ = c.set_nonblocking(true);
    }
    while !open.is_empty() && Instant::now() < end {
        open.retain_mut(|c| {
            loop {
                match c.read(&mut buf) {
                    Ok(0) => return false,
                    Ok(_) => continue,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                    Err(_) => return false,
                }
            }
        });
        std::thread::sleep(Duration::from_millis(50));
    }
    total - open.len()
}

/// Sends `count` framed queries on `s` without reading any answer; stops at the first
/// write that would block for long (the server is not reading either).
pub fn pipeline_without_reading(s: &mut TcpStream, count: usize) {
    let _ = s.set_nonblocking(true);
    let q = query_bytes("www.example.test.", RecordType::TXT, None);
    let mut out = Vec::new();
    for _ in 0..count {
        out.extend_from_slice(&(q.len() as u16).to_be_bytes());
        out.extend_from_slice(&q);
    }
    let _ = s.write_all(&out);
}

/// Sends a framed request on `s` and nothing else.
pub fn send(s: &mut TcpStream, q: &[u8]) {
    write_framed(s, q);
}

/// Resident memory of process `pid` in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
