//! Signed zones made the way operators make them: keys from BIND's `dnssec-keygen`
//! (ECDSA P-256 unless asked otherwise, a KSK and a ZSK per zone) and the zone signed by `dnssec-signzone`,
//! with NSEC, NSEC3, or NSEC3 with opt-out.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// How a zone proves what does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    /// NSEC3 with salt `aabbccdd` and 5 extra iterations.
    Nsec3,
    /// NSEC3 with opt-out (RFC 5155 §6): insecure delegations get no NSEC3.
    Nsec3OptOut,
}

/// Zones signed into a temporary directory, with the keys they were signed with.
pub struct Signed {
    pub dir: tempfile::TempDir,
    /// Per zone: its origin and the signed file.
    pub zones: Vec<(String, String)>,
    /// The KSK DNSKEY records, one per line: a validator's trust anchors.
    pub anchors: String,
    /// The private key files (`K<zone>+<alg>+<tag>.private`) per zone, ZSK first.
    pub keys: Vec<(String, Vec<PathBuf>)>,
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .stderr(Stdio::piped())
        .output()
        .expect("BIND's DNSSEC tools are installed (apt-get install bind9-dnsutils bind9)");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Makes keys for each zone (origin, text) and signs it with `denial`.
pub fn sign(zones: &[(&str, &str)], denial: Denial) -> Signed {
    sign_with(zones, denial, "ECDSAP256SHA256")
}

/// Keys for zones, made by `dnssec-keygen` into a temporary directory: a ZSK and a KSK
/// per zone, of `algorithm` (a dnssec-keygen name: ECDSAP256SHA256, ED25519, RSASHA256).
pub struct Keys {
    pub dir: tempfile::TempDir,
    /// The KSK DNSKEY records, one per line: a validator's trust anchors.
    pub anchors: String,
    /// The private key files (`K<zone>+<alg>+<tag>.private`) per zone, ZSK first.
    pub keys: Vec<(String, Vec<PathBuf>)>,
}

/// Makes a ZSK and a KSK for each of `origins`.
pub fn keys(origins: &[&str], algorithm: &str) -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut out = Keys {
        anchors: String::new(),
        keys: Vec::new(),
        dir: tempfile::tempdir().unwrap(),
    };
    for origin in origins {
        let keygen = |ksk: bool| {
            let mut c = Command::new("dnssec-keygen");
            c.args(["-q", "-K"])
                .arg(d)
                .args(["-a", algorithm, "-n", "ZONE"]);
            if algorithm.starts_with("RSA") {
                c.args(["-b", "2048"]);
            }
            if ksk {
                c.args(["-f", "KSK"]);
            }
            run(c.arg(origin))
        };
        let zsk = keygen(false);
        let ksk = keygen(true);
        let anchor = std::fs::read_to_string(d.join(format!("{ksk}.key"))).unwrap();
        out.anchors.extend(
            anchor
                .lines()
                .filter(|l| !l.starts_with(';'))
                .map(|l| format!("{l}\n")),
        );
        out.keys.push((
            origin.to_string(),
            vec![
                d.join(format!("{zsk}.private")),
                d.join(format!("{ksk}.private")),
            ],
        ));
    }
    out.dir = dir;
    out
}

/// The program that signs a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    /// BIND's `dnssec-signzone`.
    Bind,
    /// NLnet Labs' `ldns-signzone` (Debian's ldnsutils), which reads BIND's key files.
    Ldns,
}

impl Signer {
    /// The command that signs `input` into `signed` with `keys` (private key files).
    fn command(
        self,
        dir: &std::path::Path,
        origin: &str,
        input: &std::path::Path,
        signed: &std::path::Path,
        keys: &[PathBuf],
        denial: Denial,
    ) -> Command {
        match self {
            Signer::Bind => {
                let mut c = Command::new("dnssec-signzone");
                c.args(["-q", "-S", "-K"]).arg(dir).arg("-d").arg(dir);
                c.args(["-o", origin, "-f"]).arg(signed);
                match denial {
                    Denial::Nsec => {}
                    Denial::Nsec3 => {
                        c.args(["-3", "aabbccdd", "-H", "5"]);
                    }
                    Denial::Nsec3OptOut => {
                        c.args(["-3", "aabbccdd", "-H", "5", "-A"]);
                    }
                }
                c.arg(input).stdout(Stdio::null());
                c
            }
            Signer::Ldns => {
                let mut c = Command::new("ldns-signzone");
                c.args(["-o", origin, "-f"]).arg(signed);
                match denial {
                    Denial::Nsec => {}
                    Denial::Nsec3 => {
                        c.args(["-n", "-s", "aabbccdd", "-t", "5"]);
                    }
                    Denial::Nsec3OptOut => {
                        c.args(["-n", "-p", "-s", "aabbccdd", "-t", "5"]);
                    }
                }
                c.arg(input);
                // The key files without their extension.
                c.args(keys.iter().map(|k| k.with_extension("")));
                c.stdout(Stdio::null());
                c
            }
        }
    }
}

/// [`sign`] with keys of `algorithm` (a dnssec-keygen name: ECDSAP256SHA256, ED25519,
/// RSASHA256).
pub fn sign_with(zones: &[(&str, &str)], denial: Denial, algorithm: &str) -> Signed {
    sign_by(zones, denial, algorithm, Signer::Bind)
}

/// [`sign_with`] by `signer`.
pub fn sign_by(zones: &[(&str, &str)], denial: Denial, algorithm: &str, signer: Signer) -> Signed {
    let origins: Vec<&str> = zones.iter().map(|(o, _)| *o).collect();
    let k = keys(&origins, algorithm);
    let d = k.dir.path();
    let mut out = Signed {
        zones: Vec::new(),
        anchors: k.anchors.clone(),
        keys: k.keys.clone(),
        dir: tempfile::tempdir().unwrap(),
    };
    for (origin, text) in zones {
        let base = origin.trim_end_matches('.');
        let input = d.join(format!("{base}.zone"));
        std::fs::write(&input, text).unwrap();
        let signed = d.join(format!("{base}.signed"));
        let keys = &k
            .keys
            .iter()
            .find(|(o, _)| o == origin)
            .expect("keys made")
            .1;
        run(&mut signer.command(d, origin, &input, &signed, keys, denial));
        out.zones
            .push((origin.to_string(), signed.display().to_string()));
    }
    out.dir = k.dir;
    out
}
