//! Query counters kept on the query path with relaxed atomics (no locks), rendered as
//! Prometheus text by the admin server.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use std::sync::atomic::{AtomicU64, Ordering};

/// Query types counted by name; everything else is `other`.
pub const QTYPES: [RecordType; 14] = [
    RecordType::A,
    RecordType::AAAA,
    RecordType::CNAME,
    RecordType::MX,
    RecordType::NS,
    RecordType::SOA,
    RecordType::TXT,
    RecordType::SRV,
    RecordType::PTR,
    RecordType::CAA,
    RecordType::DS,
    RecordType::HTTPS,
    RecordType::SVCB,
    RecordType::ANY,
];

/// Response codes counted by name; everything else (BADVERS) is `other`.
pub const RCODES: [ResponseCode; 6] = [
    ResponseCode::NoError,
    ResponseCode::FormErr,
    ResponseCode::ServFail,
    ResponseCode::NXDomain,
    ResponseCode::NotImp,
    ResponseCode::Refused,
];

const NT: usize = QTYPES.len() + 1;
const NR: usize = RCODES.len() + 1;

/// Queries of one zone (or of no zone) by type and rcode.
#[derive(Debug)]
pub struct QueryCounters {
    counts: [[AtomicU64; NR]; NT],
}

impl Default for QueryCounters {
    fn default() -> Self {
        QueryCounters {
            counts: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
        }
    }
}

/// The row of a query type: its place in [`QTYPES`], or the last row (`other`). A
/// match on the number, which the fast path has from the wire.
fn type_row(qtype: u16) -> usize {
    match qtype {
        1 => 0,    // A
        28 => 1,   // AAAA
        5 => 2,    // CNAME
        15 => 3,   // MX
        2 => 4,    // NS
        6 => 5,    // SOA
        16 => 6,   // TXT
        33 => 7,   // SRV
        12 => 8,   // PTR
        257 => 9,  // CAA
        43 => 10,  // DS
        65 => 11,  // HTTPS
        64 => 12,  // SVCB
        255 => 13, // ANY
        _ => NT - 1,
    }
}

/// The column of an RCODE: its place in [`RCODES`], or the last column (`other`).
fn rcode_column(rcode: u16) -> usize {
    match rcode {
        0..=5 => rcode as usize,
        _ => NR - 1,
    }
}

impl QueryCounters {
    pub fn count(&self, qtype: RecordType, rcode: ResponseCode) {
        self.count_raw(u16::from(qtype), u16::from(rcode));
    }

    /// [`QueryCounters::count`] with the type and RCODE as numbers.
    pub fn count_raw(&self, qtype: u16, rcode: u16) {
        self.counts[type_row(qtype)][rcode_column(rcode)].fetch_add(1, Ordering::Relaxed);
    }

    /// Every non-zero counter as (qtype label, rcode label, count).
    pub fn snapshot(&self) -> Vec<(String, String, u64)> {
        let mut out = Vec::new();
        for (ti, row) in self.counts.iter().enumerate() {
            for (ri, c) in row.iter().enumerate() {
                let n = c.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let t = QTYPES
                    .get(ti)
                    .map_or("other".to_string(), |t| t.to_string());
                let r = RCODES
                    .get(ri)
                    .map_or("other".to_string(), |r| rcode_label(*r));
                out.push((t, r, n));
            }
        }
        out
    }
}

fn rcode_label(r: ResponseCode) -> String {
    match r {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        _ => "other",
    }
    .to_string()
}

/// Server-wide counters.
#[derive(Debug, Default)]
pub struct ServerCounters {
    /// Queries for names outside every zone (and malformed ones), by type and rcode.
    pub no_zone: QueryCounters,
    pub truncated: AtomicU64,
    pub reloads_ok: AtomicU64,
    pub reloads_failed: AtomicU64,
}

/// Escapes a Prometheus label value.
pub fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Seconds since the Unix epoch, now: the times the status page and `/status` show.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_columns_follow_the_named_lists() {
        for (i, t) in QTYPES.iter().enumerate() {
            assert_eq!(type_row(u16::from(*t)), i, "{t}");
        }
        for (i, r) in RCODES.iter().enumerate() {
            assert_eq!(rcode_column(u16::from(*r)), i, "{r}");
        }
        assert_eq!(type_row(u16::from(RecordType::NAPTR)), NT - 1);
        assert_eq!(rcode_column(u16::from(ResponseCode::BADVERS)), NR - 1);
        assert_eq!(rcode_column(u16::from(ResponseCode::YXDomain)), NR - 1);
    }

    #[test]
    fn counts_by_type_and_rcode_with_other_buckets() {
        let c = QueryCounters::default();
        c.count(RecordType::A, ResponseCode::NoError);
        c.count(RecordType::A, ResponseCode::NoError);
        c.count(RecordType::NAPTR, ResponseCode::BADVERS);
        let mut s = c.snapshot();
        s.sort();
        assert_eq!(
            s,
            [
                ("A".to_string(), "NOERROR".to_string(), 2),
                ("other".to_string(), "other".to_string(), 1)
            ]
        );
    }
}
