//! RRSIGs in a zone: one set per type covered, each with its own TTL (the TTL of the
//! RRset it signs, RFC 4034 §3), as BIND and NSD keep them; RFC 2181 §5.2's one TTL per
//! RRset does not join signatures of different types. And received RDATA (transfers,
//! saved copies) put in the form zone files give it, so the two compare alike.

use hickory_proto::rr::RData;
use hickory_proto::serialize::binary::BinEncodable;

/// Received RDATA (a transfer, a saved copy) in the form zone files give it here, so that
/// both sources compare alike: DNSSEC records in RFC 3597 form (`zonefile::generic`), and
/// empty RDATA, which hickory-proto reads as an UPDATE prerequisite, as empty RFC 3597
/// data of its type.
pub fn generic(rdata: RData) -> RData {
    if let RData::Update0(t) = rdata {
        return RData::Unknown {
            code: t,
            rdata: crate::wire::opaque(Vec::new()),
        };
    }
    if !rdata.record_type().is_dnssec() {
        return rdata;
    }
    match rdata.to_bytes() {
        Ok(bytes) => RData::Unknown {
            code: rdata.record_type(),
            rdata: crate::wire::opaque(bytes),
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
