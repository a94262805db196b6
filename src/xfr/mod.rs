//! Zone transfers in: secondary zones, kept current from their primaries by SOA
//! refresh/retry/expire timers (RFC 1034 §4.3.5), NOTIFY (RFC 1996) and AXFR/IXFR
//! (RFC 5936, RFC 1995), with copies persisted on disk. Transfers *out* are answered
//! beside the other queries, in [`crate::dns::transfer`].

pub mod client;
pub mod error;
pub mod notify;
pub mod persist;
pub mod secondary;
