//! The persisted copy of a secondary zone: `STATE_DIR/secondary/<zone>bin`, the records
//! in wire format, written to a temporary file, fsynced and renamed, so that a restart
//! serves the last transferred copy without a transfer and a crash never leaves half a
//! file.

use hickory_proto::rr::{Name, Record};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::problem::{FileError, Problem};
use crate::zone::Zone;

const MAGIC: &[u8] = b"RRDNS-ZONE-1\n";

/// Where the copy of `zone` lives.
pub fn path(state_dir: &Path, zone: &Name) -> PathBuf {
    let file = zone.to_lowercase().to_ascii().replace('/', "_");
    state_dir.join("secondary").join(format!("{file}bin"))
}

/// Writes the records atomically.
pub fn save(path: &Path, records: &[Record]) -> Result<(), FileError> {
    let mut buf = Vec::with_capacity(records.len() * 48 + MAGIC.len());
    buf.extend_from_slice(MAGIC);
    for r in records {
        // Each record alone: no compression pointers across records.
        let bytes = r.to_bytes().map_err(|e| FileError::Format {
            path: path.to_path_buf(),
            why: format!("cannot encode {}: {e}", r.name),
        })?;
        buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        buf.extend_from_slice(&bytes);
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|source| FileError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let tmp = path.with_extension("tmp");
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&buf)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The directory entry too, so that the rename survives a crash.
        std::fs::File::open(dir)?.sync_all()
    };
    write().map_err(|source| FileError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a saved copy and when it was last confirmed current (the file's mtime).
pub fn load(path: &Path) -> Result<Option<(Vec<Record>, SystemTime)>, FileError> {
    let read = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read(e)),
    };
    let bad = || FileError::Format {
        path: path.to_path_buf(),
        why: "not a saved zone copy".into(),
    };
    let mut rest = data.strip_prefix(MAGIC).ok_or_else(bad)?;
    let mut records = Vec::new();
    while !rest.is_empty() {
        let len = u32::from_be_bytes(
            rest.get(..4)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        ) as usize;
        let bytes = rest.get(4..4 + len).ok_or_else(bad)?;
        let r = Record::read(&mut BinDecoder::new(bytes)).map_err(|e| FileError::Format {
            path: path.to_path_buf(),
            why: format!("not a saved zone copy: {e}"),
        })?;
        records.push(r);
        rest = &rest[4 + len..];
    }
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(read)?;
    Ok(Some((records, mtime)))
}

/// The saved copy of secondary zone `name` under `state_dir` as a zone, for
/// [`crate::zone::ZoneSet::build`]: `None` when there is none.
pub fn saved_zone(state_dir: &Path, name: &Name) -> Option<Result<Zone, Vec<Problem>>> {
    let path = path(state_dir, name);
    match load(&path) {
        Ok(Some((records, _))) => Some(Zone::from_records(
            name,
            &records,
            &path.display().to_string(),
        )),
        Ok(None) => None,
        Err(e) => Some(Err(vec![Problem {
            file: path.display().to_string(),
            line: 0,
            message: e.to_string(),
        }])),
    }
}

/// Marks the copy as confirmed current now (a refresh found the serial unchanged).
pub fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::RData;
    use hickory_proto::rr::rdata::{A, TXT};

    #[test]
    fn round_trip() {
        let d = tempfile::tempdir().unwrap();
        let zone = Name::from_ascii("example.test.").unwrap();
        let p = path(d.path(), &zone);
        let n = Name::from_ascii("www.example.test.").unwrap();
        let rs = vec![
            Record::from_rdata(n.clone(), 60, RData::A(A::new(192, 0, 2, 1))),
            Record::from_rdata(n, 60, RData::TXT(TXT::new(vec!["hi there".into()]))),
        ];
        save(&p, &rs).unwrap();
        let (back, _) = load(&p).unwrap().unwrap();
        assert_eq!(back, rs);
        std::fs::write(&p, b"garbage").unwrap();
        assert!(load(&p).is_err());
        assert!(load(&d.path().join("none")).unwrap().is_none());
    }
}
