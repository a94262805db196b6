//! NOTIFY out (RFC 1996): when a zone's serial changes, tell `transfer.notify` targets,
//! over UDP, retrying a few times until they answer, signed with `transfer.key` if set.

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;
use tracing::{info, warn};

use crate::wire::tsig::Key;
use crate::zone::ZoneSet;

/// RFC 1996 §3.6: retransmit until answered; a few tries are plenty on a LAN.
const TRIES: u32 = 5;
const WAIT: Duration = Duration::from_secs(2);

/// Remembers the serials already announced, so that only changes are sent.
#[derive(Default)]
pub struct Announcer {
    known: Mutex<HashMap<Name, u32>>,
}

impl Announcer {
    /// Records the current serials without announcing (at start-up peers ask anyway).
    pub fn prime(&self, zones: &ZoneSet) {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        for z in zones.zones() {
            known.insert(z.origin.clone(), z.serial);
        }
    }

    /// Sends NOTIFY to every target for each zone whose serial changed since last time.
    pub fn announce(&self, zones: &ZoneSet, targets: &[SocketAddr], key: Option<Key>) {
        let changed: Vec<Name> = {
            let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            zones
                .zones()
                .into_iter()
                .filter(|z| known.insert(z.origin.clone(), z.serial) != Some(z.serial))
                .map(|z| z.origin.clone())
                .collect()
        };
        for zone in changed {
            for &t in targets {
                let (zone, key) = (zone.clone(), key.clone());
                tokio::spawn(async move { send(zone, t, key).await });
            }
        }
    }
}

async fn send(zone: Name, target: SocketAddr, key: Option<Key>) {
    let mut m = Message::new(fastrand::u16(..), MessageType::Query, OpCode::Notify);
    m.metadata.authoritative = true;
    m.add_query(Query::query(zone.clone(), RecordType::SOA));
    let Ok(mut bytes) = m.to_vec() else { return };
    if let Some(k) = &key {
        k.sign(&mut bytes, None, true, None);
    }
    let Ok(sock) = super::client::udp_socket_for(target).await else {
        return;
    };
    let mut buf = [0u8; 1024];
    for _ in 0..TRIES {
        if sock.send_to(&bytes, target).await.is_err() {
            break;
        }
        if let Ok(Ok((n, from))) = tokio::time::timeout(WAIT, sock.recv_from(&mut buf)).await
            && from == target
            && n >= 2
            && buf[..2] == bytes[..2]
        {
            info!(zone = %zone, %target, "NOTIFY answered");
            return;
        }
    }
    warn!(zone = %zone, %target, "NOTIFY not answered after {TRIES} tries");
}
