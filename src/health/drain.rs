//! Drains: addresses an operator took out of every answer, kept in `state_dir` so that a
//! restart keeps them.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::problem::FileError;

/// The drained addresses and the file they live in (`STATE_DIR/drains.json`).
#[derive(Debug)]
pub struct Drains {
    path: PathBuf,
    set: Mutex<BTreeSet<IpAddr>>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct File {
    drained: BTreeSet<IpAddr>,
}

impl Drains {
    /// Loads the drains of `state_dir` (none if the file does not exist yet).
    pub fn load(state_dir: &Path) -> Result<Drains, FileError> {
        let path = state_dir.join("drains.json");
        let set = match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<File>(&text) {
                Ok(f) => f.drained,
                Err(e) => {
                    let why = e.to_string();
                    return Err(FileError::Format { path, why });
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeSet::new(),
            Err(source) => return Err(FileError::Read { path, source }),
        };
        Ok(Drains {
            path,
            set: Mutex::new(set),
        })
    }

    pub fn list(&self) -> BTreeSet<IpAddr> {
        self.set.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Drains (`true`) or undrains an address and persists the change before returning.
    /// Returns whether the set changed.
    pub fn set(&self, addr: IpAddr, drained: bool) -> Result<bool, FileError> {
        let mut set = self.set.lock().unwrap_or_else(|p| p.into_inner());
        let changed = if drained {
            set.insert(addr)
        } else {
            set.remove(&addr)
        };
        if changed && let Err(e) = self.save(&set) {
            // Keep memory and disk in agreement.
            if drained {
                set.remove(&addr);
            } else {
                set.insert(addr);
            }
            return Err(e);
        }
        Ok(changed)
    }

    /// Write to a temporary file, fsync, rename: a crash leaves the old or the new file.
    fn save(&self, set: &BTreeSet<IpAddr>) -> Result<(), FileError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|source| FileError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
        let tmp = self.path.with_extension("json.tmp");
        // A set of addresses always serializes.
        let body = serde_json::to_vec_pretty(&File {
            drained: set.clone(),
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

    #[test]
    fn drains_survive_a_reload_from_disk() {
        let d = tempfile::tempdir().unwrap();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let drains = Drains::load(d.path()).unwrap();
        assert!(drains.set(a, true).unwrap());
        assert!(!drains.set(a, true).unwrap(), "already drained");
        assert_eq!(Drains::load(d.path()).unwrap().list(), [a].into());
        assert!(drains.set(a, false).unwrap());
        assert!(Drains::load(d.path()).unwrap().list().is_empty());
    }
}
