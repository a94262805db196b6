//! Generated query corpora ([`common::generated`]): for each zone file, every owner name (as BIND reads the file)
//! crossed with its own types and the common ones, a child name that does not exist, and
//! the owner in mixed case, each with and without EDNS, answered by rrdns and by NSD
//! serving the same file, compared as in tests/differential.rs.

mod common;

use common::generated::differences;
use common::nsd;

#[test]
fn generated_corpora_are_answered_as_nsd_answers() {
    let zones = [
        ("faithful.test.", "tests/fixtures/faithful.test.zone", 600),
        ("example.net.", "tests/fixtures/example.net.zone", 600),
        ("example.test.", "zones/example.test.zone", 600),
    ];
    let mut all = Vec::new();
    for (origin, file, min) in zones {
        all.extend(differences(origin, file, min, None));
    }
    // Every type BIND reads, DNAME and signatures; without the 16 NSD cannot read.
    let (_dir, types) = nsd::readable_copy("tests/fixtures/types.test.zone");
    all.extend(differences("types.test.", &types, 2000, None));
    assert!(
        all.is_empty(),
        "{} differences:\n{}",
        all.len(),
        all.join("\n")
    );
}
