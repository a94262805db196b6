//! The query corpus shared by the differential and fast-path tests: names from the
//! project's example zone and the fixtures (CNAME chains, wildcards, empty non-terminals,
//! delegations, many RDATA types), each with the common types.

use hickory_proto::rr::RecordType;

/// The zones the corpus asks about, with their files relative to the project root.
pub const ZONES: [(&str, &str); 3] = [
    ("example.test.", "zones/example.test.zone"),
    ("example.net.", "tests/fixtures/example.net.zone"),
    ("sub.example.net.", "tests/fixtures/sub.example.net.zone"),
];

/// Every question of the corpus.
pub fn corpus() -> Vec<(String, RecordType)> {
    let test = [
        "example.test.",
        "www.example.test.",
        "api.example.test.",
        "mail.example.test.",
        "ns1.example.test.",
        "ns2.example.test.",
        "blog.example.test.",
        "ftp.example.test.",
        "_sip._tcp.example.test.",
        "x.apps.example.test.",
        "y.z.apps.example.test.",
        "apps.example.test.",
        "*.apps.example.test.",
        "b.example.test.",
        "a.b.example.test.",
        "c.a.b.example.test.",
        "sub.example.test.",
        "x.sub.example.test.",
        "ns1.sub.example.test.",
        "nope.example.test.",
        "WwW.ExAmPlE.TeSt.",
    ];
    let net = [
        "example.net.",
        "c1.example.net.",
        "c2.example.net.",
        "loop1.example.net.",
        "dangle.example.net.",
        "away.example.net.",
        "tomx.example.net.",
        "q.wc.example.net.",
        "exists.wc.example.net.",
        "deep.q.wc.example.net.",
        "q.wcn.example.net.",
        "anything.example.net.",
        "d.example.net.",
        "c.d.example.net.",
        "b.c.d.example.net.",
        "a.b.c.d.example.net.",
        "z.a.b.c.d.example.net.",
        "child.example.net.",
        "www.child.example.net.",
        "ns.child.example.net.",
        "nods.example.net.",
        "x.nods.example.net.",
        "sub.example.net.",
        "www.sub.example.net.",
        "nx.sub.example.net.",
        "_ldap._tcp.example.net.",
        "srv2.example.net.",
        "txt.example.net.",
        "mixed.example.net.",
        "ptr.example.net.",
        "naptr.example.net.",
        "sshfp.example.net.",
        "tlsa.example.net.",
        "https.example.net.",
        "svc.example.net.",
        "generic.example.net.",
        "ttls.example.net.",
        "many.example.net.",
        "gen3.example.net.",
        "UPPER.example.net.",
        "mx.example.net.",
    ];
    let types = [
        RecordType::A,
        RecordType::AAAA,
        RecordType::MX,
        RecordType::TXT,
        RecordType::NS,
        RecordType::SOA,
        RecordType::CNAME,
        RecordType::DS,
    ];
    let mut out = Vec::new();
    for n in test.iter().chain(net.iter()) {
        for t in types {
            out.push((n.to_string(), t));
        }
    }
    for (n, t) in [
        ("_sip._tcp.example.test.", RecordType::SRV),
        ("_ldap._tcp.example.net.", RecordType::SRV),
        ("example.test.", RecordType::CAA),
        ("ptr.example.net.", RecordType::PTR),
        ("naptr.example.net.", RecordType::NAPTR),
        ("sshfp.example.net.", RecordType::SSHFP),
        ("tlsa.example.net.", RecordType::TLSA),
        ("https.example.net.", RecordType::HTTPS),
        ("svc.example.net.", RecordType::SVCB),
        ("generic.example.net.", RecordType::Unknown(65280)),
        ("example.test.", RecordType::ANY),
        ("www.example.test.", RecordType::ANY),
        ("example.com.", RecordType::A),
        ("net.", RecordType::SOA),
        (".", RecordType::NS),
        ("big.example.net.", RecordType::TXT),
    ] {
        out.push((n.to_string(), t));
    }
    out
}
