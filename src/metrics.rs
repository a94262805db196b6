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

impl QueryCounters {
    pub fn count(&self, qtype: RecordType, rcode: ResponseCode) {
        let t = QTYPES.iter().position(|x| *x == qtype).unwrap_or(NT - 1);
        let r = RCODES.iter().position(|x| *x == rcode).unwrap_or(NR - 1);
        self.counts[t][r].fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use super::*;

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
