//! What the server last loaded, for `rrdns check` to warn when a zone's content changed
//! but its serial did not (secondaries compare serials only, RFC 1996 §2.1, and would never
//! see the change). The server writes each file zone's serial and a digest of its records
//! to `STATE_DIR/loaded.json` after every load; `check` compares the files on disk with it.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::Zone;
use super::walk::Walk;
use crate::config::{Config, ZoneSource};
use crate::problem::Problem;

/// A digest of a zone's records in wire form, whatever their order in the file: the sum of
/// one 64-bit FNV-1a hash per record.
pub fn digest(zone: &Arc<Zone>) -> u64 {
    let mut walk = Walk::new(zone.clone());
    let (mut buf, mut sum) = (Vec::with_capacity(512), 0u64);
    loop {
        buf.clear();
        // Owners in full every time: a pointer would make a record's bytes depend on
        // the record before it.
        let mut origin_at = None;
        if !walk.write_next(&mut buf, &mut origin_at) {
            return sum;
        }
        let h = buf.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        sum = sum.wrapping_add(h);
    }
}

#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
struct Loaded {
    serial: u32,
    digest: u64,
}

fn path(state_dir: &Path) -> std::path::PathBuf {
    state_dir.join("loaded.json")
}

/// The file zones of `cfg` as loaded in `zones`.
fn of(cfg: &Config, zones: &super::ZoneSet) -> BTreeMap<String, Loaded> {
    (cfg.zones.iter())
        .filter(|z| matches!(z.source, ZoneSource::File(_)))
        .filter_map(|z| {
            let zone = zones.get(&z.name)?;
            Some((
                z.name.to_string(),
                Loaded {
                    serial: zone.serial,
                    digest: digest(zone),
                },
            ))
        })
        .collect()
}

/// Records what was loaded (after a start or a reload); a failure is only logged.
pub fn record(cfg: &Config, zones: &super::ZoneSet) {
    let body = serde_json::to_vec_pretty(&of(cfg, zones)).unwrap_or_default();
    let (p, tmp) = (
        path(&cfg.state_dir),
        path(&cfg.state_dir).with_extension("json.tmp"),
    );
    let written = std::fs::create_dir_all(&cfg.state_dir)
        .and_then(|_| std::fs::write(&tmp, &body))
        .and_then(|_| std::fs::rename(&tmp, &p));
    if let Err(e) = written {
        tracing::warn!("cannot record the zones loaded in {}: {e}", p.display());
    }
}

/// Warnings for zones whose content differs from what the server last loaded under the
/// same serial; none when the server has not recorded anything.
pub fn changed_under_same_serial(cfg: &Config, zones: &super::ZoneSet) -> Vec<Problem> {
    let Ok(text) = std::fs::read_to_string(path(&cfg.state_dir)) else {
        return Vec::new();
    };
    let Ok(before) = serde_json::from_str::<BTreeMap<String, Loaded>>(&text) else {
        return Vec::new();
    };
    let now = of(cfg, zones);
    (cfg.zones.iter())
        .filter_map(|z| {
            let name = z.name.to_string();
            let (was, is) = (before.get(&name)?, now.get(&name)?);
            (was.serial == is.serial && was.digest != is.digest).then(|| Problem {
                file: cfg.source.clone(),
                line: z.line,
                message: format!(
                    "zone {name}: content changed since the server loaded it but serial {} did not; secondaries will not see the change until the serial is increased",
                    is.serial
                ),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Name;

    fn zone(text: &str) -> Arc<Zone> {
        Arc::new(Zone::from_text(&Name::from_ascii("d.test.").unwrap(), text, "d.zone").unwrap())
    }

    #[test]
    fn the_digest_follows_content_not_order() {
        let a = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nw A 192.0.2.2\nw A 192.0.2.3\n",
        );
        let b = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nw A 192.0.2.3\nw A 192.0.2.2\nns A 192.0.2.1\n",
        );
        let c = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nw A 192.0.2.2\nw A 192.0.2.4\n",
        );
        assert_eq!(digest(&a), digest(&b));
        assert_ne!(digest(&a), digest(&c));
    }
}
