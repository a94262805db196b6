//! The hardening settings: TCP connection limits (`tcp:`), response rate limiting
//! (`rrl:`) and the bounds on transfers, validated into typed values.

use std::time::Duration;

use super::file::{LimitsEntry, RrlEntry, S, TcpEntry};
use super::validate::{Validator, line_of, parse_duration};

/// `tcp:` — how long and how many client connections are kept (RFC 7766 §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// A connection with no query for this long is closed, and so is one whose query
    /// does not arrive in full or whose answer the client does not take within it.
    pub idle_timeout: Duration,
    /// Client connections at once over all listeners; past it the connection idle the
    /// longest is closed to make room.
    pub max_connections: usize,
    /// Connections at once from one client address (IPv6: its /64).
    pub max_per_client: usize,
}

impl Default for TcpLimits {
    fn default() -> TcpLimits {
        // NSD closes idle connections after seconds; RFC 7766 §6.2.3 asks for seconds.
        TcpLimits {
            idle_timeout: Duration::from_secs(3),
            max_connections: 1000,
            max_per_client: 20,
        }
    }
}

/// `limits:` — how large a zone may be, from a file or a transfer. A zone past either
/// bound is refused and the copy served before is kept: a hostile or broken primary (a
/// transfer that never ends) cannot take all memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneLimits {
    pub records: usize,
    /// Octets: of a zone file, or of the messages of a transfer.
    pub bytes: u64,
}

impl Default for ZoneLimits {
    fn default() -> ZoneLimits {
        // Far above the zones a load balancer serves; a million-record zone loads.
        ZoneLimits {
            records: 3_000_000,
            bytes: 512 << 20,
        }
    }
}

/// `512M`, `2G`, `64k` or plain octets.
fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()?
        .checked_mul(mult)
        .filter(|&n| n > 0)
}

/// `rrl:` — response rate limiting, as NSD, Knot and BIND do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RrlConfig {
    /// Responses per second to one client prefix for one kind of response.
    pub responses_per_second: u32,
    /// Every `slip`th dropped response is sent truncated (TC=1) instead, so that a real
    /// client behind a forged-source flood retries over TCP; 0 never slips.
    pub slip: u32,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
}

impl Default for RrlConfig {
    fn default() -> RrlConfig {
        RrlConfig {
            responses_per_second: 20,
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
        }
    }
}

impl Validator {
    pub(super) fn tcp(&mut self, t: &S<TcpEntry>) -> TcpLimits {
        let line = line_of(t);
        let mut out = TcpLimits::default();
        if let Some(d) = &t.value.idle_timeout {
            match parse_duration(d) {
                Some(d) => out.idle_timeout = d,
                None => self.err(
                    line,
                    format!("tcp: idle_timeout '{d}' is not a duration like 3s"),
                ),
            }
        }
        for (key, value, field) in [
            (
                "max_connections",
                t.value.max_connections,
                &mut out.max_connections,
            ),
            (
                "max_per_client",
                t.value.max_per_client,
                &mut out.max_per_client,
            ),
        ] {
            match value {
                Some(0) => self.err(line, format!("tcp: {key} must be at least 1")),
                Some(n) => *field = n,
                None => {}
            }
        }
        out
    }

    pub(super) fn limits(&mut self, l: &S<LimitsEntry>) -> ZoneLimits {
        let line = line_of(l);
        let mut out = ZoneLimits::default();
        match l.value.zone_records {
            Some(0) => self.err(line, "limits: zone_records must be at least 1"),
            Some(n) => out.records = n,
            None => {}
        }
        if let Some(b) = &l.value.zone_bytes {
            match parse_size(b) {
                Some(n) => out.bytes = n,
                None => self.err(
                    line,
                    format!("limits: zone_bytes '{b}' is not a size like 512M"),
                ),
            }
        }
        out
    }

    pub(super) fn rrl(&mut self, r: &S<RrlEntry>) -> Option<RrlConfig> {
        let line = line_of(r);
        let d = RrlConfig::default();
        let out = RrlConfig {
            responses_per_second: r
                .value
                .responses_per_second
                .unwrap_or(d.responses_per_second),
            slip: r.value.slip.unwrap_or(d.slip),
            ipv4_prefix: r.value.ipv4_prefix.unwrap_or(d.ipv4_prefix),
            ipv6_prefix: r.value.ipv6_prefix.unwrap_or(d.ipv6_prefix),
        };
        if out.responses_per_second == 0 {
            self.err(
                line,
                "rrl: responses_per_second must be at least 1 (leave rrl out to turn it off)",
            );
        }
        if out.ipv4_prefix > 32 || out.ipv6_prefix > 128 {
            self.err(
                line,
                "rrl: ipv4_prefix is at most 32 and ipv6_prefix at most 128",
            );
        }
        (r.value.enabled != Some(false)).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_with_their_unit() {
        assert_eq!(parse_size("512M"), Some(512 << 20));
        assert_eq!(parse_size("2G"), Some(2 << 30));
        assert_eq!(parse_size("64k"), Some(64 << 10));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("0"), None);
        assert_eq!(parse_size("lots"), None);
    }
}
