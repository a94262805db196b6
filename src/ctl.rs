//! `rrdns ctl`: the admin API from a shell, as `gdnsdctl`, `knotc` and `nsd-control` are
//! for their servers. A plain HTTP/1.1 client over a TCP stream (the admin interface
//! speaks plain HTTP on a trusted address), one request per command.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{CtlAction, ZoneAction};

/// Where and as whom to talk to the server.
pub struct Target {
    pub admin: Option<String>,
    pub config: Option<PathBuf>,
    pub token: Option<String>,
}

/// The exit code for an admin interface that cannot be reached (sysexits' EX_UNAVAILABLE).
const UNREACHABLE: u8 = 69;

pub fn run(target: Target, action: CtlAction) -> ExitCode {
    let cfg = target.config.as_deref().map(crate::config::load_partial);
    if let Some((None, problems)) = &cfg {
        for p in problems {
            eprintln!("{p}");
        }
        return ExitCode::from(2);
    }
    let cfg = cfg.and_then(|(c, _)| c);
    let admin = target
        .admin
        .or_else(|| cfg.as_ref().and_then(|c| c.admin).map(|a| a.to_string()))
        .unwrap_or_else(|| "127.0.0.1:8053".to_string());
    let token = target
        .token
        .or_else(|| std::env::var("RRDNS_ADMIN_TOKEN").ok())
        .or_else(|| cfg.as_ref().and_then(|c| c.admin_token.clone()));
    let client = Client { admin, token };
    let (method, path, body) = match &action {
        CtlAction::Status => ("GET", "/status".to_string(), None),
        CtlAction::Ready => ("GET", "/readyz".to_string(), None),
        CtlAction::Drain {
            address,
            reason,
            duration,
        } => {
            let body = serde_json::json!({ "reason": reason, "for": duration });
            (
                "POST",
                format!("/api/backends/{address}/drain"),
                Some(body.to_string()),
            )
        }
        CtlAction::Undrain { address } => {
            ("DELETE", format!("/api/backends/{address}/drain"), None)
        }
        CtlAction::Reload => ("POST", "/api/reload".to_string(), None),
        CtlAction::Zone { action } => match action {
            ZoneAction::Refresh { name } => ("POST", format!("/api/zones/{name}/refresh"), None),
            ZoneAction::Retransfer { name } => {
                ("POST", format!("/api/zones/{name}/retransfer"), None)
            }
        },
    };
    let (code, text) = match client.request(method, &path, body.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot reach the admin interface at {}: {e}", client.admin);
            return ExitCode::from(UNREACHABLE);
        }
    };
    if !(200..300).contains(&code) {
        // The server says why, as text or as JSON with its problems.
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if v["problems"].is_array() => {
                eprintln!("reload failed; the previous configuration and zones keep serving:");
                for p in v["problems"].as_array().into_iter().flatten() {
                    eprintln!("{}", p.as_str().unwrap_or_default());
                }
            }
            _ => eprint!("{code}: {text}"),
        }
        return ExitCode::FAILURE;
    }
    let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    match action {
        CtlAction::Status => print!("{}", status_table(&v)),
        CtlAction::Ready => print!("{text}"),
        CtlAction::Drain { address, .. } => {
            let changed = if v["changed"] == true {
                "drained"
            } else {
                "already drained"
            };
            let until = v["until"]
                .as_u64()
                .map(|u| format!(" until {}", clock(u)))
                .unwrap_or_default();
            println!("{address}: {changed}{until}");
        }
        CtlAction::Undrain { address } => {
            let changed = if v["changed"] == true {
                "undrained"
            } else {
                "was not drained"
            };
            println!("{address}: {changed}");
        }
        CtlAction::Reload => println!("reload done"),
        CtlAction::Zone { .. } => println!(
            "{}: {} started; see `rrdns ctl status` or the log for the result",
            v["zone"].as_str().unwrap_or_default(),
            v["action"].as_str().unwrap_or_default()
        ),
    }
    ExitCode::SUCCESS
}

struct Client {
    admin: String,
    token: Option<String>,
}

