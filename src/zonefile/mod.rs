//! Zone files as text: the master-file format of RFC 1035 §5 as BIND reads it.
//!
//! [`lexer`] splits text into entries and tokens (quotes, escapes, parentheses,
//! comments), [`master`] follows `$ORIGIN`, `$TTL`, `$INCLUDE`, `$GENERATE` and the
//! owner/TTL/class defaults, and [`rdata`] reads each type's RDATA. Records go to a
//! callback as they are read, each with its FILE:LINE; building a zone from them is
//! [`crate::zone`]'s job. Below `zone` and `config`, above [`crate::problem`] and
//! [`crate::wire`] only.

pub mod fields;
pub mod generic;
pub mod lexer;
pub mod loc;
pub mod master;
pub mod rdata;
pub mod special;
pub mod strings;
pub mod svcb;
