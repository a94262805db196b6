//! `rrdns check`: a summary line per zone on success; every problem as FILE:LINE on failure.

mod common;

use common::*;
use std::process::Command;

fn check(dir: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(["check", "-c"])
        .arg(dir.join("rrdns.yaml"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &std::path::Path, files: &[(&str, &str)]) {
    for (n, c) in files {
        std::fs::write(dir.join(n), c).unwrap();
    }
}

/// Writes `cfg` beside the example zone as `z.zone`.
fn with_example_zone(dir: &std::path::Path, cfg: &str) {
    let zone = project_file("zones/example.test.zone");
    write(dir, &[("rrdns.yaml", cfg), ("z.zone", &zone)]);
}

#[test]
fn good_configuration_prints_a_summary_per_zone_and_warns_once_per_duplicate() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: example.test.zone\n  - name: example.net.\n    file: net.zone\npools:\n  api.example.test.:\n    weights: { \"192.0.2.20\": 3 }\n";
    write(
        d.path(),
        &[
            ("rrdns.yaml", cfg),
            (
                "example.test.zone",
                &project_file("zones/example.test.zone"),
            ),
            ("net.zone", &project_file("tests/fixtures/example.net.zone")),
        ],
    );
    let (code, out, err) = check(d.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("example.test. serial 2026112701 records 36 pools api.example.test.\n"),
        "{out}"
    );
    assert!(out.contains("example.net. serial 42 records"), "{out}");
    let dup: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("duplicate record"))
        .collect();
    assert_eq!(dup.len(), 1, "{err}");
    assert!(dup[0].contains("example.test.zone:29: warning:"), "{err}");
}

#[test]
fn every_problem_is_reported_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let zone = "$TTL 300\n\
@ SOA ns hostmaster 1 3600 900 604800 60\n\
@ NS ns\n\
ns A 192.0.2.1\n\
bad A 192.0.2\n\
alias CNAME ns\n\
alias A 192.0.2.2\n\
www.example.org. A 192.0.2.3\n\
odd FOO bar\n\
$INCLUDE inc.zone\n";
    let inc = "ok A 192.0.2.9\nnotype 300 IN\n";
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\ndefaults:\n  weighting: heavy\n";
    write(
        d.path(),
        &[("rrdns.yaml", cfg), ("z.zone", zone), ("inc.zone", inc)],
    );
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    let z = d.path().join("z.zone").display().to_string();
    let i = d.path().join("inc.zone").display().to_string();
    let y = d.path().join("rrdns.yaml").display().to_string();
    for expected in [
        format!("{z}:5: bad IPv4 address '192.0.2'"),
        format!("{z}:7: CNAME and other data at alias.example.test."),
        format!("{z}:9: unknown record type 'FOO'"),
        format!("{i}:2: record has no type"),
        format!("{y}:5: weighting 'heavy' is not one of duplicate, order, sample"),
    ] {
        assert!(err.contains(&expected), "missing '{expected}' in:\n{err}");
    }
}

/// A record outside the zone is skipped with a warning at its line, as BIND skips it
/// (NSD refuses the zone): it could never be served from this zone, and the rest can.
#[test]
fn out_of_zone_data_is_skipped_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let zone =
        "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww.example.org. A 192.0.2.3\n";
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\n";
    write(d.path(), &[("rrdns.yaml", cfg), ("z.zone", zone)]);
    let (code, out, err) = check(d.path());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("example.test. serial 1 records 3"), "{out}");
    let z = d.path().join("z.zone").display().to_string();
    let expected = format!(
        "{z}:5: warning: ignoring out-of-zone data: www.example.org. is outside the zone example.test."
    );
    assert!(err.contains(&expected), "missing '{expected}' in:\n{err}");
}

#[test]
fn a_zone_without_soa_or_ns_is_rejected() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        &[
            (
                "rrdns.yaml",
                "zones:\n  - name: example.test.\n    file: z.zone\n",
            ),
            ("z.zone", "$TTL 60\nwww A 192.0.2.1\n"),
        ],
    );
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("z.zone:2: zone example.test. has no SOA record"),
        "{err}"
    );
}

