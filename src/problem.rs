//! A problem found in an input file, with the place it was found.

use std::fmt;
use std::path::PathBuf;

/// A problem in a zone or configuration file, printed as `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// A state file (a secondary zone's saved copy, the drains) that could not be read or
/// written, with its path.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Written to a temporary file, fsynced and renamed; any step may fail.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is there but is not what it should be: `why` says how.
    #[error("{}: {why}", path.display())]
    Format { path: PathBuf, why: String },
}
