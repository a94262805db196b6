//! RDATA as a zone keeps it: addresses inline, everything else boxed.
//!
//! hickory's `RData` enum is 184 bytes whatever it holds, so a zone of address records
//! spent 192 bytes of heap on each 4-byte IPv4 address. Address records are most of a
//! load-balancing zone; this type holds them in 24 bytes and boxes the rest.

use hickory_proto::rr::RData;
use hickory_proto::rr::rdata::{A, AAAA};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One record's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Other(Box<RData>),
}

impl From<RData> for Rdata {
    fn from(d: RData) -> Rdata {
        match d {
            RData::A(a) => Rdata::A(a.0),
            RData::AAAA(a) => Rdata::Aaaa(a.0),
            other => Rdata::Other(Box::new(other)),
        }
    }
}

impl Rdata {
    /// The data as hickory's type, for encoding.
    pub fn to_rdata(&self) -> RData {
        match self {
            Rdata::A(a) => RData::A(A(*a)),
            Rdata::Aaaa(a) => RData::AAAA(AAAA(*a)),
            Rdata::Other(d) => (**d).clone(),
        }
    }

    /// The address of an A or AAAA record.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Rdata::A(a) => Some(IpAddr::V4(*a)),
            Rdata::Aaaa(a) => Some(IpAddr::V6(*a)),
            Rdata::Other(_) => None,
        }
    }

    /// Data of any other type (names to follow: CNAME, NS, MX, SRV targets).
    pub fn other(&self) -> Option<&RData> {
        match self {
            Rdata::Other(d) => Some(d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;
    use hickory_proto::rr::rdata::CNAME;

    #[test]
    fn round_trips_and_stays_small() {
        let v4 = RData::A(A("192.0.2.1".parse().unwrap()));
        let v6 = RData::AAAA(AAAA("2001:db8::1".parse().unwrap()));
        let cname = RData::CNAME(CNAME(Name::from_ascii("x.test.").unwrap()));
        for d in [v4.clone(), v6.clone(), cname.clone()] {
            assert_eq!(Rdata::from(d.clone()).to_rdata(), d);
        }
        assert_eq!(Rdata::from(v4).ip(), Some("192.0.2.1".parse().unwrap()));
        assert_eq!(
            Rdata::from(v6.clone()).ip(),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(Rdata::from(cname.clone()).other(), Some(&cname));
        assert!(Rdata::from(v6).other().is_none());
        assert!(std::mem::size_of::<Rdata>() <= 24);
    }
}