#[test]
fn pools_must_name_existing_addresses() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\npools:\n  nothere.example.test.:\n    ttl: 5\n  www.example.test.:\n    weights: { \"192.0.2.99\": 2 }\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("pool nothere.example.test.: no A or AAAA records"),
        "{err}"
    );
    assert!(err.contains("weight given for 192.0.2.99"), "{err}");
}

#[test]
fn unknown_configuration_keys_name_their_line() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), &[("rrdns.yaml", "zones: []\nlisten_on: x\n")]);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1);
    assert!(
        err.contains("rrdns.yaml:2:") && err.contains("listen_on"),
        "{err}"
    );
}

/// Regression: a key whose name is not a DNS name passed `check`, was dropped at run time,
/// and `transfer.key` naming it then required no signature at all (TSIG failed open).
#[test]
fn a_tsig_key_that_cannot_be_built_is_an_error_at_its_line_and_nowhere_else() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\n\
               keys:\n  bad key:\n    algorithm: hmac-sha256\n    secret: c2VjcmV0\n\
               transfer:\n  allow: [127.0.0.1]\n  key: bad key\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    let y = d.path().join("rrdns.yaml").display().to_string();
    assert!(
        err.contains(&format!(
            "{y}:6: key bad key: 'bad key' is not a DNS name: it contains white space"
        )),
        "{err}"
    );
    // One cause, one message: the transfer's reference to the key is not reported too.
    assert_eq!(err.matches("bad key").count(), 2, "{err}");
    assert!(!err.contains("not defined"), "{err}");
}

/// Regression: `admin` on an address other hosts can reach, without `admin_token`, let
/// anyone who could reach it drain backends. It is refused at its line.
#[test]
fn an_admin_reachable_from_other_hosts_needs_a_token() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\nadmin: \"0.0.0.0:8053\"\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("rrdns.yaml:4: admin 0.0.0.0:8053 is reachable from other hosts"),
        "{err}"
    );
    let with_token = format!("{cfg}admin_token: \"s3cret\"\n");
    with_example_zone(d.path(), &with_token);
    assert_eq!(check(d.path()).0, 0);
}

/// Regression: a missing zone file gave three messages for one cause (the file at line 0,
/// "no SOA record" at its line 1, and its pool with "no A or AAAA records"), and a YAML
/// error repeated its place ("FILE:7: error: line 7 column 1: …").
#[test]
fn one_cause_gives_one_message_at_a_real_line() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: missing.zone\npools:\n  www.example.test.:\n    weights: { \"192.0.2.1\": 2 }\n";
    write(d.path(), &[("rrdns.yaml", cfg)]);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    let y = d.path().join("rrdns.yaml").display().to_string();
    let problems: Vec<&str> = err.lines().filter(|l| l.contains(": ")).collect();
    assert_eq!(problems.len(), 1, "{err}");
    assert!(
        problems[0].starts_with(&format!("{y}:2: zone example.test.: cannot read ")),
        "{err}"
    );
    write(d.path(), &[("rrdns.yaml", "zones: []\n\nlisten_on: x\n")]);
    let (_, _, err) = check(d.path());
    assert!(
        err.contains(&format!("{y}:3: unknown field `listen_on`")),
        "{err}"
    );
    assert!(!err.contains("column"), "{err}");
}

/// Regression: an unknown key hid every other problem; a user needed three runs to see
/// them all. Now one run shows every unknown key, nested ones too, and the rest.
#[test]
fn unknown_keys_and_every_other_problem_in_one_run() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\n    flie: x\nlisten_on:\n  - a\ndefaults:\n  weighting: heavy\npools:\n  www.example.test.:\n    wieghts: 3\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    let y = d.path().join("rrdns.yaml").display().to_string();
    for want in [
        format!("{y}:4: unknown field `flie`"),
        format!("{y}:5: unknown field `listen_on`"),
        format!("{y}:8: weighting 'heavy' is not one of"),
        format!("{y}:11: unknown field `wieghts`"),
    ] {
        assert!(err.contains(&want), "missing '{want}' in:\n{err}");
    }
    assert!(err.contains("4 problem(s) found"), "{err}");
}

