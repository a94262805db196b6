//! RRSIGs in a zone: one set per type covered, each with its own TTL (the TTL of the
//! RRset it signs, RFC 4034 §3), as BIND and NSD keep them; RFC 2181 §5.2's one TTL per
//! RRset does not join signatures of different types.

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::NULL;
use hickory_proto::serialize::binary::BinEncodable;

/// The DNSSEC records hickory-proto decoded from a transfer, in the RFC 3597 form that
/// zone files give them here (`zonefile::generic`), so that both sources compare alike.
pub fn generic(rdata: RData) -> RData {
    if !rdata.record_type().is_dnssec() {
        return rdata;
    }
    match rdata.to_bytes() {
        Ok(bytes) => RData::Unknown {
            code: rdata.record_type(),
            rdata: NULL::with(bytes),
        },
        Err(_) => rdata,
    }
}

/// The type an RRSIG covers: the first two octets of its RDATA.
pub fn covered(rdata: &RData) -> Option<u16> {
    match rdata {
        RData::Unknown { code, rdata } if *code == hickory_proto::rr::RecordType::RRSIG => {
            let b = rdata.anything.get(..2)?;
            Some(u16::from_be_bytes([b[0], b[1]]))
        }
        _ => None,
    }
}
