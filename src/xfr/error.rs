//! Why a refresh of a secondary zone failed: logged once per attempt, and the old copy
//! keeps serving until EXPIRE (RFC 1034 §4.3.5).

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Name;
use std::net::SocketAddr;
use std::time::Duration;

use crate::wire::tsig::Failure;

/// A failed SOA query or transfer from one primary, or a transferred zone refused.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("cannot encode request: {0}")]
    Encode(String),
    #[error("cannot open a socket: {0}")]
    Socket(std::io::Error),
    #[error("cannot send to {0}: {1}")]
    Send(SocketAddr, std::io::Error),
    #[error("no SOA answer from {0}")]
    NoAnswer(SocketAddr),
    #[error("cannot read the answer from {0}: {1}")]
    Receive(SocketAddr, std::io::Error),
    #[error("connect to {0} timed out")]
    ConnectTimeout(SocketAddr),
    #[error("cannot connect to {0}: {1}")]
    Connect(SocketAddr, std::io::Error),
    #[error("{0} stalled mid-transfer")]
    Stalled(SocketAddr),
    #[error("{0} closed the connection mid-transfer: {1}")]
    Closed(SocketAddr, std::io::Error),
    #[error("transfer from {0} took longer than {1:?}")]
    TooLong(SocketAddr, Duration),
    /// RFC 8945 §5.3: an answer whose TSIG does not verify is not used.
    #[error("TSIG check failed: {0:?}")]
    Tsig(Failure),
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("answer with the wrong ID")]
    WrongId,
    #[error("primary answered {0}")]
    Rcode(ResponseCode),
    #[error("empty TCP answer")]
    EmptyAnswer,
    #[error("{0} sent no SOA for {1}")]
    NoSoa(SocketAddr, Name),
    /// A transfer that would make the zone larger than `limits` allows.
    #[error("transfer stopped: {0}")]
    TooLarge(String),
    #[error("transfer ended early")]
    EndedEarly,
    /// The answer breaks RFC 5936 §2.2 or RFC 1995 §4 framing (SOA first, serial chain).
    #[error("{0}")]
    Framing(String),
    #[error("IXFR step starts at serial {got}, expected {expected}")]
    IxfrChain { got: u32, expected: u32 },
    #[error("IXFR deletes {0}, which we do not have")]
    IxfrDelete(String),
    #[error("incremental answer to a full request")]
    UnaskedIncrement,
    /// The transferred records do not make a valid zone (no NS, CNAME and other data…).
    #[error("transferred zone rejected: {0}")]
    Rejected(String),
    #[error("no primaries")]
    NoPrimaries,
    /// The last primary's failure, after every primary was tried.
    #[error("{0}: {1}")]
    From(SocketAddr, Box<TransferError>),
}
