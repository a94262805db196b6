//! Drains: addresses an operator took out of every answer, kept in `state_dir` so that a
//! restart keeps them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use crate::metrics::unix_now;
use crate::problem::FileError;

/// One drain: why, since when, and until when (seconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Drain {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default)]
    pub since: u64,
    /// The drain ends by itself then (`--for 30m`); `None` lasts until undrained.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<u64>,
}

/// The drained addresses and the file they live in (`STATE_DIR/drains.json`).
#[derive(Debug)]
pub struct Drains {
    path: PathBuf,
    map: Mutex<BTreeMap<IpAddr, Drain>>,
}

#[derive(serde::Serialize, Default)]
struct File {
    drained: BTreeMap<IpAddr, Drain>,
}

/// The file as written by this version, or by earlier ones (a list of addresses).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Stored {
    Detailed { drained: BTreeMap<IpAddr, Drain> },
    Plain { drained: BTreeSet<IpAddr> },
}

impl Drains {
    /// Loads the drains of `state_dir` (none if the file does not exist yet).
    pub fn load(state_dir: &Path) -> Result<Drains, FileError> {
        let path = state_dir.join("drains.json");
        let map = match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<Stored>(&text) {
                Ok(Stored::Detailed { drained }) => drained,
                Ok(Stored::Plain { drained }) => (drained.into_iter())
                    .map(|a| {
                        (
                            a,
                            Drain {
                                reason: None,
                                since: 0,
                                until: None,
                            },
                        )
                    })
                    .collect(),
                Err(e) => {
                    let why = e.to_string();
                    return Err(FileError::Format { path, why });
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(FileError::Read { path, source }),
        };
        Ok(Drains {
            path,
            map: Mutex::new(map),
        })
    }

    /// The drained addresses.
    pub fn list(&self) -> BTreeSet<IpAddr> {
        self.map
            .lock()
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default()
    }

    /// The drains with their reasons and times.
    pub fn details(&self) -> BTreeMap<IpAddr, Drain> {
        self.map.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Drains an address (`Some`, replacing an earlier drain's reason and end) or
    /// undrains it (`None`), and persists the change before returning. Returns whether
    /// the set of drained addresses changed.
    pub fn set(&self, addr: IpAddr, drain: Option<Drain>) -> Result<bool, FileError> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let before = map.clone();
        let changed = match drain {
            Some(d) => map.insert(addr, d).is_none(),
            None => map.remove(&addr).is_some(),
        };
        if *map != before
            && let Err(e) = self.save(&map)
        {
            // Keep memory and disk in agreement.
            *map = before;
            return Err(e);
        }
        Ok(changed)
    }

    /// Ends the drains whose time is up at `now`; returns the addresses undrained.
    pub fn expire(&self, now: u64) -> Result<Vec<IpAddr>, FileError> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let done: Vec<IpAddr> = (map.iter())
            .filter(|(_, d)| d.until.is_some_and(|u| u <= now))
            .map(|(a, _)| *a)
            .collect();
        if done.is_empty() {
            return Ok(done);
        }
        let before = map.clone();
        for a in &done {
            map.remove(a);
        }
        if let Err(e) = self.save(&map) {
            *map = before;
            return Err(e);
        }
        Ok(done)
    }

    /// Write to a temporary file, fsync, rename: a crash leaves the old or the new file.
    fn save(&self, map: &BTreeMap<IpAddr, Drain>) -> Result<(), FileError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| FileError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let tmp = self.path.with_extension("json.tmp");
        // Addresses and strings always serialize.
        let body = serde_json::to_vec_pretty(&File {
            drained: map.clone(),
        })
        .unwrap_or_default();
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&body)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|source| FileError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(until: Option<u64>) -> Option<Drain> {
        Some(Drain {
            reason: Some("maintenance".into()),
            since: 100,
            until,
        })
    }

    #[test]
    fn drains_survive_a_reload_from_disk() {
        let d = tempfile::tempdir().unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let drains = Drains::load(d.path()).unwrap();
        assert!(drains.set(a, drain(None)).unwrap());
        assert!(!drains.set(a, drain(None)).unwrap(), "already drained");
        assert_eq!(Drains::load(d.path()).unwrap().list(), [a].into());
        assert_eq!(
            Drains::load(d.path()).unwrap().details()[&a],
            drain(None).unwrap()
        );
        assert!(drains.set(a, None).unwrap());
        assert!(Drains::load(d.path()).unwrap().list().is_empty());
    }

    #[test]
    fn a_drain_for_a_while_ends_by_itself_and_old_files_still_load() {
        let d = tempfile::tempdir().unwrap();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let drains = Drains::load(d.path()).unwrap();
        drains.set(a, drain(Some(200))).unwrap();
        drains.set(b, drain(None)).unwrap();
        assert!(drains.expire(199).unwrap().is_empty());
        assert_eq!(drains.expire(200).unwrap(), vec![a]);
        assert_eq!(Drains::load(d.path()).unwrap().list(), [b].into());
        std::fs::write(
            d.path().join("drains.json"),
            r#"{"drained": ["192.0.2.9"]}"#,
        )
        .unwrap();
        let old = Drains::load(d.path()).unwrap();
        assert_eq!(old.list(), ["192.0.2.9".parse().unwrap()].into());
    }
}
