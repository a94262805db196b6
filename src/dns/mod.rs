//! DNS transports: UDP and TCP sockets in front of the [`engine::Engine`].
//!
//! Resolution rules never live here; a transport reads bytes, asks the engine, and writes
//! bytes back.

pub mod batch;
pub mod conns;
pub mod engine;
mod fast;
pub mod rrl;
pub mod tcp;
pub mod transfer;
pub mod udp;

pub use engine::{Engine, Transport};
pub use fast::ImageLimits;