impl Client {
    /// One request; the status code and the body.
    fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> std::io::Result<(u16, String)> {
        let addr = (self.admin.to_socket_addrs()?.next())
            .ok_or_else(|| std::io::Error::other("no address"))?;
        let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        // A reload of many zones takes a while; nothing else does.
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        let body = body.unwrap_or("");
        let auth = (self.token.as_deref())
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.admin,
            body.len()
        )?;
        let mut raw = Vec::new();
        s.read_to_end(&mut raw)?;
        parse_response(&raw).ok_or_else(|| std::io::Error::other("not an HTTP response"))
    }
}

/// The status code and body of an HTTP/1.1 response (plain or chunked).
fn parse_response(raw: &[u8]) -> Option<(u16, String)> {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let code = head.split_whitespace().nth(1)?.parse().ok()?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase().starts_with("transfer-encoding:")
            && l.to_ascii_lowercase().contains("chunked")
    });
    if !chunked {
        return Some((code, body.to_string()));
    }
    let mut out = String::new();
    let mut rest = body;
    loop {
        let (size, after) = rest.split_once("\r\n")?;
        let n = usize::from_str_radix(size.trim(), 16).ok()?;
        if n == 0 {
            return Some((code, out));
        }
        out.push_str(after.get(..n)?);
        rest = after.get(n + 2..)?;
    }
}

/// A Unix time as UTC clock time.
fn clock(t: u64) -> String {
    let (days, secs) = (t / 86_400, t % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// `/status` as terminal tables: zones, then each pool and its backends.
fn status_table(v: &serde_json::Value) -> String {
    let mut out = String::new();
    let s = |x: &serde_json::Value| match x {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    };
    out.push_str(&format!(
        "{:<32} {:<12} {:>12} {:>9}  {}\n",
        "ZONE", "STATE", "SERIAL", "RECORDS", "LAST REFRESH"
    ));
    for z in v["zones"].as_array().into_iter().flatten() {
        let refresh = match z["last_refresh"].as_u64() {
            Some(t) => format!("{} ({})", clock(t), s(&z["last_refresh_result"])),
            None => "-".into(),
        };
        out.push_str(&format!(
            "{:<32} {:<12} {:>12} {:>9}  {refresh}\n",
            s(&z["name"]),
            s(&z["state"]),
            s(&z["serial"]),
            s(&z["records"])
        ));
    }
    out.push_str(&format!(
        "\n{:<40} {:<12} {:>6} {:>7}  {}\n",
        "POOL / ADDRESS", "STATE", "WEIGHT", "SHARE", "LAST PROBE"
    ));
    for p in v["pools"].as_array().into_iter().flatten() {
        let backends = p["backends"].as_array().cloned().unwrap_or_default();
        let serving = backends
            .iter()
            .filter(|b| b["state"] == "up" || b["state"] == "unchecked")
            .count();
        let banner = if p["all_out"] == true {
            "  ALL OUT: all_down applies"
        } else {
            ""
        };
        out.push_str(&format!(
            "{} {} ({} of {} serving, check {}){banner}\n",
            s(&p["name"]),
            s(&p["type"]),
            serving,
            backends.len(),
            s(&p["check"])
        ));
        for b in &backends {
            let share = b["served_share"]
                .as_f64()
                .map_or("-".into(), |x| format!("{:.0}%", x * 100.0));
            out.push_str(&format!(
                "  {:<38} {:<12} {:>6} {:>7}  {}\n",
                s(&b["address"]),
                s(&b["state"]),
                s(&b["weight"]),
                share,
                s(&b["last_probe"])
            ));
        }
    }
    for d in v["drains"].as_array().into_iter().flatten() {
        let until = d["until"]
            .as_u64()
            .map(|u| format!(" until {}", clock(u)))
            .unwrap_or_default();
        let reason = d["reason"]
            .as_str()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        out.push_str(&format!("drained {}{reason}{until}\n", s(&d["address"])));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 404 Not Found\r\ncontent-length: 4\r\n\r\nnope";
        assert_eq!(parse_response(plain), Some((404, "nope".into())));
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((200, "abcde".into())));
        assert_eq!(parse_response(b"garbage"), None);
    }

    #[test]
    fn unix_times_read_as_utc_dates() {
        assert_eq!(clock(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(clock(1_796_386_445), "2026-12-04 12:14:05 UTC");
        assert_eq!(clock(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