#[test]
fn a_zone_past_the_limits_is_refused_where_it_is_configured() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\nlimits: { zone_bytes: 100 }\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("rrdns.yaml:2: ") && err.contains("more than limits.zone_bytes (100)"),
        "{err}"
    );
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\nlimits: { zone_records: 10 }\n";
    with_example_zone(d.path(), cfg);
    let (code, _, err) = check(d.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("more than limits.zone_records (10)"), "{err}");
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\nlimits: { zone_bytes: lots }\ntcp: { max_connections: 0 }\n";
    with_example_zone(d.path(), cfg);
    let (_, _, err) = check(d.path());
    assert!(
        err.contains("rrdns.yaml:4: ") && err.contains("'lots' is not a size"),
        "{err}"
    );
    assert!(
        err.contains("rrdns.yaml:5: ") && err.contains("max_connections must be at least 1"),
        "{err}"
    );
}

fn rrdns(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rrdns"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `rrdns check --zone NAME FILE` checks one zone file without a configuration, and agrees
/// with `named-checkzone` on a good file and a broken one.
#[test]
fn a_zone_file_is_checked_alone_like_named_checkzone() {
    let good = root().join("zones/example.test.zone");
    let good = good.to_str().unwrap();
    let (code, out, err) = rrdns(&["check", "--zone", "example.test", good]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("example.test. serial "), "{out}");
    let bind = Command::new("named-checkzone")
        .args(["example.test", good])
        .output()
        .unwrap();
    assert!(bind.status.success());

    let d = tempfile::tempdir().unwrap();
    let broken = d.path().join("broken.zone");
    let text = project_file("zones/example.test.zone").replace("192.0.2.10", "192.0.2.300");
    std::fs::write(&broken, text).unwrap();
    let broken = broken.to_str().unwrap();
    let (code, _, err) = rrdns(&["check", "--zone", "example.test.", broken]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("{broken}:")), "FILE:LINE: {err}");
    let bind = Command::new("named-checkzone")
        .args(["example.test", broken])
        .output()
        .unwrap();
    assert!(!bind.status.success());

    let (code, _, err) = rrdns(&["check", "--zone", "example.test.", "/nonexistent.zone"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent.zone: cannot read"), "{err}");
}

/// `rrdns check -c FILE --print` shows the configuration with every default filled in,
/// and what it prints is itself a configuration that checks.
#[test]
fn print_shows_the_effective_configuration() {
    let d = tempfile::tempdir().unwrap();
    with_example_zone(
        d.path(),
        "zones:\n  - name: example.test.\n    file: z.zone\n",
    );
    let cfg = d.path().join("rrdns.yaml");
    let (code, out, err) = rrdns(&["check", "-c", cfg.to_str().unwrap(), "--print"]);
    assert_eq!(code, 0, "{err}");
    for default in [
        "listen: [\"127.0.0.1:5353\"]",
        "ttl: 30",
        "weighting: duplicate",
        "max_connections: 1000",
        "idle_timeout: 3s",
        "zone_records: 3000000",
    ] {
        assert!(out.contains(default), "{default} missing from:\n{out}");
    }
    std::fs::write(d.path().join("printed.yaml"), &out).unwrap();
    let (code, _, err) = rrdns(&[
        "check",
        "-c",
        d.path().join("printed.yaml").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
}

/// `rrdns check` says how many addresses `spread` serves per pool, and warns where
/// unequal weights rely on a mode that caching resolvers undo.
#[test]
fn check_tells_how_weights_reach_clients() {
    let d = tempfile::tempdir().unwrap();
    let cfg = "zones:\n  - name: example.test.\n    file: z.zone\npools:\n  api.example.test.:\n    weights: { \"192.0.2.20\": 2 }\n    weighting: spread\n    answers: 2\n  www.example.test.:\n    weights: { \"192.0.2.11\": 2 }\n    weighting: order\n";
    with_example_zone(d.path(), cfg);
    let (code, out, err) = check(d.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pool api.example.test. A: spread serves 2 of 3 addresses"),
        "{out}"
    );
    assert!(
        err.contains(
            "rrdns.yaml:10: warning: pool www.example.test. A: weights hold for direct clients only"
        ),
        "{err}"
    );
}
