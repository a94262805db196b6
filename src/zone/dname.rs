//! DNAME (RFC 6672): a redirection of every name below its owner. A query for a name
//! below a DNAME gets the DNAME and a CNAME synthesised from it (RFC 6672 §3.2), and the
//! resolution goes on at the new name.

use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
use std::sync::Arc;

use super::RRset;
use super::compact::{Data, Rdata};

/// The DNAME's target: its RDATA is one uncompressed name (RFC 6672 §2.1), kept in wire
/// form (hickory-proto has no DNAME type).
pub fn target(dname: &RRset) -> Option<Name> {
    let rdata = dname.data.first()?;
    let RData::Unknown { rdata, .. } = rdata.other()? else {
        return None;
    };
    Name::read(&mut BinDecoder::new(&rdata.anything)).ok()
}

/// `qname` with `owner` replaced by `target`, or `None` when the result is longer than a
/// name may be (YXDOMAIN, RFC 6672 §2.2).
pub fn substitute(qname: &Name, owner: &Name, target: &Name) -> Option<Name> {
    let keep = qname.iter().count().checked_sub(owner.iter().count())?;
    let mut name = Name::from_labels(qname.iter().take(keep)).ok()?;
    name.set_fqdn(false);
    name.append_domain(target).ok()
}

/// The CNAME synthesised for `qname`: its target, with the DNAME's TTL (RFC 6672 §3.2).
pub fn synthesised(new_name: Name, ttl: u32) -> Arc<RRset> {
    let data = Data::with_first(
        Some(Rdata::from(RData::CNAME(CNAME(new_name)))),
        Vec::new(),
        Vec::new(),
    );
    Arc::new(RRset::new(hickory_proto::rr::RecordType::CNAME, ttl, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn substitution_replaces_the_owner_suffix() {
        let got = substitute(&n("a.b.d.example."), &n("d.example."), &n("e.example.net."));
        assert_eq!(got, Some(n("a.b.e.example.net.")));
        let long = n(&format!("{}.d.example.", vec!["x".repeat(63); 3].join(".")));
        let target = n(&format!("{}.net.", vec!["y".repeat(63); 2].join(".")));
        assert_eq!(
            substitute(&long, &n("d.example."), &target),
            None,
            "over 255 octets"
        );
    }
}
