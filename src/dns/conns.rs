//! The client connections a server keeps open, bounded overall and per client (RFC 7766
//! §6.2.2: a server must protect itself from clients that hold connections). When the
//! bound is reached a new connection is still accepted, and the connection that has made
//! progress least recently (idle, slow or not reading) is closed to make room, as NSD
//! and Knot do: an attacker who opens thousands of idle connections closes only their
//! own, and a client that asks and reads promptly is always answered.
//!
//! The registry is locked when a connection opens or closes, never per query: progress
//! is a timestamp each connection stores in its own atomic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Who a connection counts against: an IPv4 address, or the /64 of an IPv6 address (one
/// host usually holds a whole /64). IPv4-mapped addresses count as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Client {
    V4([u8; 4]),
    V6([u8; 8]),
}

impl Client {
    pub fn of(ip: IpAddr) -> Client {
        match ip {
            IpAddr::V4(a) => Client::V4(a.octets()),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => Client::V4(v4.octets()),
                None => {
                    let o = a.octets();
                    let mut p = [0; 8];
                    p.copy_from_slice(&o[..8]);
                    Client::V6(p)
                }
            },
        }
    }
}

/// Why a connection was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client has its share of connections already.
    PerClient,
}

/// The open connections of one kind (DNS over TCP, or admin HTTP).
pub struct Conns {
    max: usize,
    per_client: usize,
    epoch: Instant,
    state: Mutex<State>,
    /// Connections closed to make room for new ones.
    pub evicted: AtomicU64,
    /// Connections refused because their client had its share.
    pub refused: AtomicU64,
}

#[derive(Default)]
struct State {
    next: u64,
    open: HashMap<u64, Entry>,
    clients: HashMap<Client, usize>,
}

struct Entry {
    client: Client,
    progress: Arc<AtomicU64>,
    close: CancellationToken,
}

/// One admitted connection: it is told to close through `close`, records progress with
/// [`Ticket::touch`], and leaves the registry when dropped.
pub struct Ticket {
    id: u64,
    conns: Arc<Conns>,
    progress: Arc<AtomicU64>,
    pub close: CancellationToken,
}

impl Conns {
    pub fn new(max: usize, per_client: usize) -> Arc<Conns> {
        Arc::new(Conns {
            max: max.max(1),
            per_client: per_client.max(1),
            epoch: Instant::now(),
            state: Mutex::new(State::default()),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Admits a connection from `peer`, closing the least recently active one if the
    /// bound is reached. `parent` closes every connection at shutdown.
    pub fn admit(
        self: &Arc<Self>,
        peer: IpAddr,
        parent: &CancellationToken,
    ) -> Result<Ticket, Refusal> {
        let client = Client::of(peer);
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.clients.get(&client).copied().unwrap_or(0) >= self.per_client {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(Refusal::PerClient);
        }
        while s.open.len() >= self.max {
            let oldest = (s.open.iter())
                .min_by_key(|(_, e)| e.progress.load(Ordering::Relaxed))
                .map(|(&id, _)| id);
            let Some(id) = oldest else { break };
            s.remove(id).close.cancel();
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let id = s.next;
        s.next += 1;
        let progress = Arc::new(AtomicU64::new(self.now()));
        let close = parent.child_token();
        s.open.insert(
            id,
            Entry {
                client,
                progress: progress.clone(),
                close: close.clone(),
            },
        );
        *s.clients.entry(client).or_default() += 1;
        Ok(Ticket {
            id,
            conns: self.clone(),
            progress,
            close,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.state.lock().map_or(0, |s| s.open.len())
    }
}

impl State {
    fn remove(&mut self, id: u64) -> Entry {
        let e = self.open.remove(&id).expect("an open connection");
        if let Some(n) = self.clients.get_mut(&e.client) {
            *n -= 1;
            if *n == 0 {
                self.clients.remove(&e.client);
            }
        }
        e
    }
}

impl Ticket {
    /// Records progress: a whole query read or a whole answer written.
    pub fn touch(&self) {
        self.progress.store(self.conns.now(), Ordering::Relaxed);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut s = self.conns.state.lock().unwrap_or_else(|e| e.into_inner());
        // An evicted connection left the registry when it was told to close.
        if s.open.contains_key(&self.id) {
            s.remove(self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_least_recently_active_connection_makes_room() {
        let conns = Conns::new(2, 10);
        let stop = CancellationToken::new();
        let a = conns.admit(ip("127.0.0.1"), &stop).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = conns.admit(ip("127.0.0.2"), &stop).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(5));
        a.touch(); // a is now the more recent
        let c = conns.admit(ip("127.0.0.3"), &stop).unwrap();
        assert!(b.close.is_cancelled() && !a.close.is_cancelled());
        assert_eq!(conns.open(), 2);
        assert_eq!(conns.evicted.load(Ordering::Relaxed), 1);
        drop(b); // leaving after eviction changes nothing
        assert_eq!(conns.open(), 2);
        drop((a, c));
        assert_eq!(conns.open(), 0);
        stop.cancel();
    }

    #[test]
    fn a_client_gets_its_share_and_ipv6_counts_by_64() {
        let conns = Conns::new(100, 2);
        let stop = CancellationToken::new();
        let _a = conns.admit(ip("2001:db8::1"), &stop).unwrap();
        let b = conns.admit(ip("2001:db8::2"), &stop).unwrap();
        assert!(conns.admit(ip("2001:db8::3"), &stop).is_err());
        assert!(conns.admit(ip("2001:db8:0:1::3"), &stop).is_ok());
        drop(b);
        assert!(conns.admit(ip("2001:db8::3"), &stop).is_ok());
        let _v4 = conns.admit(ip("192.0.2.1"), &stop).unwrap();
        let _mapped = conns.admit(ip("::ffff:192.0.2.1"), &stop).unwrap();
        assert!(conns.admit(ip("192.0.2.1"), &stop).is_err());
        assert_eq!(conns.refused.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn shutdown_closes_every_connection() {
        let conns = Conns::new(10, 10);
        let stop = CancellationToken::new();
        let a = conns.admit(ip("127.0.0.1"), &stop).unwrap();
        stop.cancel();
        assert!(a.close.is_cancelled());
    }
}
