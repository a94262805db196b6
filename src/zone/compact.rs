//! RDATA as a zone keeps it: addresses inline, everything else boxed.
//!
//! hickory's `RData` enum is 184 bytes whatever it holds, so a zone of address records
//! spent 192 bytes of heap on each 4-byte IPv4 address. Address records are most of a
//! load-balancing zone; [`Rdata`] holds them in 24 bytes and boxes the rest. [`Data`], the
//! records of one RRset, keeps a lone record inline: most names have one address.

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

/// The records of one RRset, in the order first written, with how often each was
/// written (extra weight for address records, RFC 2181 §5 duplicates otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// One record written once: no allocation.
    One(Rdata),
    Many(Box<[Rdata]>),
    /// Some record was written more than once.
    Weighted(Box<Weighted>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weighted {
    data: Box<[Rdata]>,
    copies: Box<[u32]>,
}

impl Data {
    /// The records, with `copies[i]` the count of record `i` (empty: each once).
    pub fn new(mut data: Vec<Rdata>, copies: Vec<u32>) -> Data {
        if copies.iter().any(|&c| c != 1) {
            return Data::Weighted(Box::new(Weighted {
                data: data.into(),
                copies: copies.into(),
            }));
        }
        match (data.len(), data.pop()) {
            (1, Some(one)) => Data::One(one),
            (_, last) => {
                data.extend(last);
                Data::Many(data.into())
            }
        }
    }

    /// As [`Data::new`], with the first record apart: a lone record needs no vector.
    pub fn with_first(first: Option<Rdata>, mut more: Vec<Rdata>, copies: Vec<u32>) -> Data {
        match first {
            Some(one) if more.is_empty() && copies.iter().all(|&c| c == 1) => Data::One(one),
            first => {
                more.splice(0..0, first);
                Data::new(more, copies)
            }
        }
    }

    /// How often record `i` was written.
    pub fn copies(&self, i: usize) -> u32 {
        match self {
            Data::Weighted(w) => w.copies.get(i).copied().unwrap_or(1),
            _ => 1,
        }
    }
}

impl std::ops::Deref for Data {
    type Target = [Rdata];
    fn deref(&self) -> &[Rdata] {
        match self {
            Data::One(one) => std::slice::from_ref(one),
            Data::Many(many) => many,
            Data::Weighted(w) => &w.data,
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

    #[test]
    fn data_keeps_order_and_counts() {
        let a = |i: u8| Rdata::A(std::net::Ipv4Addr::new(192, 0, 2, i));
        assert!(matches!(Data::new(vec![a(1)], vec![]), Data::One(_)));
        assert!(matches!(Data::new(vec![a(1)], vec![1]), Data::One(_)));
        let many = Data::new(vec![a(1), a(2), a(3)], vec![]);
        assert_eq!(&*many, &[a(1), a(2), a(3)]);
        assert_eq!(many.copies(2), 1);
        let weighted = Data::new(vec![a(1), a(2)], vec![1, 3]);
        assert_eq!(&*weighted, &[a(1), a(2)]);
        assert_eq!((weighted.copies(0), weighted.copies(1)), (1, 3));
        assert!(Data::new(vec![], vec![]).is_empty());
        assert_eq!(std::mem::size_of::<Data>(), 24, "no bigger than one record");
        // With the first record apart, the same data.
        assert!(matches!(
            Data::with_first(Some(a(1)), vec![], vec![]),
            Data::One(_)
        ));
        assert!(matches!(
            Data::with_first(Some(a(1)), vec![], vec![1]),
            Data::One(_)
        ));
        let many = Data::with_first(Some(a(1)), vec![a(2), a(3)], vec![]);
        assert_eq!(&*many, &[a(1), a(2), a(3)]);
        let weighted = Data::with_first(Some(a(1)), vec![a(2)], vec![1, 3]);
        assert_eq!(&*weighted, &[a(1), a(2)]);
        assert_eq!((weighted.copies(0), weighted.copies(1)), (1, 3));
        let lone_weighted = Data::with_first(Some(a(1)), vec![], vec![2]);
        assert_eq!((&*lone_weighted, lone_weighted.copies(0)), (&[a(1)][..], 2));
        assert!(Data::with_first(None, vec![], vec![]).is_empty());
    }
}
