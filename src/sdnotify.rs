//! The service manager's readiness protocol (systemd's `sd_notify(3)`, `Type=notify`):
//! one datagram per state change to the Unix socket named by `NOTIFY_SOCKET` — `READY=1`
//! once every listener is bound and the zones are loaded, `RELOADING=1` (with the
//! monotonic time systemd asks for) and `READY=1` around a reload, `STOPPING=1` at
//! shutdown. Without `NOTIFY_SOCKET` nothing is sent. No systemd library is needed: the
//! protocol is a datagram of `KEY=VALUE` lines.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;

/// Sends `state` (lines of `KEY=VALUE`) to the service manager, if there is one.
pub fn notify(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = UnixDatagram::unbound().and_then(|sock| {
        let bytes = path.as_bytes();
        // A leading '@' names a socket in the abstract namespace.
        if let Some(name) = bytes.strip_prefix(b"@") {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            sock.send_to_addr(state.as_bytes(), &addr)
        } else {
            sock.send_to(state.as_bytes(), &path)
        }
    });
    if let Err(e) = sent {
        tracing::warn!(
            "cannot notify the service manager at {}: {e}",
            path.to_string_lossy()
        );
    }
}

/// `RELOADING=1` with `MONOTONIC_USEC`, which systemd 253 and later require with it.
pub fn reloading() {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a plain system call filling a struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let usec = ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1_000;
    notify(&format!("RELOADING=1\nMONOTONIC_USEC={usec}"));
}
